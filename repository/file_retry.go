package repository

import (
	"context"
	"fmt"
	"strings"
)

// Retry records a failed file sent back to the inbox.
type Retry struct {
	File   string // base name in failed/
	SHA256 string // from the failure report; empty when there was none
	Reason string // why it had failed, from the report
	Report []byte // the report itself (JSON), kept since its file is removed
}

const insertRetrySQL = `
INSERT INTO file_retry (file_name, sha256, reason, report)
VALUES ($1, $2, $3, $4)`

// RecordRetry runs move inside a transaction that records r, and commits
// only when move succeeds: a retry is recorded if and only if it happened,
// unless the commit itself fails after the move.
func (s *Store) RecordRetry(ctx context.Context, r Retry, move func() error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record retry: %w", err)
	}
	defer tx.Rollback()

	var report any
	if len(r.Report) > 0 {
		report = string(r.Report)
	}
	_, err = tx.ExecContext(ctx, insertRetrySQL, storableName(r.File),
		nullString(strings.ToLower(r.SHA256)), r.Reason, report)
	if err != nil {
		return fmt.Errorf("record retry: %w", err)
	}
	if err := move(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record retry: %w", err)
	}
	return nil
}
