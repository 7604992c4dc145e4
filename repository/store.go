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
	if err != nil {
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
