package repository

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// mergeLockID is the transaction advisory lock that serialises the merging
// of different files. Matching reads contacts and premises and then writes
// them; two files merged at once could both create the same new consumer.
// One lock per key would fill PostgreSQL's lock table on a large file, so
// the whole merge phase takes this single lock instead. The value is
// "cacsdmg" in ASCII.
const mergeLockID int64 = 0x6361637364_6d67

// fileLockKey turns a file's SHA-256 (hex) into its advisory lock key: the
// first eight bytes of the hash. It fails on anything but 64 hex digits.
func fileLockKey(sha string) (int64, error) {
	b, err := hex.DecodeString(sha)
	if err != nil || len(b) != 32 {
		return 0, fmt.Errorf("bad sha256 %q: want 64 hex digits", sha)
	}
	return int64(binary.BigEndian.Uint64(b[:8])), nil
}

// lockWaitTurn bounds each wait for a lock in the server: well within the
// connection's I/O timeout, however long another import holds the lock.
// A wait runs turn after turn until the lock is free. Tests shorten it.
var lockWaitTurn = "1min"

// rowLockTimeout bounds an import's wait for a row another session holds
// locked: an officer's tool in the middle of changing a request or a
// contact the file updates. Past it the import fails with lock_not_available,
// which is Transient, and the file is tried again later, rather than
// waiting past the connection's I/O timeout with the merge lock held,
// which would leave the server still waiting, and every import behind it,
// after the client had given up. It is short because each try of the
// held-up file keeps the merge lock from every other file while it waits.
// Tests shorten it.
var rowLockTimeout = "10s"

// idleInTransactionTimeout ends, on the server, a session whose client
// vanished (a daemon cut off by the network) in the middle of an import,
// so that its locks do not hold up every other import for hours.
const idleInTransactionTimeout = "2min"

// xactLock waits for the transaction advisory lock key; it is released at
// commit or rollback. A free lock takes one round trip. A held one is
// waited for in the server, so that the import holding it hands it over
// the moment it ends, in turns of lockWaitTurn, each in a savepoint that
// undoes a turn that timed out. A cancelled context cancels the wait.
func xactLock(ctx context.Context, tx *sqlx.Tx, key int64) error {
	var got bool
	err := tx.GetContext(ctx, &got, `SELECT pg_try_advisory_xact_lock($1)`, key)
	if err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	for !got {
		if got, err = waitTurn(ctx, tx, key); err != nil {
			return fmt.Errorf("advisory lock: %w", err)
		}
	}
	return nil
}

// waitTurn waits up to lockWaitTurn for the lock key and reports whether it
// has it. For the turn, lock_timeout bounds the wait and statement_timeout
// is lifted, so that a database's statement_timeout shorter than the turn
// does not cancel it; both are put back afterwards either way.
func waitTurn(ctx context.Context, tx *sqlx.Tx, key int64) (bool, error) {
	var was struct {
		Lock      string `db:"lock"`
		Statement string `db:"statement"`
		SetLock   string `db:"set_lock"`
		SetStmt   string `db:"set_statement"`
	}
	err := tx.GetContext(ctx, &was, `
SELECT current_setting('lock_timeout') AS lock,
    current_setting('statement_timeout') AS statement,
    set_config('lock_timeout', $1, true) AS set_lock,
    set_config('statement_timeout', '0', true) AS set_statement`, lockWaitTurn)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT cacsd_lock_wait`); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, key)
	got := err == nil
	switch {
	case got:
	case LockNotAvailable(err):
		_, err = tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT cacsd_lock_wait`)
		if err != nil {
			return false, err
		}
	default:
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT cacsd_lock_wait`); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `
SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)`,
		was.Lock, was.Statement)
	return got, err
}
