package repository

import (
	"cacsd/mapping"
)

// The kinds of code in code_map.
const (
	kindCaseType       = "case_type"
	kindProduct        = "product"
	kindPurchaseMethod = "purchase_method"
	kindPaymentMethod  = "payment_method"
	kindComplaint      = "complaint"
	kindScam           = "scam"
)

type codeKey struct {
	kind, code string
}

// codeBook is code_map in memory: the label of every known code. It is
// small (about a hundred rows) and read once per import, with the
// casework tables (see loadCaseworkSQL).
type codeBook map[codeKey]string

// storedCode is a code as it is stored on a service request.
type storedCode struct {
	Code  *string
	Label *string
	Known *bool
}

// lookup resolves c against the book. A known code sent without a label
// takes the label from code_map; an unknown one is kept as sent.
func (b codeBook) lookup(kind string, c *mapping.Code) storedCode {
	if c == nil || c.Code == "" {
		return storedCode{}
	}
	label, known := b[codeKey{kind, c.Code}]
	if c.Label != "" {
		label = c.Label
	}
	return storedCode{Code: &c.Code, Label: optString(label), Known: &known}
}

// known reports whether c is in the book; an absent code counts as known.
func (b codeBook) known(kind string, c *mapping.Code) bool {
	if c == nil || c.Code == "" {
		return true
	}
	_, ok := b[codeKey{kind, c.Code}]
	return ok
}

// unknownIn counts the codes of c missing from the book.
func (b codeBook) unknownIn(c *mapping.Case) int {
	n := 0
	count := func(kind string, code *mapping.Code) {
		if !b.known(kind, code) {
			n++
		}
	}
	count(kindCaseType, &c.CaseType)
	if p := c.Purchase; p != nil {
		count(kindProduct, p.Product)
		count(kindPurchaseMethod, p.Method)
		count(kindPaymentMethod, p.Payment)
	}
	if cp := c.Complaint; cp != nil {
		for i := range cp.Codes {
			count(kindComplaint, &cp.Codes[i])
		}
		count(kindScam, cp.Scam)
	}
	return n
}

// optString is s, or nil when s is empty.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
