package repository

import (
	"context"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/lib/pq"

	"cacsd/mapping"
)

// ruleNew is the match rule recorded for a contact the case created; the
// others ("email", "name_postcode", "company_number", "website") name the
// branch of the match query that found the contact.
const ruleNew = "new"

// The kinds of contact.
const (
	kindConsumer = "consumer"
	kindTrader   = "trader"
)

// contact is a row of the contact table. Absent values are nil.
type contact struct {
	ID            int64   `db:"id"`
	Kind          string  `db:"kind"`
	Title         *string `db:"title"`
	Forename      *string `db:"forename"`
	Surname       *string `db:"surname"`
	Name          *string `db:"name"`
	TradingAs     *string `db:"trading_as"`
	CompanyNumber *string `db:"company_number"`
	// CompanyValid is false for a number kept as written, which is never
	// matched on; nil with no number.
	CompanyValid  *bool          `db:"company_number_valid"`
	AddressLines  pq.StringArray `db:"address_lines"`
	Town          *string        `db:"town"`
	County        *string        `db:"county"`
	Postcode      *string        `db:"postcode"`
	PostcodeValid *bool          `db:"postcode_valid"`
	UPRN          *string        `db:"uprn"`
	Telephone     *string        `db:"telephone"`
	Email         *string        `db:"email"`
	Website       *string        `db:"website"`
	EmailNorm     *string        `db:"email_norm"`
	SurnameNorm   *string        `db:"surname_norm"`
	Initial       *string        `db:"initial"`
	ForenameNorm  *string        `db:"forename_norm"`
	PostcodeNorm  *string        `db:"postcode_norm"`
	NameNorm      *string        `db:"name_norm"`
	WebsiteHost   *string        `db:"website_host"`
	PhoneNorm     *string        `db:"phone_norm"`
}

const contactColumns = `id, kind, title, forename, surname, name, trading_as,
    company_number, address_lines, town, county, postcode, postcode_valid, uprn,
    telephone, email, website, email_norm, surname_norm, initial, postcode_norm,
    name_norm, website_host, phone_norm, forename_norm, company_number_valid`

// consumerContact is the contact a case's consumer describes, or nil when
// the consumer gave nothing that identifies them.
func consumerContact(c *mapping.Consumer) *contact {
	if c == nil || c.Forename == "" && c.Surname == "" && c.Address == nil &&
		c.Telephone == "" && c.Email == "" {
		return nil
	}
	ct := &contact{
		Kind:      kindConsumer,
		Title:     optString(c.Title),
		Forename:  optString(c.Forename),
		Surname:   optString(c.Surname),
		Telephone: optString(c.Telephone),
		Email:     optString(c.Email),
	}
	ct.setAddress(c.Address)
	ct.deriveKeys()
	return ct
}

// traderContact is the contact a case's trader describes, or nil.
func traderContact(t *mapping.Trader) *contact {
	if t == nil || t.Name == "" && t.TradingAs == "" && t.CompanyNumber == "" &&
		t.Address == nil && t.Telephone == "" && t.Email == "" && t.Website == "" {
		return nil
	}

	// The decoder normalised a number that has the shape of one and kept
	// any other as written; normalising again tells which it is.
	number, valid := mapping.NormalizeCompanyNumber(t.CompanyNumber)
	if !valid {
		number = t.CompanyNumber
	}
	ct := &contact{
		Kind:          kindTrader,
		Name:          optString(t.Name),
		TradingAs:     optString(t.TradingAs),
		CompanyNumber: optString(number),
		Telephone:     optString(t.Telephone),
		Email:         optString(t.Email),
		Website:       optString(t.Website),
	}
	if number != "" {
		ct.CompanyValid = &valid
	}
	ct.setAddress(t.Address)
	ct.deriveKeys()
	return ct
}

// companyKey is the company number to match on: none unless it is valid.
func (ct *contact) companyKey() *string {
	if ct.CompanyValid == nil || !*ct.CompanyValid {
		return nil
	}
	return ct.CompanyNumber
}

func (ct *contact) setAddress(a *mapping.Address) {
	if a == nil {
		return
	}
	if len(a.Lines) > 0 {
		ct.AddressLines = slices.Clone(a.Lines)
	}
	ct.Town = optString(a.Town)
	ct.County = optString(a.County)
	ct.Postcode = optString(a.Postcode)
	if a.Postcode != "" {
		ct.PostcodeValid = &a.PostcodeValid
	}
	ct.UPRN = optString(a.UPRN)
}

func (ct *contact) hasAddress() bool {
	return len(ct.AddressLines) > 0 || ct.Town != nil || ct.County != nil ||
		ct.Postcode != nil || ct.UPRN != nil
}

// deriveKeys computes the match keys from the fields.
func (ct *contact) deriveKeys() {
	key := func(f func(string) string, s *string) *string {
		if s == nil {
			return nil
		}
		return optString(f(*s))
	}
	ct.EmailNorm = key(mapping.NormalizeEmail, ct.Email)
	ct.SurnameNorm = key(mapping.NameKey, ct.Surname)
	ct.Initial = key(mapping.Initial, ct.Forename)
	ct.ForenameNorm = key(mapping.NameKey, ct.Forename)
	if ct.ForenameNorm != nil && utf8.RuneCountInString(*ct.ForenameNorm) < 2 {
		ct.ForenameNorm = nil // an initial, which the initial already says
	}
	ct.PostcodeNorm = key(mapping.PostcodeKey, ct.Postcode)
	ct.NameNorm = key(mapping.NormalizeCompanyName, ct.Name)
	ct.WebsiteHost = key(mapping.WebsiteKey, ct.Website)
	ct.PhoneNorm = key(mapping.NormalizePhone, ct.Telephone)
}

// fillFrom fills in what ct lacks from in, and reports whether anything
// changed. Known data is never replaced or blanked. The address moves as a
// whole, and only to a contact with none, so two addresses never mix.
func (ct *contact) fillFrom(in *contact) bool {
	changed := false
	fill := func(dst **string, src *string) {
		if *dst == nil && src != nil {
			*dst, changed = src, true
		}
	}
	fill(&ct.Title, in.Title)
	fill(&ct.Forename, in.Forename)
	fill(&ct.Surname, in.Surname)
	fill(&ct.Name, in.Name)
	fill(&ct.TradingAs, in.TradingAs)
	if ct.companyKey() == nil && in.companyKey() != nil {
		// A valid number replaces one kept as written.
		ct.CompanyNumber, ct.CompanyValid, changed = in.CompanyNumber, in.CompanyValid, true
	}
	fill(&ct.Telephone, in.Telephone)
	fill(&ct.Email, in.Email)
	fill(&ct.Website, in.Website)
	if !ct.hasAddress() && in.hasAddress() {
		ct.AddressLines, ct.Town, ct.County = in.AddressLines, in.Town, in.County
		ct.Postcode, ct.PostcodeValid, ct.UPRN = in.Postcode, in.PostcodeValid, in.UPRN
		changed = true
	}
	if changed {
		ct.deriveKeys()
	}
	return changed
}

// matchQuery finds the existing contact an incoming one matches: each
// rule's first candidate, the strongest rule first. A rule whose keys the
// incoming contact lacks compares with NULL and finds nothing. query is
// the WITH part, naming the candidates m (rank, rule, contact_id), with
// parameters $1 to $5 from args; findOrCreateSQL completes it.
type matchQuery struct {
	query string
	args  func(in *contact) []any
}

// A consumer matches by email, else by surname, initial and postcode. A
// match that another identifier contradicts is a guess, and is left to
// the possible matches: the same email under another surname or forename
// (a shared household address), or the same surname, initial and postcode
// with another forename or email (two people of one household: John and
// Jane Smith). An initial alone ("M Example") agrees with any forename.
var consumerMatch = matchQuery{
	query: `
WITH m AS (
    (SELECT 1 AS rank, 'email' AS rule, id AS contact_id FROM contact
     WHERE kind = 'consumer' AND email_norm = $1
       AND (surname_norm IS NULL OR $2::text IS NULL OR surname_norm = $2)
       AND (forename_norm IS NULL OR $5::text IS NULL OR forename_norm = $5)
     ORDER BY id LIMIT 1)
    UNION ALL
    (SELECT 2, 'name_postcode', id FROM contact
     WHERE kind = 'consumer' AND surname_norm = $2 AND initial = $3 AND postcode_norm = $4
       AND (email_norm IS NULL OR $1::text IS NULL OR email_norm = $1)
       AND (forename_norm IS NULL OR $5::text IS NULL OR forename_norm = $5)
     ORDER BY id LIMIT 1)
)`,
	args: func(in *contact) []any {
		return []any{in.EmailNorm, in.SurnameNorm, in.Initial, in.PostcodeNorm, in.ForenameNorm}
	},
}

// A trader matches by company number, else by name and postcode, else by
// website (its key: the host, or the trader's own page on a site many
// traders share). Two traders with different company numbers are
// different businesses, whatever their names or websites say. The name
// must be written the same (spacing aside): one that differs only by legal
// form, "&", punctuation or case shares the index key name_norm but is a
// possible match for an officer, not a merge.
var traderMatch = matchQuery{
	query: `
WITH m AS (
    (SELECT 1 AS rank, 'company_number' AS rule, id AS contact_id FROM contact
     WHERE kind = 'trader' AND company_number = $1 AND company_number_valid
     ORDER BY id LIMIT 1)
    UNION ALL
    (SELECT 2, 'name_postcode', id FROM contact
     WHERE kind = 'trader' AND name_norm = $2 AND postcode_norm = $3
       AND regexp_replace(name, '\s+', ' ', 'g') = $5
       AND (company_number_valid IS NOT TRUE OR $1::text IS NULL)
     ORDER BY id LIMIT 1)
    UNION ALL
    (SELECT 3, 'website', id FROM contact
     WHERE kind = 'trader' AND website_host = $4
       AND (company_number_valid IS NOT TRUE OR $1::text IS NULL)
     ORDER BY id LIMIT 1)
)`,
	args: func(in *contact) []any {
		var name *string
		if in.Name != nil {
			name = optString(mapping.CollapseSpaces(*in.Name))
		}
		return []any{in.companyKey(), in.NameNorm, in.PostcodeNorm, in.WebsiteHost, name}
	},
}

// resolveContact links in to the existing contact it matches, filling in
// what that contact lacked, or creates a new one. It returns the contact's
// id and the rule that matched, and records the match in log. A contact it
// created is added to created, to be compared for possible matches once the
// request exists. in may be nil.
func (im *Import) resolveContact(ctx context.Context, in *contact, m matchQuery,
	log *auditLog, created *[]*contact) (*int64, *string, error) {
	id, rule, err := im.findOrCreateContact(ctx, in, m)
	if err != nil || id == nil {
		return id, rule, err
	}
	if *rule == ruleNew {
		in.ID = *id
		*created = append(*created, in)
	}
	log.add(auditMatch, "contact", *id, map[string]any{"kind": in.Kind, "rule": *rule})
	return id, rule, nil
}

// findOrCreateSQL completes a matchQuery: the contact it finds, or, when
// it finds none, the incoming contact inserted ($6 on, as insertArgs
// gives them). One statement keeps a contact to one round trip.
const findOrCreateSQL = `,
found AS (
    SELECT m.rule, ` + contactColumns + `
    FROM m JOIN contact ON contact.id = m.contact_id
    ORDER BY m.rank LIMIT 1
), made AS (
    INSERT INTO contact (kind, title, forename, surname, name, trading_as,
        company_number, address_lines, town, county, postcode, postcode_valid, uprn,
        telephone, email, website, email_norm, surname_norm, initial, postcode_norm,
        name_norm, website_host, phone_norm, forename_norm, company_number_valid)
    SELECT $6::text, $7::text, $8::text, $9::text, $10::text, $11::text,
        $12::text, $13::text[], $14::text, $15::text, $16::text, $17::boolean, $18::text,
        $19::text, $20::text, $21::text, $22::text, $23::text, $24::text, $25::text,
        $26::text, $27::text, $28::text, $29::text, $30::boolean
    WHERE NOT EXISTS (SELECT 1 FROM found)
    RETURNING ` + contactColumns + `
)
SELECT * FROM found
UNION ALL
SELECT '` + ruleNew + `', ` + contactColumns + ` FROM made`

// insertArgs are a new contact's values, in the order of findOrCreateSQL.
func (ct *contact) insertArgs() []any {
	return []any{ct.Kind, ct.Title, ct.Forename, ct.Surname, ct.Name, ct.TradingAs,
		ct.CompanyNumber, ct.AddressLines, ct.Town, ct.County, ct.Postcode,
		ct.PostcodeValid, ct.UPRN, ct.Telephone, ct.Email, ct.Website, ct.EmailNorm,
		ct.SurnameNorm, ct.Initial, ct.PostcodeNorm, ct.NameNorm, ct.WebsiteHost,
		ct.PhoneNorm, ct.ForenameNorm, ct.CompanyValid}
}

func (im *Import) findOrCreateContact(ctx context.Context, in *contact,
	m matchQuery) (*int64, *string, error) {
	if in == nil {
		return nil, nil, nil
	}

	var found struct {
		Rule string `db:"rule"`
		contact
	}
	err := im.tx.GetContext(ctx, &found, m.query+findOrCreateSQL,
		append(m.args(in), in.insertArgs()...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("match %s: %w", in.Kind, err)
	}
	if found.Rule == ruleNew {
		return &found.ID, &found.Rule, nil
	}
	if found.fillFrom(in) {
		if err := im.updateContact(ctx, &found.contact); err != nil {
			return nil, nil, err
		}
	}
	return &found.ID, &found.Rule, nil
}

const updateContactSQL = `
UPDATE contact SET
    title = :title, forename = :forename, surname = :surname, name = :name,
    trading_as = :trading_as, company_number = :company_number,
    address_lines = :address_lines, town = :town, county = :county,
    postcode = :postcode, postcode_valid = :postcode_valid, uprn = :uprn,
    telephone = :telephone, email = :email, website = :website,
    email_norm = :email_norm, surname_norm = :surname_norm, initial = :initial,
    postcode_norm = :postcode_norm, name_norm = :name_norm,
    website_host = :website_host, phone_norm = :phone_norm,
    forename_norm = :forename_norm, company_number_valid = :company_number_valid,
    updated_at = now()
WHERE id = :id`

func (im *Import) updateContact(ctx context.Context, ct *contact) error {
	if _, err := im.tx.NamedExecContext(ctx, updateContactSQL, ct); err != nil {
		return fmt.Errorf("update %s contact: %w", ct.Kind, err)
	}
	return nil
}
