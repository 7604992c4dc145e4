package repository

import (
	"fmt"

	"cacsd/mapping"
)

// CustodianAuto, given to Merge as the custodian, chooses each case's
// authority from the postcode districts in authority_district: the
// consumer's postcode, else the trader's.
const CustodianAuto = "auto"

// NoAuthorityError is returned by Merge, with --custodian auto, for a case
// whose consumer and trader postcodes lie in no single authority's
// districts. It is a fault of the file, not of the database. It names the
// case but never the postcodes.
type NoAuthorityError struct {
	CaseRef string
	// Shared is set when a postcode district was found but more than one
	// authority covers it, rather than none.
	Shared bool
}

func (e *NoAuthorityError) Error() string {
	return fmt.Sprintf("case %s: %s", e.CaseRef, e.Reason())
}

// Reason says why, without the case.
func (e *NoAuthorityError) Reason() string {
	if e.Shared {
		return "more than one authority covers the postcode district and no other " +
			"postcode decides (see authority_district)"
	}
	return "no authority covers the consumer's or the trader's postcode district " +
		"(see authority_district)"
}

// authorityBook is custodian and authority_district in memory, read once
// per import (see loadCasework): where merged codes went, and which
// authorities cover each postcode district.
type authorityBook struct {
	successor map[string]string
	districts map[string][]string
}

// resolve follows merged custodian codes to the authority that took them
// over. A code not in the list is kept as given.
func (b authorityBook) resolve(code string) string {
	// The bound stops a loop a council's edit might make.
	for range 10 {
		next, ok := b.successor[code]
		if !ok {
			break
		}
		code = next
	}
	return code
}

// Where an authority came from, for the audit trail.
const (
	authorityGiven    = "file_or_config"
	authorityConsumer = "consumer_postcode"
	authorityTrader   = "trader_postcode"
)

// place decides the authority of c: custodian, resolved, unless it is
// CustodianAuto, when the consumer's postcode district decides, else the
// trader's. A district two authorities share decides nothing.
func (b authorityBook) place(custodian string, c *mapping.Case) (code, by string, err error) {
	if custodian != CustodianAuto {
		return b.resolve(custodian), authorityGiven, nil
	}
	var consumer, trader *mapping.Address
	if c.Consumer != nil {
		consumer = c.Consumer.Address
	}
	if c.Trader != nil {
		trader = c.Trader.Address
	}
	shared := false
	for _, side := range []struct {
		a  *mapping.Address
		by string
	}{{consumer, authorityConsumer}, {trader, authorityTrader}} {
		if side.a == nil {
			continue
		}
		code, many := b.byPostcode(side.a.Postcode)
		if code != "" {
			return code, side.by, nil
		}
		shared = shared || many
	}
	return "", "", &NoAuthorityError{CaseRef: c.Reference, Shared: shared}
}

// byPostcode returns the one authority whose districts hold postcode, or
// "" and whether it is because several do. A merged code and its
// successor are one authority.
func (b authorityBook) byPostcode(postcode string) (code string, shared bool) {
	for _, c := range b.districts[mapping.PostcodeDistrict(postcode)] {
		switch c = b.resolve(c); {
		case code == "":
			code = c
		case c != code:
			return "", true
		}
	}
	return code, false
}
