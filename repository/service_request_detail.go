package repository

import (
	"context"
	"fmt"

	"cacsd/mapping"
)

// writeDetails writes a request's complaint codes, agencies and notes,
// replacing any it had. The new ones wait for the next flush.
func (im *Import) writeDetails(ctx context.Context, id int64, c *mapping.Case,
	replace bool) error {
	if replace {
		if err := im.deleteDetails(ctx, id); err != nil {
			return err
		}
	}
	im.insertDetails(id, c)
	return nil
}

const deleteDetailsSQL = `
WITH codes AS (
    DELETE FROM service_request_code WHERE service_request_id = $1
), agencies AS (
    DELETE FROM service_request_agency WHERE service_request_id = $1
)
DELETE FROM service_request_note WHERE service_request_id = $1`

func (im *Import) deleteDetails(ctx context.Context, id int64) error {
	if _, err := im.tx.ExecContext(ctx, deleteDetailsSQL, id); err != nil {
		return fmt.Errorf("delete request details: %w", err)
	}
	return nil
}
