package repository

import (
	"bytes"
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// beginMerge starts the import of a new file and merges one new case, so
// that the import holds the merge lock.
func beginMerge(ctx context.Context, s *Store) (*Import, error) {
	data, f := content("lock.xml")
	im, err := s.Begin(ctx, f)
	if err != nil {
		return nil, err
	}
	if err := im.WriteEvidence(ctx, bytes.NewReader(data)); err != nil {
		im.Rollback()
		return nil, err
	}
	if _, err := im.Merge(ctx, testExport(), "2280", fullCase(uniq())); err != nil {
		im.Rollback()
		return nil, err
	}
	return im, nil
}

// An import waiting for the merge lock waits in turns, takes the lock when
// the holder commits, and leaves its transaction's lock_timeout and
// statement_timeout as they were. The database's statement_timeout, here
// shorter than the wait and than a turn, does not cut the wait short.
func TestMergeLockWait(t *testing.T) {
	lockWaitTurn = "150ms"
	t.Cleanup(func() { lockWaitTurn = "1min" })
	s := openStore(t)
	ctx := context.Background()
	u, err := url.Parse(testURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("options", "-c statement_timeout=100")
	u.RawQuery = q.Encode()
	waiter, err := Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { waiter.Close() })

	holder, err := beginMerge(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()

	done := make(chan error, 1)
	go func() {
		im, err := beginMerge(ctx, waiter)
		if err != nil {
			done <- err
			return
		}
		defer im.Rollback()
		var timeouts string
		if err := im.tx.GetContext(ctx, &timeouts, `SELECT current_setting('lock_timeout')
            || ' ' || current_setting('statement_timeout')`); err != nil {
			done <- err
			return
		}
		if want := rowLockTimeout + " 100ms"; timeouts != want {
			t.Errorf("lock_timeout and statement_timeout after the wait = %q, want %q",
				timeouts, want)
		}
		_, err = im.Commit(ctx, testExport(), "2280")
		done <- err
	}()

	// Several turns pass while the holder keeps the lock.
	select {
	case err := <-done:
		t.Fatalf("second import finished while the first held the merge lock: %v", err)
	case <-time.After(400 * time.Millisecond):
	}
	if _, err := holder.Commit(ctx, testExport(), "2280"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("second import: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("second import still waiting after the first committed")
	}
}

// A cancelled context stops a wait for the merge lock.
func TestMergeLockWaitCancelled(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	holder, err := beginMerge(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()

	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		im, err := beginMerge(wctx, s)
		if err == nil {
			im.Rollback()
		}
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("import merged while another held the merge lock")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("cancelled wait for the merge lock did not stop")
	}
}

// A request another session holds locked (an officer's tool in the middle
// of a change) makes an import that updates it give up after
// rowLockTimeout with a Transient error, its merge lock released, and the
// import succeeds once the row is free.
func TestRowLockTimeout(t *testing.T) {
	defer func(was string) { rowLockTimeout = was }(rowLockTimeout)
	rowLockTimeout = "200ms"
	s := openStore(t)
	ctx := context.Background()
	c := fullCase(uniq())
	importNew(t, s, c)
	up := *c
	up.UpdateSequence = 2

	officer := lockRequest(t, s, c.Reference)
	err := importAs(t, s, "2280", &up)
	if err == nil || !Transient(err) {
		t.Fatalf("update of a locked request: err = %v, want a Transient error", err)
	}
	// The merge lock went with the failed import: another import takes it.
	other, err := beginMerge(ctx, s)
	if err != nil {
		t.Fatalf("import after the timed-out one: %v", err)
	}
	other.Rollback()

	if err := officer.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := importAs(t, s, "2280", &up); err != nil {
		t.Fatalf("update once the row is free: %v", err)
	}
	if got := requestRow(t, s, c.Reference).UpdateSequence; got != 2 {
		t.Errorf("update_sequence = %d, want 2", got)
	}
}

// lockRequest holds the request of case ref locked in a transaction of its
// own, as an officer's tool in the middle of a change would, until the
// returned transaction ends (at the latest when the test does).
func lockRequest(t *testing.T, s *Store, ref string) *sqlx.Tx {
	t.Helper()
	tx, err := s.DB().BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	if _, err := tx.Exec(`SELECT id FROM service_request
        WHERE case_reference = $1 FOR UPDATE`, ref); err != nil {
		t.Fatal(err)
	}
	return tx
}
