package repository

import (
	"context"
	"encoding/json"
	"fmt"

	"cacsd/mapping"
)

// A sequence already recorded keeps its first version.
const insertVersionSQL = `
INSERT INTO case_version (service_request_id, update_sequence, import_file_id, content)
VALUES ($1, $2, $3, $4)
ON CONFLICT (service_request_id, update_sequence) DO NOTHING`

// insertVersion records c, as decoded, as a version of request id.
func (im *Import) insertVersion(ctx context.Context, id int64, c *mapping.Case) error {
	content, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode case version: %w", err)
	}
	_, err = im.tx.ExecContext(ctx, insertVersionSQL, id, c.UpdateSequence, im.fileID,
		string(content))
	if err != nil {
		return fmt.Errorf("insert case version: %w", err)
	}
	return nil
}
