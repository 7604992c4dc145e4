package mapping

import (
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// maxAddressLines is how many Line elements an Address may hold.
const maxAddressLines = 6

// position is a line and column in the file, both 1-based.
type position struct{ line, col int }

// caseReader reads one Case. Its problems go straight to the decoder's
// list, from index start on, and get the case reference once the whole case
// is read: the reference may come last.
type caseReader struct {
	d      *Decoder
	c      *Case
	start  int
	fields []string // fields with a problem, so "missing" is not said twice
}

// readCase reads the Case whose start tag was just read. It returns nil and
// no error for a case with problems.
func (d *Decoder) readCase() (*Case, error) {
	d.cases++
	r := &caseReader{d: d, c: &Case{}, start: len(d.problems)}
	r.c.Line, r.c.Column = d.xml.InputPos()

	err := d.children(r.caseChild)
	if err == nil {
		r.checkRequired()
	}

	ref := r.c.Reference
	if ref != "" && !referencePattern.MatchString(ref) {
		// A value that is not shaped like a reference may be anything a
		// caller typed there, a name or a number among them.
		ref = fmt.Sprintf("case %d of the file (reference withheld)", d.cases)
	}
	for i := r.start; i < len(d.problems); i++ {
		d.problems[i].CaseRef = ref
	}
	var fe *fatalError
	if errors.As(err, &fe) && fe.p.CaseRef == "" {
		fe.p.CaseRef = ref
	}
	if err != nil || len(r.fields) > 0 {
		return nil, err
	}
	r.c.Digest = digest(r.c)
	return r.c, nil
}

func (r *caseReader) caseChild(el xml.StartElement) error {
	c := r.c
	var err error
	switch el.Name.Local {
	case elemCaseReference:
		err = r.reference()
	case elemUpdateSequence:
		err = r.sequence()
	case elemRoute:
		var route string
		route, err = r.enum(elemRoute, routes)
		c.Route = Route(route)
	case elemCaseType:
		var code *Code
		if code, err = r.code(el, elemCaseType); code != nil {
			c.CaseType = *code
		}
	case elemRecipientRole:
		c.RecipientRole, err = r.enum(elemRecipientRole, recipientRoles)
	case elemReceivedAt:
		var t *time.Time
		if t, err = r.timestamp(elemReceivedAt); t != nil {
			c.ReceivedAt = *t
		}
	case elemChannel:
		c.Channel, err = r.enum(elemChannel, channels)
	case elemConsumer:
		c.Consumer, err = r.consumer()
	case elemTrader:
		c.Trader, err = r.trader()
	case elemPurchase:
		c.Purchase, err = r.purchase()
	case elemComplaint:
		c.Complaint, err = r.complaint()
	case elemAgencies:
		err = r.d.children(r.agency)
	case elemNotes:
		err = r.d.children(r.note)
	default:
		err = r.d.skip()
	}
	return err
}

func (r *caseReader) reference() error {
	s, at, err := r.value(elemCaseReference, maxShortText)
	if err != nil || s == "" {
		return err
	}
	if r.c.Reference != "" && s != r.c.Reference {
		r.problem(elemCaseReference, at, "a second, different CaseReference %s", quote(s))
		return nil
	}
	r.c.Reference = s
	if !referencePattern.MatchString(s) {
		r.problem(elemCaseReference, at, "%s: not a case reference ([A-Z0-9][A-Z0-9/-]{5,31})",
			quote(s))
	}
	return nil
}

func (r *caseReader) sequence() error {
	s, at, err := r.value(elemUpdateSequence, maxShortText)
	if err != nil || s == "" {
		return err
	}
	n, perr := parseSequence(s)
	if perr != nil {
		r.problem(elemUpdateSequence, at, "%s: %v", quote(s), perr)
		return nil
	}
	r.c.UpdateSequence = n
	return nil
}

// checkRequired reports the required parts the case lacks, at its start
// tag, unless a bad value of that part was already reported.
func (r *caseReader) checkRequired() {
	c := r.c
	at := position{c.Line, c.Column}
	r.require(c.Reference != "", elemCaseReference, at)
	r.require(c.Route != "", elemRoute, at)
	r.require(c.CaseType.Code != "", elemCaseType, at)
	r.require(!c.ReceivedAt.IsZero(), elemReceivedAt, at)

	code := c.CaseType.Code
	if strings.HasPrefix(code, traderCaseTypePrefix) && c.Trader == nil {
		r.problem(elemTrader, at, "missing %s, required for case type %s",
			elemTrader, quote(code))
	}
}

func (r *caseReader) require(ok bool, field string, at position) {
	if ok || slices.ContainsFunc(r.fields, func(f string) bool {
		return f == field || strings.HasPrefix(f, field+"/")
	}) {
		return
	}
	r.problem(field, at, "missing %s", field)
}

// problem records a problem with a value of this case. The message must not
// quote personal data: see quote.
func (r *caseReader) problem(field string, at position, format string, args ...any) {
	r.fields = append(r.fields, field)
	r.d.addProblem(Problem{
		Field:   field,
		Line:    at.line,
		Column:  at.col,
		Message: fmt.Sprintf(format, args...),
	})
}

// value reads the text of the element just opened, and where it starts.
func (r *caseReader) value(field string, max int) (string, position, error) {
	line, col := r.d.xml.InputPos()
	s, err := r.d.readText(field, max)
	return s, position{line, col}, err
}

func (r *caseReader) str(field string) (string, error) {
	s, _, err := r.value(field, maxShortText)
	return s, err
}

func (r *caseReader) freeText(field string) (string, error) {
	s, _, err := r.value(field, maxFreeText)
	return s, err
}

// enum reads a value that must be one of allowed; "" when absent or bad.
func (r *caseReader) enum(field string, allowed []string) (string, error) {
	s, at, err := r.value(field, maxShortText)
	if err != nil || s == "" {
		return "", err
	}
	if !slices.Contains(allowed, s) {
		r.problem(field, at, "unknown value %s (want one of %s)",
			quote(s), joinValues(allowed))
		return "", nil
	}
	return s, nil
}

// code reads a coded element: the code attribute as sent, the text as its
// label. Codes missing from the code lists are not problems.
func (r *caseReader) code(el xml.StartElement, field string) (*Code, error) {
	code, _ := attrValue(el, attrCode)
	label, at, err := r.value(field, maxShortText)
	if err != nil {
		return nil, err
	}
	if code == "" {
		r.problem(field+"/@"+attrCode, at, "missing code attribute")
		return nil, nil
	}
	return &Code{Code: code, Label: label}, nil
}

func (r *caseReader) timestamp(field string) (*time.Time, error) {
	s, at, err := r.value(field, maxShortText)
	if err != nil || s == "" {
		return nil, err
	}
	return r.parsedTimestamp(field, s, at), nil
}

func (r *caseReader) parsedTimestamp(field, s string, at position) *time.Time {
	t, err := parseTimestamp(s)
	if err != nil {
		r.problem(field, at, "%s: %v", quote(s), err)
		return nil
	}
	return &t
}

func (r *caseReader) date(field string) (*time.Time, error) {
	s, at, err := r.value(field, maxShortText)
	if err != nil || s == "" {
		return nil, err
	}
	t, perr := parseDate(s)
	if perr != nil {
		r.problem(field, at, "%s: %v", quote(s), perr)
		return nil, nil
	}
	return &t, nil
}

func (r *caseReader) boolean(field string) (*bool, error) {
	s, at, err := r.value(field, maxShortText)
	if err != nil || s == "" {
		return nil, err
	}
	b, perr := parseBool(s)
	if perr != nil {
		r.problem(field, at, "%s: %v", quote(s), perr)
		return nil, nil
	}
	return &b, nil
}

// money reads an amount and its currency attribute (GBP when absent; case
// and spaces aside, so "gbp" is GBP).
func (r *caseReader) money(el xml.StartElement, field string) (*Money, error) {
	s, at, err := r.value(field, maxShortText)
	if err != nil || s == "" {
		return nil, err
	}
	amount, perr := parseMoney(s)
	if perr != nil {
		r.problem(field, at, "%s: %v", quote(s), perr)
		return nil, nil
	}
	currency, _ := attrValue(el, attrCurrency)
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if currency == "" {
		currency = defaultCurrency
	}
	if !currencyPattern.MatchString(currency) {
		r.problem(field+"/@"+attrCurrency, at, "%s: not a currency code (want e.g. GBP)",
			quote(currency))
		return nil, nil
	}
	return &Money{Amount: amount, Currency: currency}, nil
}

// room reports whether a list of n items may take one more; the first
// time it may not, that is a problem.
func (r *caseReader) room(n, max int, field string) bool {
	if n < max {
		return true
	}
	if !slices.Contains(r.fields, field) {
		line, col := r.d.xml.InputPos()
		r.problem(field, position{line, col}, "more than %d %s elements", max,
			field[strings.LastIndexByte(field, '/')+1:])
	}
	return false
}

// cutRunes returns s cut to at most n runes.
func cutRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// joinValues lists the allowed values of an enumeration for a message.
func joinValues(values []string) string {
	return strings.Join(values, ", ")
}
