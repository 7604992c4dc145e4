package repository

import (
	"context"
	"fmt"
)

// duplicateWindowDays is how far apart two purchase dates may be for two
// cases with the same consumer and trader to be flagged as one complaint.
const duplicateWindowDays = 30

// maxDuplicates bounds the requests one case is flagged against (the most
// recent), so that a consumer who complains again and again about one
// trader costs each import a fixed amount, not one row per earlier case.
const maxDuplicates = 10

// Each pair is stored both ways so that each request carries its flag.
const flagDuplicatesSQL = `
WITH other AS (
    SELECT o.id FROM service_request o
    WHERE o.id <> $1 AND o.consumer_contact_id = $2 AND o.trader_contact_id = $3
      AND o.purchase_date BETWEEN $4::date - $5::int AND $4::date + $5::int
    ORDER BY o.id DESC
    LIMIT $7
), flagged AS (
    INSERT INTO possible_duplicate (service_request_id, other_request_id, import_file_id)
    SELECT $1, id, $6::bigint FROM other
    UNION ALL
    SELECT id, $1, $6::bigint FROM other
    ON CONFLICT DO NOTHING
    RETURNING service_request_id, other_request_id
)
SELECT other_request_id FROM flagged WHERE service_request_id = $1`

// flagDuplicates flags r and the other requests (the most recent
// maxDuplicates) with the same consumer and trader whose purchase date is
// within the window of r's: possibly the same complaint sent under two
// references. Nothing is merged.
func (im *Import) flagDuplicates(ctx context.Context, r *request, log *auditLog) error {
	if r.ConsumerContactID == nil || r.TraderContactID == nil || r.PurchaseDate == nil {
		return nil
	}
	var others []int64
	err := im.tx.SelectContext(ctx, &others, flagDuplicatesSQL, r.ID, *r.ConsumerContactID,
		*r.TraderContactID, *r.PurchaseDate, duplicateWindowDays, im.fileID, maxDuplicates)
	if err != nil {
		return fmt.Errorf("flag possible duplicates: %w", err)
	}
	for _, o := range others {
		log.add(auditDuplicate, "service_request", r.ID, map[string]any{
			"other_request_id": o, "decision": "not merged; flagged on both",
		})
	}
	return nil
}
