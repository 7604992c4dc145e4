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
	ID            int64   `db:"id" json:"id"`
	Kind          string  `db:"kind" json:"kind"`
	Title         *string `db:"title" json:"title"`
	Forename      *string `db:"forename" json:"forename"`
	Surname       *string `db:"surname" json:"surname"`
	Name          *string `db:"name" json:"name"`
	TradingAs     *string `db:"trading_as" json:"trading_as"`
	CompanyNumber *string `db:"company_number" json:"company_number"`
	// CompanyValid is false for a number kept as written, which is never
	// matched on; nil with no number.
	CompanyValid  *bool          `db:"company_number_valid" json:"company_number_valid"`
	AddressLines  pq.StringArray `db:"address_lines" json:"address_lines"`
	Town          *string        `db:"town" json:"town"`
	County        *string        `db:"county" json:"county"`
	Postcode      *string        `db:"postcode" json:"postcode"`
	PostcodeValid *bool          `db:"postcode_valid" json:"postcode_valid"`
	UPRN          *string        `db:"uprn" json:"uprn"`
	Telephone     *string        `db:"telephone" json:"telephone"`
	Email         *string        `db:"email" json:"email"`
	Website       *string        `db:"website" json:"website"`
	EmailNorm     *string        `db:"email_norm" json:"email_norm"`
	SurnameNorm   *string        `db:"surname_norm" json:"surname_norm"`
	Initial       *string        `db:"initial" json:"initial"`
	ForenameNorm  *string        `db:"forename_norm" json:"forename_norm"`
	PostcodeNorm  *string        `db:"postcode_norm" json:"postcode_norm"`
	NameNorm      *string        `db:"name_norm" json:"name_norm"`
	WebsiteHost   *string        `db:"website_host" json:"website_host"`
	PhoneNorm     *string        `db:"phone_norm" json:"phone_norm"`
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

// A matchQuery finds the existing contact an incoming one matches: each
// rule's first candidate, the strongest rule first. A rule whose keys the
// incoming contact lacks compares with NULL and finds nothing. query lists
// the candidates (rank, rule, contact_id); its {key} marks are the
// incoming contact's keys, as keys gives them.
type matchQuery struct {
	query string
	keys  func(in *contact) map[string]any
}

// A consumer matches by email, else by surname, initial and postcode. A
// match that another identifier contradicts is a guess, and is left to
// the possible matches: the same email under another surname or forename
// (a shared household address), or the same surname, initial and postcode
// with another forename or email (two people of one household: John and
// Jane Smith). An initial alone ("M Example") agrees with any forename.
var consumerMatch = matchQuery{
	query: `
    (SELECT 1 AS rank, 'email' AS rule, id AS contact_id FROM contact
     WHERE kind = 'consumer' AND email_norm = {email}
       AND (surname_norm IS NULL OR {surname}::text IS NULL OR surname_norm = {surname})
       AND (forename_norm IS NULL OR {forename}::text IS NULL OR forename_norm = {forename})
     ORDER BY id LIMIT 1)
    UNION ALL
    (SELECT 2, 'name_postcode', id FROM contact
     WHERE kind = 'consumer' AND surname_norm = {surname} AND initial = {initial}
       AND postcode_norm = {postcode}
       AND (email_norm IS NULL OR {email}::text IS NULL OR email_norm = {email})
       AND (forename_norm IS NULL OR {forename}::text IS NULL OR forename_norm = {forename})
     ORDER BY id LIMIT 1)`,
	keys: func(in *contact) map[string]any {
		return map[string]any{"email": in.EmailNorm, "surname": in.SurnameNorm,
			"initial": in.Initial, "postcode": in.PostcodeNorm, "forename": in.ForenameNorm}
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
    (SELECT 1 AS rank, 'company_number' AS rule, id AS contact_id FROM contact
     WHERE kind = 'trader' AND company_number = {company} AND company_number_valid
     ORDER BY id LIMIT 1)
    UNION ALL
    (SELECT 2, 'name_postcode', id FROM contact
     WHERE kind = 'trader' AND name_norm = {name_norm} AND postcode_norm = {postcode}
       AND regexp_replace(name, '\s+', ' ', 'g') = {name}
       AND (company_number_valid IS NOT TRUE OR {company}::text IS NULL)
     ORDER BY id LIMIT 1)
    UNION ALL
    (SELECT 3, 'website', id FROM contact
     WHERE kind = 'trader' AND website_host = {website}
       AND (company_number_valid IS NOT TRUE OR {company}::text IS NULL)
     ORDER BY id LIMIT 1)`,
	keys: func(in *contact) map[string]any {
		var name *string
		if in.Name != nil {
			name = optString(mapping.CollapseSpaces(*in.Name))
		}
		return map[string]any{"company": in.companyKey(), "name_norm": in.NameNorm,
			"postcode": in.PostcodeNorm, "website": in.WebsiteHost, "name": name}
	},
}

// findOrCreate adds to b the part of a case's statement that finds the
// contact in matches, or inserts it when none does: the table p (rule, then
// the contact's columns), of one row. p is the part's name, which prefixes
// its other tables.
func (m matchQuery) findOrCreate(b *stmtBuilder, p string, in *contact) {
	b.with(p+"_m", b.fill(m.query, m.keys(in)))
	b.with(p+"_found", `
    SELECT m.rule, `+contactColumns+`
    FROM `+p+`_m m JOIN contact ON contact.id = m.contact_id
    ORDER BY m.rank LIMIT 1`)
	b.with(p+"_made", `
    INSERT INTO contact (kind, title, forename, surname, name, trading_as,
        company_number, address_lines, town, county, postcode, postcode_valid, uprn,
        telephone, email, website, email_norm, surname_norm, initial, postcode_norm,
        name_norm, website_host, phone_norm, forename_norm, company_number_valid)
    SELECT `+b.list(
		in.Kind, "text", in.Title, "text", in.Forename, "text", in.Surname, "text",
		in.Name, "text", in.TradingAs, "text", in.CompanyNumber, "text",
		in.AddressLines, "text[]", in.Town, "text", in.County, "text",
		in.Postcode, "text", in.PostcodeValid, "boolean", in.UPRN, "text",
		in.Telephone, "text", in.Email, "text", in.Website, "text",
		in.EmailNorm, "text", in.SurnameNorm, "text", in.Initial, "text",
		in.PostcodeNorm, "text", in.NameNorm, "text", in.WebsiteHost, "text",
		in.PhoneNorm, "text", in.ForenameNorm, "text", in.CompanyValid, "boolean")+`
    WHERE NOT EXISTS (SELECT 1 FROM `+p+`_found)
    RETURNING `+contactColumns)
	b.with(p, `
    SELECT * FROM `+p+`_found
    UNION ALL
    SELECT '`+ruleNew+`', `+contactColumns+` FROM `+p+`_made`)
}

// matched is a contact as a case's statement found or made it.
type matched struct {
	Rule string `json:"rule"`
	contact
}

// settleContact finishes the contact found for in: a new one goes on
// created, to be compared for possible matches once the request exists; an
// existing one gets what it lacked from in. It returns the contact's id
// and rule, and records the match in log.
func (im *Import) settleContact(ctx context.Context, in *contact, got *matched,
	log *auditLog, created *[]*contact) (*int64, *string, error) {
	if got.Rule == ruleNew {
		in.ID = got.ID
		*created = append(*created, in)
	} else if got.fillFrom(in) {
		if err := im.updateContact(ctx, &got.contact); err != nil {
			return nil, nil, err
		}
	}
	log.add(auditMatch, "contact", got.ID, map[string]any{"kind": in.Kind, "rule": got.Rule})
	return &got.ID, &got.Rule, nil
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
