package repository

import (
	"context"
	"fmt"
	"slices"

	"github.com/lib/pq"

	"cacsd/mapping"
)

// premises is a row of the premises table.
type premises struct {
	ID              int64          `db:"id" json:"id"`
	UPRN            *string        `db:"uprn" json:"uprn"`
	AddressLines    pq.StringArray `db:"address_lines" json:"address_lines"`
	Town            *string        `db:"town" json:"town"`
	County          *string        `db:"county" json:"county"`
	Postcode        *string        `db:"postcode" json:"postcode"`
	Line1Norm       *string        `db:"line1_norm" json:"line1_norm"`
	TraderContactID *int64         `db:"trader_contact_id" json:"trader_contact_id"`
}

const premisesColumns = `id, uprn, address_lines, town, county, postcode, line1_norm,
    trader_contact_id`

// newPremises is the premises a trader's address describes, or nil when it
// has neither a first line nor a UPRN to find it by.
func newPremises(a *mapping.Address, traderID *int64) *premises {
	if a == nil {
		return nil
	}
	var line1 string
	if len(a.Lines) > 0 {
		line1 = mapping.NormalizeAddressLine(a.Lines[0])
	}
	if line1 == "" && a.UPRN == "" {
		return nil
	}
	return &premises{
		UPRN:            optString(a.UPRN),
		AddressLines:    pq.StringArray(slices.Clone(a.Lines)),
		Town:            optString(a.Town),
		County:          optString(a.County),
		Postcode:        optString(mapping.CanonicalPostcode(a.Postcode)),
		Line1Norm:       optString(line1),
		TraderContactID: traderID,
	}
}

// findOrCreatePremises adds to b the part of a case's statement that finds
// the premises in describes, by UPRN, else by normalised first line and
// postcode, else, without a postcode, by first line among the trader's
// premises with none (a first line such as "1 High Street" without a
// postcode is in any town); or, finding none, inserts them. A premises
// whose UPRN differs from the incoming one is another property that
// happens to share the first line and postcode. The table p holds made
// (whether it inserted them) and the premises' columns. trader is the SQL
// for the trader's id.
func findOrCreatePremises(b *stmtBuilder, p string, in *premises, trader string) {
	keys := map[string]any{"uprn": in.UPRN, "line1": in.Line1Norm, "postcode": in.Postcode}
	b.with(p+"_candidates", b.fill(`
    (SELECT 1 AS rank, `+premisesColumns+` FROM premises
     WHERE uprn = {uprn}
     ORDER BY id LIMIT 1)
    UNION ALL
    (SELECT 2, `+premisesColumns+` FROM premises
     WHERE line1_norm = {line1} AND postcode = {postcode} AND (uprn IS NULL OR {uprn}::text IS NULL)
     ORDER BY uprn NULLS LAST, id LIMIT 1)
    UNION ALL
    (SELECT 3, `+premisesColumns+` FROM premises
     WHERE {postcode}::text IS NULL AND line1_norm = {line1} AND postcode IS NULL
       AND trader_contact_id = `+trader+` AND (uprn IS NULL OR {uprn}::text IS NULL)
     ORDER BY uprn NULLS LAST, id LIMIT 1)`, keys))
	b.with(p+"_found", `
    SELECT `+premisesColumns+` FROM `+p+`_candidates ORDER BY rank LIMIT 1`)
	b.with(p+"_made", b.fill(`
    INSERT INTO premises (uprn, address_lines, town, county, postcode, line1_norm,
        trader_contact_id)
    SELECT {uprn}::text, coalesce(`+b.list(in.AddressLines, "text[]")+`, '{}'), `+
		b.list(in.Town, "text", in.County, "text")+`, {postcode}::text, {line1}::text, `+
		trader+`
    WHERE NOT EXISTS (SELECT 1 FROM `+p+`_found)
    RETURNING `+premisesColumns, keys))
	b.with(p, `
    SELECT false AS made, * FROM `+p+`_found
    UNION ALL
    SELECT true, * FROM `+p+`_made`)
}

// An address with neither a first line nor a UPRN cannot tell premises
// apart, so a trader with such an address (or none) has one premises of
// its own, "address unknown", per postcode it gave. addressUnknownPremises
// adds to b the part that finds those, or inserts them with the town and
// county: the table p, as findOrCreatePremises makes it. trader is the SQL
// for the trader's id.
func addressUnknownPremises(b *stmtBuilder, p string, a *mapping.Address, trader string) {
	var town, county, postcode *string
	if a != nil {
		town, county = optString(a.Town), optString(a.County)
		postcode = optString(mapping.CanonicalPostcode(a.Postcode))
	}
	pc := b.list(postcode, "text")
	b.with(p+"_found", `
    SELECT `+premisesColumns+` FROM premises
    WHERE trader_contact_id = `+trader+` AND uprn IS NULL AND line1_norm IS NULL
      AND postcode IS NOT DISTINCT FROM `+pc+`
    ORDER BY id
    LIMIT 1`)
	b.with(p+"_made", `
    INSERT INTO premises (address_lines, town, county, postcode, trader_contact_id)
    SELECT '{}', `+b.list(town, "text", county, "text")+`, `+pc+`, `+trader+`
    WHERE NOT EXISTS (SELECT 1 FROM `+p+`_found)
    RETURNING `+premisesColumns)
	b.with(p, `
    SELECT false AS made, * FROM `+p+`_found
    UNION ALL
    SELECT true, * FROM `+p+`_made`)
}

// foundPremises is premises as a case's statement found or made them.
type foundPremises struct {
	Made bool `json:"made"`
	premises
}

// settlePremises finishes the premises found for in (nil for a trader's
// "address unknown" premises): existing premises get what they lacked.
func (im *Import) settlePremises(ctx context.Context, in *premises, got *foundPremises) (*int64, error) {
	if in != nil && !got.Made && got.fillFrom(in) {
		if err := im.updatePremises(ctx, &got.premises); err != nil {
			return nil, err
		}
	}
	return &got.ID, nil
}

// fillFrom fills in what p lacks from in and reports whether it changed.
func (p *premises) fillFrom(in *premises) bool {
	changed := false
	if p.UPRN == nil && in.UPRN != nil {
		p.UPRN, changed = in.UPRN, true
	}
	if p.TraderContactID == nil && in.TraderContactID != nil {
		p.TraderContactID, changed = in.TraderContactID, true
	}
	if len(p.AddressLines) == 0 && p.Town == nil && p.County == nil && p.Postcode == nil {
		p.AddressLines, p.Town, p.County = in.AddressLines, in.Town, in.County
		p.Postcode, p.Line1Norm = in.Postcode, in.Line1Norm
		changed = true
	}
	return changed
}

const updatePremisesSQL = `
UPDATE premises SET
    uprn = :uprn, address_lines = :address_lines, town = :town, county = :county,
    postcode = :postcode, line1_norm = :line1_norm,
    trader_contact_id = :trader_contact_id, updated_at = now()
WHERE id = :id`

func (im *Import) updatePremises(ctx context.Context, p *premises) error {
	if _, err := im.tx.NamedExecContext(ctx, updatePremisesSQL, p); err != nil {
		return fmt.Errorf("update premises: %w", err)
	}
	return nil
}
