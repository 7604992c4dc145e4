package repository

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"cacsd/mapping"
)

// TestRetention anonymises closed requests and proves that no personal
// data is left in any column of the rows it anonymised, while a contact
// and a file shared with an open request keep theirs.
func TestRetention(t *testing.T) {
	s := freshStore(t, "retention")
	ctx := context.Background()

	// alone: closed long ago, its consumer and file its own.
	alone := fullCase(uniq())
	aloneData, aloneFile := content("alone.xml")
	importCases(t, s, aloneData, aloneFile, alone)

	// shared and open: the same consumer (by email), delivered in one file;
	// shared is closed long ago, open stays open.
	shared, open := fullCase(uniq()), fullCase(uniq())
	open.Consumer = shared.Consumer
	sharedData, sharedFile := content("shared.xml")
	importCases(t, s, sharedData, sharedFile, shared, open)

	// recent: closed yesterday, not yet due.
	recent := fullCase(uniq())
	importNew(t, s, recent)

	for _, c := range []*mapping.Case{alone, shared, recent} {
		if _, err := s.SetStatus(ctx, c.Reference, StatusClosed, "user:test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE service_request
        SET closed_at = now() - interval '7 years' WHERE case_reference IN ($1, $2)`,
		alone.Reference, shared.Reference); err != nil {
		t.Fatal(err)
	}

	before := time.Now().AddDate(-6, 0, 0)
	res, err := s.Retain(ctx, before, "retention")
	if err != nil {
		t.Fatal(err)
	}
	if want := (RetainResult{Requests: 2, Contacts: 1, EvidenceFiles: 1}); res != want {
		t.Errorf("Retain: got %+v, want %+v", res, want)
	}

	personal := func(c *mapping.Case) []string {
		p := c.Consumer
		return []string{p.Forename, p.Surname, p.Email, strings.ToLower(p.Email),
			p.Telephone, p.Address.Lines[0], p.Address.Postcode, c.Complaint.Summary,
			c.Complaint.AdviceGiven, c.Purchase.Description, c.Notes[0].Text,
			c.Agencies[0].Name}
	}
	ids := []int64{requestRow(t, s, alone.Reference).ID, requestRow(t, s, shared.Reference).ID}
	var aloneContact int64
	if err := s.DB().GetContext(ctx, &aloneContact, `SELECT entity_id FROM audit_event
        WHERE action = 'match' AND entity = 'contact' AND detail->>'kind' = 'consumer'
          AND service_request_id = $1`, ids[0]); err != nil {
		t.Fatal(err)
	}

	// Every column of every anonymised row, as text.
	queries := []string{
		`SELECT row_to_json(t)::text FROM service_request t WHERE id = ANY($1)`,
		`SELECT row_to_json(t)::text FROM case_version t WHERE service_request_id = ANY($1)`,
		`SELECT row_to_json(t)::text FROM service_request_note t WHERE service_request_id = ANY($1)`,
		`SELECT row_to_json(t)::text FROM service_request_agency t
         WHERE service_request_id = ANY($1)`,
		`SELECT row_to_json(t)::text FROM service_request_code t WHERE service_request_id = ANY($1)`,
		`SELECT row_to_json(t)::text FROM action t WHERE service_request_id = ANY($1)`,
		`SELECT row_to_json(t)::text FROM audit_event t WHERE service_request_id = ANY($1)`,
	}
	var texts []string
	for _, q := range queries {
		var got []string
		if err := s.DB().SelectContext(ctx, &got, q, pq.Array(ids)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		texts = append(texts, got...)
	}
	var contactRow string
	if err := s.DB().GetContext(ctx, &contactRow,
		`SELECT row_to_json(t)::text FROM contact t WHERE id = $1`, aloneContact); err != nil {
		t.Fatal(err)
	}
	texts = append(texts, contactRow)
	for _, c := range []*mapping.Case{alone, shared} {
		for _, p := range personal(c) {
			for _, text := range texts {
				if strings.Contains(text, p) {
					t.Errorf("personal data %q left in %s", p, text)
				}
			}
		}
	}
	if n := count(t, s, `SELECT count(*) FROM import_file_content c
        JOIN import_file f ON f.id = c.import_file_id WHERE f.sha256 = $1`,
		aloneFile.SHA256); n != 0 {
		t.Errorf("evidence chunks of alone.xml: got %d, want 0", n)
	}

	// What an open or not yet due request needs is untouched.
	kept := []struct {
		name, query string
		arg         any
		want        int
	}{
		{"shared consumer still holds its name", `SELECT count(*) FROM contact
            WHERE email_norm = lower($1) AND surname IS NOT NULL`, shared.Consumer.Email, 1},
		{"shared file keeps its bytes", `SELECT count(*) FROM import_file_content c
            JOIN import_file f ON f.id = c.import_file_id WHERE f.sha256 = $1`,
			sharedFile.SHA256, 1},
		{"open request keeps its summary", `SELECT count(*) FROM service_request
            WHERE case_reference = $1 AND summary IS NOT NULL AND anonymised_at IS NULL`,
			open.Reference, 1},
		{"recent closed request keeps its notes", `SELECT count(*) FROM service_request_note n
            JOIN service_request r ON r.id = n.service_request_id
            WHERE r.case_reference = $1`, recent.Reference, 1},
		{"anonymise events", `SELECT count(*) FROM audit_event
            WHERE action = 'anonymise' AND entity = 'service_request' AND actor = $1`,
			"retention", 2},
	}
	for _, k := range kept {
		if n := count(t, s, k.query, k.arg); n != k.want {
			t.Errorf("%s: got %d, want %d", k.name, n, k.want)
		}
	}

	// An anonymised request's evidence is no longer given out.
	if _, err := s.EvidenceFiles(ctx, alone.Reference); !errors.Is(err, ErrAnonymised) {
		t.Errorf("EvidenceFiles of an anonymised request: got %v, want ErrAnonymised", err)
	}

	// A late update of an anonymised request changes nothing, and its file
	// goes at the next pass.
	late := *alone
	late.UpdateSequence++
	lateData, lateFile := content("late.xml")
	importCases(t, s, lateData, lateFile, &late)
	again, err := s.Retain(ctx, before, "retention")
	if err != nil || again != (RetainResult{EvidenceFiles: 1}) {
		t.Errorf("second Retain: got %+v, %v; want the late file's evidence removed", again, err)
	}
	if n := count(t, s, `SELECT count(*) FROM import_file_content c
        JOIN import_file f ON f.id = c.import_file_id WHERE f.sha256 = $1`,
		lateFile.SHA256); n != 0 {
		t.Errorf("evidence chunks of late.xml: got %d, want 0", n)
	}
	again, err = s.Retain(ctx, before, "retention")
	if err != nil || again != (RetainResult{}) {
		t.Errorf("third Retain: got %+v, %v; want nothing to do", again, err)
	}
}

// A contact an earlier version of a request pointed at is the request's
// too: retention wipes it unless a request it does not anonymise needs it.
func TestRetentionWipesEarlierContacts(t *testing.T) {
	s := freshStore(t, "retention_moved")
	ctx := context.Background()

	// moveConsumer imports a case, then an update whose consumer has
	// another email, surname and postcode: a contact of its own. It
	// returns the first version's consumer.
	moveConsumer := func(c *mapping.Case) mapping.Consumer {
		importNew(t, s, c)
		first := *c.Consumer
		up := *c
		up.UpdateSequence = 1
		other, addr := first, *first.Address
		other.Email, other.Surname, addr.Postcode = "new."+first.Email, "Other"+c.Reference, "ZZ9 9ZZ"
		other.Address = &addr
		up.Consumer = &other
		importNew(t, s, &up)
		return first
	}
	alone, shared := fullCase(uniq()), fullCase(uniq())
	aloneFirst, sharedFirst := moveConsumer(alone), moveConsumer(shared)
	// keeper stays open and has shared's first consumer.
	keeper := fullCase(uniq())
	keeper.Consumer = &sharedFirst
	importNew(t, s, keeper)

	for _, ref := range []string{alone.Reference, shared.Reference} {
		if _, err := s.SetStatus(ctx, ref, StatusClosed, "user:test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE service_request
        SET closed_at = now() - interval '7 years' WHERE status = 'closed'`); err != nil {
		t.Fatal(err)
	}
	res, err := s.Retain(ctx, time.Now().AddDate(-6, 0, 0), "retention")
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 2 || res.Contacts != 3 {
		t.Errorf("Retain: got %+v, want 2 requests and 3 contacts", res)
	}
	holding := func(p mapping.Consumer) int {
		return count(t, s, `SELECT count(*) FROM contact WHERE email_norm = lower($1)
            AND surname = $2`, p.Email, p.Surname)
	}
	if n := holding(aloneFirst); n != 0 {
		t.Errorf("the first consumer of a request anonymised still held by %d contacts", n)
	}
	if n := holding(sharedFirst); n != 1 {
		t.Errorf("the first consumer shared with an open request held by %d contacts, want 1", n)
	}
}

// A request due for retention that another session holds locked makes
// Retain give up after rowLockTimeout with a Transient error, releasing
// the merge lock for imports, and a later run anonymises it.
func TestRetainRowLockTimeout(t *testing.T) {
	defer func(was string) { rowLockTimeout = was }(rowLockTimeout)
	rowLockTimeout = "200ms"
	s := freshStore(t, "retainlock")
	ctx := context.Background()
	c := fullCase(uniq())
	importNew(t, s, c)
	if _, err := s.SetStatus(ctx, c.Reference, StatusClosed, "user:test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE service_request
        SET closed_at = now() - interval '7 years' WHERE case_reference = $1`,
		c.Reference); err != nil {
		t.Fatal(err)
	}
	officer := lockRequest(t, s, c.Reference)

	before := time.Now().AddDate(-6, 0, 0)
	if _, err := s.Retain(ctx, before, "retention"); err == nil || !Transient(err) {
		t.Fatalf("Retain with a due request locked: err = %v, want a Transient error", err)
	}
	im, err := beginMerge(ctx, s)
	if err != nil {
		t.Fatalf("import after the timed-out retention: %v", err)
	}
	im.Rollback()

	if err := officer.Commit(); err != nil {
		t.Fatal(err)
	}
	res, err := s.Retain(ctx, before, "retention")
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 1 {
		t.Errorf("Retain once the row is free: %+v, want 1 request", res)
	}
}
