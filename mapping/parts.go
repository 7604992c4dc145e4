package mapping

import (
	"encoding/xml"
	"slices"
)

// The parts of a Case. Field paths are built from the names in names.go;
// most are constant expressions, so they cost nothing per case.

func (r *caseReader) consumer() (*Consumer, error) {
	const p = elemConsumer + "/"
	c := &Consumer{}
	err := r.d.children(func(el xml.StartElement) error {
		var err error
		switch el.Name.Local {
		case elemTitle:
			c.Title, err = r.str(p + elemTitle)
		case elemForename:
			c.Forename, err = r.str(p + elemForename)
		case elemSurname:
			c.Surname, err = r.str(p + elemSurname)
		case elemAddress:
			c.Address, err = r.address(p + elemAddress)
		case elemTelephone:
			c.Telephone, err = r.str(p + elemTelephone)
		case elemEmail:
			c.Email, err = r.str(p + elemEmail)
		case elemAgeBand:
			c.AgeBand, err = r.enum(p+elemAgeBand, ageBands)
		case elemVulnerable:
			c.VulnerableReason, _ = attrValue(el, attrReason)
			c.Vulnerable, err = r.boolean(p + elemVulnerable)
		case elemContactConsent:
			c.ContactConsent, err = r.boolean(p + elemContactConsent)
		default:
			err = r.d.skip()
		}
		return err
	})
	if err != nil || *c == (Consumer{}) {
		return nil, err // an empty Consumer is an anonymous one
	}
	return c, nil
}

func (r *caseReader) trader() (*Trader, error) {
	const p = elemTrader + "/"
	line, col := r.d.xml.InputPos()
	t := &Trader{}
	err := r.d.children(func(el xml.StartElement) error {
		var err error
		switch el.Name.Local {
		case elemName:
			t.Name, err = r.str(p + elemName)
		case elemTradingAs:
			t.TradingAs, err = r.str(p + elemTradingAs)
		case elemCompanyNumber:
			t.CompanyNumber, t.CompanyNumberValid, err = r.companyNumber(p + elemCompanyNumber)
		case elemAddress:
			t.Address, err = r.address(p + elemAddress)
		case elemTelephone:
			t.Telephone, err = r.str(p + elemTelephone)
		case elemEmail:
			t.Email, err = r.str(p + elemEmail)
		case elemWebsite:
			t.Website, err = r.str(p + elemWebsite)
		default:
			err = r.d.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if t.Name == "" {
		r.problem(p+elemName, position{line, col}, "missing %s", elemName)
	}
	return t, nil
}

// companyNumber reads a company number and whether it has the shape of
// one. One that has not ("N/A", "AB-1") is kept as written, like a
// postcode that is not one: it never fails the case.
func (r *caseReader) companyNumber(field string) (string, bool, error) {
	s, _, err := r.value(field, maxShortText)
	if err != nil || s == "" {
		return "", false, err
	}
	n, ok := NormalizeCompanyNumber(s)
	switch {
	case !ok:
		return s, false, nil
	case n == noCompanyNumber:
		// "0" and the like stand for a number nobody knew; kept, they
		// would make every such trader one business.
		return "", false, nil
	}
	return n, true, nil
}

// address reads an Address; path is where it sits (Consumer/Address or
// Trader/Address). A bad postcode is kept and flagged, never a problem.
func (r *caseReader) address(path string) (*Address, error) {
	a := &Address{}
	err := r.d.children(func(el xml.StartElement) error {
		field := path + "/" + el.Name.Local
		var err error
		var s string
		switch el.Name.Local {
		case elemLine:
			if s, err = r.str(field); s != "" && r.room(len(a.Lines), maxAddressLines, field) {
				a.Lines = append(a.Lines, s)
			}
		case elemTown:
			a.Town, err = r.str(field)
		case elemCounty:
			a.County, err = r.str(field)
		case elemPostcode:
			if s, err = r.str(field); s != "" {
				a.Postcode, a.PostcodeValid = NormalizePostcode(s)
			}
		case elemUPRN:
			a.UPRN, err = r.uprn(field)
		default:
			err = r.d.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(a.Lines) == 0 && a.Town == "" && a.County == "" && a.Postcode == "" && a.UPRN == "" {
		return nil, nil
	}
	return a, nil
}

// uprn reads a unique property reference number: 1 to 12 digits. It is
// tied to a home, so a bad one is not quoted.
func (r *caseReader) uprn(field string) (string, error) {
	s, at, err := r.value(field, maxShortText)
	if err != nil || s == "" {
		return "", err
	}
	if !isDigits(s) || len(s) > 12 {
		r.problem(field, at, "not a UPRN (want 1 to 12 digits)")
		return "", nil
	}
	return s, nil
}

func (r *caseReader) purchase() (*Purchase, error) {
	const p = elemPurchase + "/"
	u := &Purchase{}
	err := r.d.children(func(el xml.StartElement) error {
		var err error
		switch el.Name.Local {
		case elemDate:
			u.Date, err = r.date(p + elemDate)
		case elemAmount:
			u.Amount, err = r.money(el, p+elemAmount)
		case elemProduct:
			u.Product, err = r.code(el, p+elemProduct)
		case elemMethod:
			u.Method, err = r.code(el, p+elemMethod)
		case elemPayment:
			u.Payment, err = r.code(el, p+elemPayment)
		case elemDescription:
			u.Description, err = r.freeText(p + elemDescription)
		default:
			err = r.d.skip()
		}
		return err
	})
	if err != nil || *u == (Purchase{}) {
		return nil, err
	}
	return u, nil
}

func (r *caseReader) complaint() (*Complaint, error) {
	const p = elemComplaint + "/"
	c := &Complaint{}
	err := r.d.children(func(el xml.StartElement) error {
		var err error
		switch el.Name.Local {
		case elemCode:
			var code *Code
			code, err = r.code(el, p+elemCode)
			if code != nil && r.room(len(c.Codes), maxRepeated, p+elemCode) {
				c.Codes = append(c.Codes, *code)
			}
		case elemScam:
			c.Scam, err = r.code(el, p+elemScam)
		case elemBreach:
			c.Breach, err = r.enum(p+elemBreach, breaches)
		case elemDetriment:
			c.Detriment, err = r.money(el, p+elemDetriment)
		case elemSummary:
			c.Summary, err = r.freeText(p + elemSummary)
		case elemAdviceGiven:
			c.AdviceGiven, err = r.freeText(p + elemAdviceGiven)
		default:
			err = r.d.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(c.Codes) == 0 && c.Scam == nil && c.Breach == "" && c.Detriment == nil &&
		c.Summary == "" && c.AdviceGiven == "" {
		return nil, nil
	}
	return c, nil
}

// agency reads one child of Agencies.
func (r *caseReader) agency(el xml.StartElement) error {
	const field = elemAgencies + "/" + elemAgency
	if el.Name.Local != elemAgency {
		return r.d.skip()
	}
	role, hasRole := attrValue(el, attrRole)
	name, at, err := r.value(field, maxShortText)
	if err != nil || !r.room(len(r.c.Agencies), maxRepeated, field) {
		return err
	}
	switch {
	case !hasRole || role == "":
		r.problem(field+"/@"+attrRole, at, "missing role attribute")
	case !slices.Contains(agencyRoles, role):
		r.problem(field+"/@"+attrRole, at, "unknown value %s (want one of %s)",
			quote(role), joinValues(agencyRoles))
	default:
		r.c.Agencies = append(r.c.Agencies, Agency{Role: role, Name: name})
	}
	return nil
}

// note reads one child of Notes.
func (r *caseReader) note(el xml.StartElement) error {
	const field = elemNotes + "/" + elemNote
	if el.Name.Local != elemNote {
		return r.d.skip()
	}
	at, _ := attrValue(el, attrAt)
	text, pos, err := r.value(field, maxFreeText)
	if err != nil || !r.room(len(r.c.Notes), maxRepeated, field) {
		return err
	}
	n := Note{Text: text}
	if at != "" {
		if n.At = r.parsedTimestamp(field+"/@"+attrAt, at, pos); n.At == nil {
			return nil
		}
	}
	r.c.Notes = append(r.c.Notes, n)
	return nil
}
