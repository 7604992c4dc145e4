package repository

import (
	"context"
	"errors"
	"testing"
)

func TestRecordRetry(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	sha := "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	rows := func() int { return count(t, s, `SELECT count(*) FROM file_retry WHERE file_name = 'r.xml'`) }

	moveErr := errors.New("inbox already holds r.xml")
	r := Retry{File: "r.xml", SHA256: sha, Reason: "bad route", Report: []byte(`{"reason":"bad route"}`)}
	if err := s.RecordRetry(ctx, r, func() error { return moveErr }); !errors.Is(err, moveErr) {
		t.Fatalf("RecordRetry with a failed move = %v, want %v", err, moveErr)
	}
	if n := rows(); n != 0 {
		t.Errorf("rows after a failed move = %d, want 0", n)
	}

	if err := s.RecordRetry(ctx, r, func() error { return nil }); err != nil {
		t.Fatalf("RecordRetry = %v", err)
	}
	if n := rows(); n != 1 {
		t.Errorf("rows after a retry = %d, want 1", n)
	}
}
