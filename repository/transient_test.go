package repository

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
	"time"

	"github.com/lib/pq"
)

func TestTransient(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()

	// Real errors from PostgreSQL and the driver.
	closed, err := Open(ctx, testURL)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	_, closedErr := closed.Begin(ctx, infoOf("x", []byte("x")))

	_, refusedErr := Open(ctx, "postgres://postgres@127.0.0.1:1/x?sslmode=disable")

	terminatedErr := terminatedSession(t, s)

	uniqueErr := func() error {
		_, err := s.DB().ExecContext(ctx, `INSERT INTO custodian (custodian_code,
            authority_name) VALUES ('114', 'Duplicate')`)
		return err
	}()
	dataErr := func() error {
		_, err := s.DB().ExecContext(ctx, `SELECT 'not a date'::date`)
		return err
	}()
	undefinedErr := func() error {
		_, err := s.DB().ExecContext(ctx, `SELECT no_such_column FROM contact`)
		return err
	}()
	readOnlyErr := func() error {
		tx, err := s.DB().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		_, err = tx.ExecContext(ctx, `DELETE FROM contact WHERE id = 0`)
		return err
	}()
	readErr := func() error {
		_, f := content("unreadable.xml")
		im, err := s.Begin(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		defer im.Rollback()
		return im.WriteEvidence(ctx, iotest.ErrReader(errors.New("input/output error")))
	}()
	timeoutCtx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	_, timeoutErr := s.DB().ExecContext(timeoutCtx, `SELECT pg_sleep(1)`)

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"already imported", fmt.Errorf("x: %w", ErrAlreadyImported), false},
		{"closed store", closedErr, true},
		{"connection refused", refusedErr, true},
		{"backend terminated", terminatedErr, true},
		{"unique violation", uniqueErr, false},
		{"invalid date", dataErr, false},
		{"query timeout", timeoutErr, true},
		{"deadline", fmt.Errorf("merge: %w", context.DeadlineExceeded), true},
		{"bad conn", fmt.Errorf("x: %w", driver.ErrBadConn), true},
		{"unexpected eof", io.ErrUnexpectedEOF, true},
		{"serialization failure", &pq.Error{Code: "40001"}, true},
		{"deadlock", fmt.Errorf("x: %w", &pq.Error{Code: "40P01"}), true},
		{"disk full", &pq.Error{Code: "53100"}, true},
		{"too many connections", &pq.Error{Code: "53300"}, true},
		{"admin shutdown", &pq.Error{Code: "57P01"}, true},
		{"cannot connect now", &pq.Error{Code: "57P03"}, true},
		{"io error", &pq.Error{Code: "58030"}, true},
		{"connection failure", &pq.Error{Code: "08006"}, true},
		{"lock not available", &pq.Error{Code: "55P03"}, true},
		{"numeric out of range", &pq.Error{Code: "22003"}, false},
		{"check violation", &pq.Error{Code: "23514"}, false},
		{"no such column", undefinedErr, true},
		{"read-only server", readOnlyErr, true},
		{"no privilege", &pq.Error{Code: "42501"}, true},
		{"wrong password", &pq.Error{Code: "28P01"}, true},
		{"no such database", &pq.Error{Code: "3D000"}, true},
		{"starting up", errors.New("pq: the database system is starting up"), true},
		{"shutting down", errors.New("pq: the database system is shutting down"), true},
		{"evidence mismatch", fmt.Errorf("x: %w", ErrEvidenceMismatch), true},
		{"evidence unreadable", readErr, true},
		{"other", errors.New("something else"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil && tt.want {
				t.Fatal("test wants an error")
			}
			t.Logf("err: %v", tt.err)
			if got := Transient(tt.err); got != tt.want {
				t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// terminatedSession starts an import, has another session terminate its
// backend, and returns the error the import then meets.
func terminatedSession(t *testing.T, s *Store) error {
	t.Helper()
	ctx := context.Background()
	_, f := content("terminated.xml")
	im, err := s.Begin(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	var pid int
	if err := im.tx.GetContext(ctx, &pid, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	_, err = im.Merge(ctx, testExport(), "2280", fullCase(uniq()))
	if err == nil {
		t.Fatal("Merge on a terminated session: err = nil")
	}
	return err
}
