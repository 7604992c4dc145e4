package repository

import (
	"context"
	"fmt"
)

// The link and the case's audit events go in one statement, to keep a case
// to as few round trips as possible.
const linkFileSQL = `
WITH link AS (
    INSERT INTO service_request_file (service_request_id, import_file_id, action)
    VALUES ($4, $5, $8)
    ON CONFLICT (service_request_id, import_file_id) DO NOTHING
)
` + insertAuditSQL

// finishCase records that this import's file delivered a case of request
// id, and what it did to it (the file is evidence of that request), and
// writes the case's audit events.
func (im *Import) finishCase(ctx context.Context, id int64, act Action, log *auditLog) error {
	log.requestID = id
	args, err := log.args(&im.fileID, importActor(im.fileID))
	if err != nil {
		return err
	}
	if _, err := im.tx.ExecContext(ctx, linkFileSQL, append(args, string(act))...); err != nil {
		return fmt.Errorf("link file to request: %w", err)
	}
	return nil
}
