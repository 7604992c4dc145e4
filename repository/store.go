// Package repository owns the PostgreSQL schema, the import transaction,
// matching and merging. It takes mapping values and knows no files.
//
// A file is imported in one transaction: Begin takes a lock on the file's
// hash and checks it was not imported before, WriteEvidence keeps the
// original bytes, Merge folds each case into the service requests, and
// Commit records the file. Any error before Commit is followed by Rollback,
// so a file is written entirely or not at all.
package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Store is a pool of connections to the cacsd database. It is safe for
// concurrent use.
type Store struct {
	db    *sqlx.DB
	stmts *statements      // the import's statements, prepared on the pool
	now   func() time.Time // the clock; tests replace it
}

// Open connects to the database at dsn (a lib/pq URL or key=value string)
// and checks that it answers.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pq.NewConfig(dsn)
	if err != nil || URLMisread(dsn) {
		// The parser's message quotes the text it could not read, which
		// may be part of the password: a password with a "%", "/" or "@"
		// not percent-encoded is read as something else.
		return nil, errBadDSN
	}
	// A statement with parameters then takes one round trip rather than
	// two (parse, then bind and execute). Every []byte the package sends
	// is bytea data, which this mode sends as binary.
	cfg.BinaryParameters = true
	conn, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	conn.Dialer(newDialer())
	db := sqlx.NewDb(sql.OpenDB(conn), "postgres")
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return &Store{db: db, stmts: newStatements(db), now: time.Now}, nil
}

// URLMisread reports whether dsn is a postgres:// URL that parses, but not
// as its writer meant: a password with a "/", "?" or "#" not
// percent-encoded, after digits, reads as a port followed by a path, a
// query or a fragment, and the password then stands in the database name
// or a parameter, where a log line or the server's reply would show it.
// Such a URL has an "@" with no user part before it.
func URLMisread(dsn string) bool {
	lower := strings.ToLower(dsn)
	if !strings.HasPrefix(lower, "postgres://") && !strings.HasPrefix(lower, "postgresql://") {
		return false
	}
	u, err := url.Parse(dsn)
	if err != nil || strings.Contains(dsn, "#") {
		return true
	}
	if u.User != nil {
		return false
	}
	// An "@" in a query value (user=name@server) is meant; one in the
	// path or a parameter's name is a user part that was not read as one.
	if strings.Contains(u.EscapedPath(), "@") {
		return true
	}
	for k := range u.Query() {
		if strings.Contains(k, "@") {
			return true
		}
	}
	return false
}

var errBadDSN = errors.New("the connection string cannot be read " +
	"(not shown: it may hold the password); check its form, and that a URL's " +
	"password has its special characters percent-encoded")

// Close closes the pool. Imports still open fail.
func (s *Store) Close() error {
	s.stmts.close()
	return s.db.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// DB returns the underlying pool, for tests and tools.
func (s *Store) DB() *sqlx.DB {
	return s.db
}
