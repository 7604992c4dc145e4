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
}

func (e *NoAuthorityError) Error() string {
	return fmt.Sprintf("case %s: no authority covers the consumer's or the trader's "+
		"postcode district (see authority_district)", e.CaseRef)
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
	if p := c.Consumer; p != nil && p.Address != nil {
		if code := b.byPostcode(p.Address.Postcode); code != "" {
			return code, authorityConsumer, nil
		}
	}
	if t := c.Trader; t != nil && t.Address != nil {
		if code := b.byPostcode(t.Address.Postcode); code != "" {
			return code, authorityTrader, nil
		}
	}
	return "", "", &NoAuthorityError{CaseRef: c.Reference}
}

func (b authorityBook) byPostcode(postcode string) string {
	codes := b.districts[mapping.PostcodeDistrict(postcode)]
	if len(codes) != 1 {
		return ""
	}
	return b.resolve(codes[0])
}
