package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Request states. A council's case system closes a request with
// `cacsd close` or an UPDATE of status; retention counts from closed_at.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

const lockStatusSQL = `
SELECT status FROM service_request WHERE source = $1 AND case_reference = $2
FOR UPDATE`

const setStatusSQL = `
UPDATE service_request SET status = $3, updated_at = now()
WHERE source = $1 AND case_reference = $2`

// SetStatus opens or closes the request with reference ref on behalf of
// actor, who is recorded in the audit trail. It reports whether the status
// changed, and returns ErrNotFound when there is no such request.
func (s *Store) SetStatus(ctx context.Context, ref, status, actor string) (bool, error) {
	if status != StatusOpen && status != StatusClosed {
		return false, fmt.Errorf("set status: unknown status %q", status)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("set status: %w", err)
	}
	defer tx.Rollback()

	// The status trigger reads the actor from this setting.
	if _, err := tx.ExecContext(ctx, `SELECT set_config('cacsd.actor', $1, true)`,
		actor); err != nil {
		return false, fmt.Errorf("set status: %w", err)
	}
	var before string
	err = tx.GetContext(ctx, &before, lockStatusSQL, sourceCACS, ref)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, fmt.Errorf("set status: %w", err)
	}
	if before == status {
		return false, nil
	}
	_, err = tx.ExecContext(ctx, setStatusSQL, sourceCACS, ref, status)
	if err != nil {
		return false, fmt.Errorf("set status: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("set status: %w", err)
	}
	return true, nil
}
