package repository

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// statements holds the import's statements prepared on the pool, so that
// each is parsed once per connection rather than once per use. After a
// few runs PostgreSQL also keeps a generic plan for it, and a case no
// longer pays for planning its statements. It is safe for concurrent use.
type statements struct {
	db *sqlx.DB
	mu sync.Mutex
	m  map[string]*sqlx.Stmt
}

func newStatements(db *sqlx.DB) *statements {
	return &statements{db: db, m: map[string]*sqlx.Stmt{}}
}

// get returns query prepared on the pool, preparing it the first time.
func (s *statements) get(ctx context.Context, query string) (*sqlx.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.m[query]; ok {
		return st, nil
	}
	st, err := s.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare statement: %w", err)
	}
	s.m[query] = st
	return st, nil
}

// close closes every statement prepared, so that each is prepared afresh
// on its next use.
func (s *statements) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q, st := range s.m {
		st.Close()
		delete(s.m, q)
	}
}

// preparedTx is a transaction whose ExecContext, GetContext,
// SelectContext and NamedExecContext run prepared statements: each query
// text is bound to the transaction's connection once, and prepared on that
// connection only the first time any transaction there runs it. Other
// methods are the embedded transaction's.
type preparedTx struct {
	*sqlx.Tx
	pool  *statements
	stmts map[string]*sqlx.Stmt // this transaction's, by query text
}

func newPreparedTx(tx *sqlx.Tx, pool *statements) *preparedTx {
	return &preparedTx{Tx: tx, pool: pool, stmts: map[string]*sqlx.Stmt{}}
}

// stmt is query bound to the transaction. Binding once per transaction
// matters: database/sql keeps every statement bound to a transaction
// until it ends, and a large file runs the same few queries many times.
func (tx *preparedTx) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if st, ok := tx.stmts[query]; ok {
		return st, nil
	}
	parent, err := tx.pool.get(ctx, query)
	if err != nil {
		return nil, err
	}
	st := tx.StmtxContext(ctx, parent)
	tx.stmts[query] = st
	return st, nil
}

func (tx *preparedTx) ExecContext(ctx context.Context, query string,
	args ...any) (sql.Result, error) {
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(ctx, args...)
	return res, tx.check(err)
}

func (tx *preparedTx) GetContext(ctx context.Context, dest any, query string,
	args ...any) error {
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return err
	}
	return tx.check(st.GetContext(ctx, dest, args...))
}

func (tx *preparedTx) SelectContext(ctx context.Context, dest any, query string,
	args ...any) error {
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return err
	}
	return tx.check(st.SelectContext(ctx, dest, args...))
}

// check turns the error of a statement that has gone stale into a
// *StaleStatementError: a migration changed what it returns (another
// daemon, upgraded, migrated the database while this one ran), or its
// connection no longer has it. Every statement is forgotten, since the
// change may have touched others, and is prepared afresh on its next use.
// The transaction is lost, but a retry succeeds.
func (tx *preparedTx) check(err error) error {
	pe := pq.As(err)
	if pe == nil {
		return err
	}
	if pe.Code == "26000" || // invalid_sql_statement_name: no such prepared statement
		pe.Code == "0A000" && strings.Contains(pe.Message, "cached plan must not change") {
		tx.pool.close()
		return &StaleStatementError{err: err}
	}
	return err
}

// StaleStatementError is an import statement that had gone stale. It is
// Transient: the statement is prepared afresh on the next try.
type StaleStatementError struct {
	err error
}

func (e *StaleStatementError) Error() string {
	return "statement prepared before a schema change: " + e.err.Error()
}

func (e *StaleStatementError) Unwrap() error { return e.err }

func (tx *preparedTx) NamedExecContext(ctx context.Context, query string,
	arg any) (sql.Result, error) {
	q, args, err := tx.BindNamed(query, arg)
	if err != nil {
		return nil, err
	}
	return tx.ExecContext(ctx, q, args...)
}

// namedGet runs a named query that returns one row into dest.
func (tx *preparedTx) namedGet(ctx context.Context, dest any, query string,
	arg any) error {
	q, args, err := tx.BindNamed(query, arg)
	if err != nil {
		return err
	}
	return tx.GetContext(ctx, dest, q, args...)
}
