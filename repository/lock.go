package repository

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

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

// Lock waits poll instead of blocking in the server, so that no read waits
// longer than the connection's I/O timeout however long another import
// holds the lock, and a cancelled context stops the wait at once.
const (
	lockPollMin = 20 * time.Millisecond
	lockPollMax = time.Second
)

// idleInTransactionTimeout ends, on the server, a session whose client
// vanished (a daemon cut off by the network) in the middle of an import,
// so that its locks do not hold up every other import for hours.
const idleInTransactionTimeout = "2min"

// xactLock waits for the transaction advisory lock key; it is released at
// commit or rollback.
func xactLock(ctx context.Context, tx *sqlx.Tx, key int64) error {
	wait := lockPollMin
	for {
		var got bool
		err := tx.GetContext(ctx, &got, `SELECT pg_try_advisory_xact_lock($1)`, key)
		if err != nil {
			return fmt.Errorf("advisory lock: %w", err)
		}
		if got {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("advisory lock: %w", ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, lockPollMax)
	}
}
