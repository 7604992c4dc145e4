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
	ID              int64          `db:"id"`
	UPRN            *string        `db:"uprn"`
	AddressLines    pq.StringArray `db:"address_lines"`
	Town            *string        `db:"town"`
	County          *string        `db:"county"`
	Postcode        *string        `db:"postcode"`
	Line1Norm       *string        `db:"line1_norm"`
	TraderContactID *int64         `db:"trader_contact_id"`
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

// findOrCreatePremisesSQL finds premises by UPRN ($1), else by normalised
// first line ($2) and postcode ($3), else, without a postcode, by first line
// among the trader's ($4) premises with none (a first line such as
// "1 High Street" without a postcode is in any town); or, finding none,
// inserts the incoming premises (its other columns $5 to $7). A premises
// whose UPRN differs from the incoming one is another property that
// happens to share the first line and postcode. One statement keeps the
// premises of a case to one round trip; made tells which it did.
const findOrCreatePremisesSQL = `
WITH candidates AS (
    (SELECT 1 AS rank, ` + premisesColumns + ` FROM premises
     WHERE uprn = $1
     ORDER BY id LIMIT 1)
    UNION ALL
    (SELECT 2, ` + premisesColumns + ` FROM premises
     WHERE line1_norm = $2 AND postcode = $3 AND (uprn IS NULL OR $1::text IS NULL)
     ORDER BY uprn NULLS LAST, id LIMIT 1)
    UNION ALL
    (SELECT 3, ` + premisesColumns + ` FROM premises
     WHERE $3::text IS NULL AND line1_norm = $2 AND postcode IS NULL
       AND trader_contact_id = $4 AND (uprn IS NULL OR $1::text IS NULL)
     ORDER BY uprn NULLS LAST, id LIMIT 1)
), found AS (
    SELECT ` + premisesColumns + ` FROM candidates ORDER BY rank LIMIT 1
), made AS (
    INSERT INTO premises (uprn, address_lines, town, county, postcode, line1_norm,
        trader_contact_id)
    SELECT $1::text, coalesce($5::text[], '{}'), $6::text, $7::text, $3::text, $2::text, $4::bigint
    WHERE NOT EXISTS (SELECT 1 FROM found)
    RETURNING ` + premisesColumns + `
)
SELECT false AS made, * FROM found
UNION ALL
SELECT true, * FROM made`

// resolvePremises links a trader's address to premises by UPRN, else by
// normalised first line and postcode (without a postcode, the same
// trader's premises with that first line), or creates new premises. It
// returns nil when the address cannot identify premises.
func (im *Import) resolvePremises(ctx context.Context, a *mapping.Address,
	traderID *int64) (*int64, error) {
	in := newPremises(a, traderID)
	if in == nil {
		return im.addressUnknownPremises(ctx, a, traderID)
	}

	var found struct {
		Made bool `db:"made"`
		premises
	}
	err := im.tx.GetContext(ctx, &found, findOrCreatePremisesSQL, in.UPRN, in.Line1Norm,
		in.Postcode, traderID, in.AddressLines, in.Town, in.County)
	if err != nil {
		return nil, fmt.Errorf("match premises: %w", err)
	}
	if !found.Made && found.fillFrom(in) {
		if err := im.updatePremises(ctx, &found.premises); err != nil {
			return nil, err
		}
	}
	return &found.ID, nil
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

// An address with neither a first line nor a UPRN cannot tell premises
// apart, so a trader ($1) with such an address (or none) has one premises
// of its own, "address unknown", per postcode it gave ($2): found, or
// inserted with the town and county ($3, $4).
const addressUnknownPremisesSQL = `
WITH found AS (
    SELECT id FROM premises
    WHERE trader_contact_id = $1 AND uprn IS NULL AND line1_norm IS NULL
      AND postcode IS NOT DISTINCT FROM $2::text
    ORDER BY id
    LIMIT 1
), made AS (
    INSERT INTO premises (address_lines, town, county, postcode, trader_contact_id)
    SELECT '{}', $3::text, $4::text, $2::text, $1::bigint
    WHERE NOT EXISTS (SELECT 1 FROM found)
    RETURNING id
)
SELECT id FROM found
UNION ALL
SELECT id FROM made`

// addressUnknownPremises links a trader whose address cannot identify
// premises to its "address unknown" premises, creating them, so that every
// request about a trader has premises. It returns nil with no trader.
func (im *Import) addressUnknownPremises(ctx context.Context, a *mapping.Address,
	traderID *int64) (*int64, error) {
	if traderID == nil {
		return nil, nil
	}
	var town, county, postcode *string
	if a != nil {
		town, county = optString(a.Town), optString(a.County)
		postcode = optString(mapping.CanonicalPostcode(a.Postcode))
	}
	var id int64
	err := im.tx.GetContext(ctx, &id, addressUnknownPremisesSQL, traderID, postcode,
		town, county)
	if err != nil {
		return nil, fmt.Errorf("match premises: %w", err)
	}
	return &id, nil
}
