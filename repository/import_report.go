package repository

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ImportRecord is one row of import_file as status reports it: what was
// decided about a file, without its evidence or problems.
type ImportRecord struct {
	At        time.Time `db:"imported_at" json:"at"`
	File      string    `db:"file_name" json:"file"`
	SHA256    string    `db:"sha256" json:"sha256"`
	Size      int64     `db:"size_bytes" json:"size_bytes"`
	Status    string    `db:"status" json:"status"`
	Cases     int       `db:"case_count" json:"cases"`
	Created   int       `db:"created_count" json:"created"`
	Updated   int       `db:"updated_count" json:"updated"`
	Unchanged int       `db:"unchanged_count" json:"unchanged"`
	Unknown   int       `db:"unknown_code_count" json:"unknown_codes"`
	Custodian string    `db:"custodian_code" json:"custodian,omitempty"`
}

const recentImportsSQL = `
SELECT imported_at, file_name, sha256, size_bytes, status, case_count,
       created_count, updated_count, unchanged_count, unknown_code_count,
       coalesce(custodian_code, '') AS custodian_code
FROM import_file
ORDER BY imported_at DESC, id DESC
LIMIT $1`

// RecentImports returns the last n files decided on, newest first.
func (s *Store) RecentImports(ctx context.Context, n int) ([]ImportRecord, error) {
	recs := []ImportRecord{}
	if err := s.db.SelectContext(ctx, &recs, recentImportsSQL, n); err != nil {
		return nil, fmt.Errorf("recent imports: %w", err)
	}
	return recs, nil
}

// LastSuccess returns when a file was last imported by any daemon sharing
// the database, or the zero time when none ever was.
func (s *Store) LastSuccess(ctx context.Context) (time.Time, error) {
	var t sql.NullTime
	err := s.db.GetContext(ctx, &t,
		`SELECT max(imported_at) FROM import_file WHERE status = 'imported'`)
	if err != nil {
		return time.Time{}, fmt.Errorf("last import: %w", err)
	}
	return t.Time, nil
}
