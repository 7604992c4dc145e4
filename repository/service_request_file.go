package repository

import (
	"context"
	"fmt"
)

const linkFileSQL = `
INSERT INTO service_request_file (service_request_id, import_file_id, action)
VALUES ($1, $2, $3)
ON CONFLICT (service_request_id, import_file_id) DO NOTHING`

// linkFile records that this import's file delivered a case of request
// id, and what it did to it: the file is evidence of that request.
func (im *Import) linkFile(ctx context.Context, id int64, act Action) error {
	if _, err := im.tx.ExecContext(ctx, linkFileSQL, id, im.fileID, string(act)); err != nil {
		return fmt.Errorf("link file to request: %w", err)
	}
	return nil
}
