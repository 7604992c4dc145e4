package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"cacsd/mapping"
)

const insertNotesSQL = `
INSERT INTO service_request_note (service_request_id, position, at, text)
SELECT $1, u.position, NULLIF(u.at, '')::timestamptz, u.body
FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS u (at, body, position)`

// insertNotes stores a request's notes, in order, in one statement.
func (im *Import) insertNotes(ctx context.Context, id int64, notes []mapping.Note) error {
	if len(notes) == 0 {
		return nil
	}
	at := make([]string, len(notes))
	body := make([]string, len(notes))
	for i, n := range notes {
		if n.At != nil {
			at[i] = n.At.UTC().Format(time.RFC3339Nano)
		}
		body[i] = n.Text
	}
	_, err := im.tx.ExecContext(ctx, insertNotesSQL, id,
		pq.StringArray(at), pq.StringArray(body))
	if err != nil {
		return fmt.Errorf("insert notes: %w", err)
	}
	return nil
}
