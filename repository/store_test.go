package repository

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"cacsd/repository/repotest"
)

func TestMigrateTwiceIsNoOp(t *testing.T) {
	s := openStore(t) // migrated once
	ctx := context.Background()
	versions := func() int {
		return count(t, s, `SELECT count(*) FROM goose_db_version`)
	}
	before := versions()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if got := versions(); got != before {
		t.Errorf("goose_db_version rows after second Migrate = %d, want %d", got, before)
	}
	var latest int64
	if err := s.DB().GetContext(ctx, &latest,
		`SELECT max(version_id) FROM goose_db_version`); err != nil {
		t.Fatal(err)
	}
	if latest != schemaVersion {
		t.Errorf("latest migration = %d, want %d", latest, schemaVersion)
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema after Migrate = %v, want nil", err)
	}
}

// TestMigrateConcurrently starts three daemons' migrations at once on an
// empty database of its own.
func TestMigrateConcurrently(t *testing.T) {
	db, err := repotest.Create("repository_migrate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Drop() })
	ctx := context.Background()
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s, err := Open(ctx, db.URL)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(ctx)
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
}

func TestSeededCodeLists(t *testing.T) {
	s := openStore(t)
	// The row counts of codes/*.csv, less their header lines.
	kinds := map[string]int{
		"case_type": 8, "product": 39, "purchase_method": 11,
		"payment_method": 12, "complaint": 15, "scam": 8,
	}
	for kind, want := range kinds {
		t.Run(kind, func(t *testing.T) {
			got := count(t, s, `SELECT count(*) FROM code_map WHERE kind = $1`, kind)
			if got != want {
				t.Errorf("code_map rows of kind %s = %d, want %d", kind, got, want)
			}
		})
	}
	if got := count(t, s, `SELECT count(*) FROM custodian`); got != 399 {
		t.Errorf("custodian rows = %d, want 399", got)
	}
	if got := count(t, s, `SELECT count(*) FROM code_map WHERE local_code <> cacs_code`); got != 0 {
		t.Errorf("code_map rows whose local_code is not the CACS code = %d, want 0", got)
	}

	checks := []struct {
		name, query string
	}{
		{"case type with route", `SELECT count(*) FROM code_map WHERE kind = 'case_type'
            AND cacs_code = 'TC-CR' AND trader_required AND default_route = 'Referral'`},
		{"product group", `SELECT count(*) FROM code_map WHERE kind = 'product'
            AND cacs_code = 'A01' AND group_label = 'House fittings and appliances'`},
		{"merged custodian", `SELECT count(*) FROM custodian WHERE custodian_code = '405'
            AND status = 'merged' AND successor_code = '440'`},
		{"quoted name", `SELECT count(*) FROM custodian WHERE custodian_code = '1260'
            AND authority_name = 'Bournemouth, Christchurch and Poole Council'`},
		{"apostrophe", `SELECT count(*) FROM custodian
            WHERE authority_name = 'Borough Council of King''s Lynn & West Norfolk'`},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if got := count(t, s, c.query); got != 1 {
				t.Errorf("%s: %d rows, want 1", c.query, got)
			}
		})
	}
}

func TestSeedKeepsEdits(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	db := s.DB()
	if _, err := db.ExecContext(ctx, `UPDATE code_map SET local_code = 'LOCAL-ROG',
        label = 'Doorstep crime' WHERE kind = 'scam' AND cacs_code = 'ROG'`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.ExecContext(ctx, `UPDATE code_map SET local_code = 'ROG',
            label = 'Rogue trading (doorstep)' WHERE kind = 'scam' AND cacs_code = 'ROG'`)
	})

	seed, err := migrations.ReadFile("migrations/00002_code_lists.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, _, _ := strings.Cut(string(seed), "-- +goose Down")
	if _, err := db.ExecContext(ctx, up); err != nil {
		t.Fatalf("run seed again: %v", err)
	}

	var got struct {
		Local string `db:"local_code"`
		Label string `db:"label"`
	}
	if err := db.GetContext(ctx, &got, `SELECT local_code, label FROM code_map
        WHERE kind = 'scam' AND cacs_code = 'ROG'`); err != nil {
		t.Fatal(err)
	}
	if got.Local != "LOCAL-ROG" || got.Label != "Doorstep crime" {
		t.Errorf("after the seed ran again, ROG = %+v, want the council's edit kept", got)
	}
}

func TestLocalCodeDefaultsToCACSCode(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	db := s.DB()
	if _, err := db.ExecContext(ctx, `INSERT INTO code_map (kind, cacs_code, label)
        VALUES ('scam', 'ZZTEST', 'Test')`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.ExecContext(ctx, `DELETE FROM code_map WHERE kind = 'scam' AND cacs_code = 'ZZTEST'`)
	})
	var local string
	if err := db.GetContext(ctx, &local, `SELECT local_code FROM code_map
        WHERE kind = 'scam' AND cacs_code = 'ZZTEST'`); err != nil {
		t.Fatal(err)
	}
	if local != "ZZTEST" {
		t.Errorf("local_code = %q, want ZZTEST", local)
	}
}

// A migration that changes what an import statement returns, run while a
// daemon runs (by an upgraded replica), fails the import in progress as
// worth retrying, and the retry prepares the statement afresh.
func TestStatementStaleAfterSchemaChange(t *testing.T) {
	s := freshStore(t, "stale")
	ctx := context.Background()
	importNew(t, s, fullCase(uniq()))
	if _, err := s.DB().ExecContext(ctx,
		`ALTER TABLE service_request ALTER COLUMN update_sequence TYPE bigint`); err != nil {
		t.Fatal(err)
	}

	data, f := content("stale.xml")
	c := fullCase(uniq())
	im, err := s.Begin(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := im.WriteEvidence(ctx, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	_, err = im.Merge(ctx, testExport(), "2280", c)
	im.Rollback()
	var stale *StaleStatementError
	if !errors.As(err, &stale) || !Transient(err) {
		t.Fatalf("merge after the schema change: got %v, want a transient StaleStatementError", err)
	}
	importCases(t, s, data, f, c)
	if n := count(t, s, `SELECT count(*) FROM service_request WHERE case_reference = $1`,
		c.Reference); n != 1 {
		t.Errorf("requests after the retry: got %d, want 1", n)
	}
}

// A connection string the driver cannot parse is refused without its text:
// the parser would quote the part it could not read, often the password.
func TestOpenBadDSNHidesPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://cacsd:se%ecret@127.0.0.1/cacsd",
		"postgres://cacsd:se/cret@127.0.0.1:5432/cacsd",
		"postgres://cacsd:secret@127.0.0.1:bad/cacsd",
		"host=127.0.0.1 password='se cret",
		"postgres://postgres:1234/secret@127.0.0.1/cacsd",
		"postgres://postgres:12?secret@127.0.0.1/cacsd",
		"postgres://postgres:12#secret@127.0.0.1/cacsd",
		"postgres://localhost:5432/Zx9secret=@127.0.0.1/cacsd",
	} {
		_, err := Open(context.Background(), dsn)
		if err == nil {
			t.Errorf("Open(%q): no error", dsn)
			continue
		}
		if strings.Contains(err.Error(), "cret") {
			t.Errorf("Open(%q) = %q: the password shows", dsn, err)
		}
	}
}
