package repository

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:generate go run ./internal/seedgen codes migrations/00002_code_lists.sql

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the schema up to date. Several daemons may start at once:
// a session-level advisory lock lets one migrate while the others wait for
// it (up to five minutes), then find nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// Probe every second, 300 times.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, s.db.DB, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// ErrNotMigrated means the database schema is older than this binary: the
// migrations have not been applied (cacsd migrate, or run without
// --no-migrate).
var ErrNotMigrated = errors.New("database schema not migrated")

// schemaVersion is the highest migration embedded in the binary.
var schemaVersion = latestMigration()

func latestMigration() int64 {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var latest int64
	for _, n := range names {
		num, _, _ := strings.Cut(path.Base(n), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			panic(fmt.Sprintf("migration %s: bad version", n))
		}
		latest = max(latest, v)
	}
	return latest
}

// CheckSchema returns nil when the database answers and holds every
// migration this binary knows, ErrNotMigrated when it is behind, and the
// connection error otherwise. It only reads, so a readiness probe may call
// it as often as it likes.
func (s *Store) CheckSchema(ctx context.Context) error {
	var v sql.NullInt64
	err := s.db.GetContext(ctx, &v, `
SELECT max(version_id) FROM goose_db_version WHERE is_applied`)
	if isUndefinedTable(err) {
		return ErrNotMigrated
	}
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v.Int64 < schemaVersion {
		return fmt.Errorf("%w: at version %d, want %d", ErrNotMigrated, v.Int64, schemaVersion)
	}
	return nil
}

// isUndefinedTable reports whether err says a table does not exist.
func isUndefinedTable(err error) bool {
	pe := pq.As(err)
	return pe != nil && pe.Code == "42P01"
}
