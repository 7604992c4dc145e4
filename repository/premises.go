package repository

import (
	"context"
	"database/sql"
	"errors"
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

const premisesByUPRNSQL = `SELECT ` + premisesColumns + `
FROM premises WHERE uprn = $1`

// A premises whose UPRN differs from the incoming one is another property
// that happens to share the first line and postcode.
const premisesByLine1SQL = `SELECT ` + premisesColumns + `
FROM premises
WHERE line1_norm = $1 AND postcode = $2 AND (uprn IS NULL OR $3::text IS NULL)
ORDER BY uprn NULLS LAST, id
LIMIT 1`

// Without a postcode a first line ("1 High Street") is in any town, so it
// finds only premises of the same trader with that line and no postcode.
const premisesByLine1NoPostcodeSQL = `SELECT ` + premisesColumns + `
FROM premises
WHERE line1_norm = $1 AND postcode IS NULL AND trader_contact_id = $2
  AND (uprn IS NULL OR $3::text IS NULL)
ORDER BY uprn NULLS LAST, id
LIMIT 1`

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

	var found premises
	err := sql.ErrNoRows
	if in.UPRN != nil {
		err = im.tx.GetContext(ctx, &found, premisesByUPRNSQL, in.UPRN)
	}
	switch {
	case !errors.Is(err, sql.ErrNoRows) || in.Line1Norm == nil:
	case in.Postcode != nil:
		err = im.tx.GetContext(ctx, &found, premisesByLine1SQL,
			in.Line1Norm, in.Postcode, in.UPRN)
	case traderID != nil:
		err = im.tx.GetContext(ctx, &found, premisesByLine1NoPostcodeSQL,
			in.Line1Norm, traderID, in.UPRN)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return im.insertPremises(ctx, in)
	case err != nil:
		return nil, fmt.Errorf("match premises: %w", err)
	}

	if found.fillFrom(in) {
		if err := im.updatePremises(ctx, &found); err != nil {
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

const insertPremisesSQL = `
INSERT INTO premises (uprn, address_lines, town, county, postcode, line1_norm,
    trader_contact_id)
VALUES (:uprn, :address_lines, :town, :county, :postcode, :line1_norm,
    :trader_contact_id)
RETURNING id`

func (im *Import) insertPremises(ctx context.Context, p *premises) (*int64, error) {
	if p.AddressLines == nil {
		p.AddressLines = pq.StringArray{}
	}
	var id int64
	if err := im.tx.namedGet(ctx, &id, insertPremisesSQL, p); err != nil {
		return nil, fmt.Errorf("insert premises: %w", err)
	}
	return &id, nil
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
// apart, so a trader with such an address (or none) has one premises of
// its own, "address unknown", per postcode it gave.
const addressUnknownPremisesSQL = `SELECT ` + premisesColumns + `
FROM premises
WHERE trader_contact_id = $1 AND uprn IS NULL AND line1_norm IS NULL
  AND postcode IS NOT DISTINCT FROM $2
ORDER BY id
LIMIT 1`

// addressUnknownPremises links a trader whose address cannot identify
// premises to its "address unknown" premises, creating them, so that every
// request about a trader has premises. It returns nil with no trader.
func (im *Import) addressUnknownPremises(ctx context.Context, a *mapping.Address,
	traderID *int64) (*int64, error) {
	if traderID == nil {
		return nil, nil
	}
	in := &premises{AddressLines: pq.StringArray{}, TraderContactID: traderID}
	if a != nil {
		in.Town, in.County = optString(a.Town), optString(a.County)
		in.Postcode = optString(mapping.CanonicalPostcode(a.Postcode))
	}
	var found premises
	err := im.tx.GetContext(ctx, &found, addressUnknownPremisesSQL, traderID, in.Postcode)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return im.insertPremises(ctx, in)
	case err != nil:
		return nil, fmt.Errorf("match premises: %w", err)
	}
	return &found.ID, nil
}
