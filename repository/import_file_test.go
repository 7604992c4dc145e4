package repository

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"

	"cacsd/mapping"
)

func TestImportNewFile(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	db := s.DB()

	// Three chunks and a bit, so evidence is split and reassembled.
	data := make([]byte, 3*chunkSize+12345)
	rand.Read(data)
	f := infoOf("batch.xml", data)
	a, b := fullCase(uniq()), fullCase(uniq())
	b.Trader = nil
	b.Complaint.Codes = append(b.Complaint.Codes, mapping.Code{Code: "AGP"}) // repeated

	before := tableCounts(t, s)
	sum, acts := importCases(t, s, data, f, a, b)
	want := Summary{Cases: 2, Created: 2}
	if sum != want {
		t.Errorf("Commit summary = %+v, want %+v", sum, want)
	}
	if acts[0] != ActionCreated || acts[1] != ActionCreated {
		t.Errorf("actions = %v, want both created", acts)
	}

	after := tableCounts(t, s)
	added := map[string]int{}
	for k, v := range after {
		added[k] = v - before[k]
	}
	wantAdded := map[string]int{
		"import_file": 1, "import_file_content": 4, "service_request": 2,
		"case_version": 2, "contact": 3, "premises": 1, "service_request_code": 4,
		"service_request_agency": 2, "service_request_note": 2,
	}
	if !maps.Equal(added, wantAdded) {
		t.Errorf("rows added = %v, want %v", added, wantAdded)
	}

	t.Run("import_file", func(t *testing.T) {
		var row struct {
			Name      string `db:"file_name"`
			Size      int64  `db:"size_bytes"`
			Status    string `db:"status"`
			Cases     int    `db:"case_count"`
			Created   int    `db:"created_count"`
			ExportID  string `db:"export_id"`
			Custodian string `db:"custodian_code"`
			Problems  *string
		}
		err := db.GetContext(ctx, &row, `SELECT file_name, size_bytes, status, case_count,
            created_count, export_id, custodian_code, problems
            FROM import_file WHERE sha256 = $1`, f.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if row.Name != "batch.xml" || row.Size != f.Size || row.Status != "imported" ||
			row.Cases != 2 || row.Created != 2 || !strings.HasPrefix(row.ExportID, "EXP-") ||
			row.Custodian != "2280" || row.Problems != nil {
			t.Errorf("import_file row = %+v", row)
		}
	})

	t.Run("evidence", func(t *testing.T) {
		var got []byte
		err := db.GetContext(ctx, &got, `SELECT string_agg(c.data, ''::bytea ORDER BY c.chunk_no)
            FROM import_file_content c JOIN import_file f ON f.id = c.import_file_id
            WHERE f.sha256 = $1`, f.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("evidence read back: %d bytes, want the %d bytes written", len(got), len(data))
		}
	})

	t.Run("request", func(t *testing.T) {
		r := requestRow(t, s, a.Reference)
		if r.UpdateSequence != 0 || r.Route != "Referral" || r.CaseTypeCode != "TC-CR" ||
			!r.CaseTypeKnown || deref(r.CustodianCode) != "2280" ||
			deref(r.PurchaseDate) != "2026-11-20" ||
			r.PurchaseAmount.Decimal.String() != "4800" ||
			deref(r.ProductCode) != "B02" || !*r.ProductKnown ||
			deref(r.ScamCode) != "ROG" || !*r.ScamKnown ||
			r.DetrimentAmount.Decimal.StringFixed(2) != "4800.00" ||
			!*r.Vulnerable || deref(r.VulnerableReason) != "AGE" ||
			deref(r.ConsumerMatchRule) != "new" || deref(r.TraderMatchRule) != "new" ||
			r.ConsumerContactID == nil || r.TraderContactID == nil || r.PremisesID == nil {
			t.Errorf("request %s = %+v", a.Reference, r)
		}
		if !r.ReceivedAt.Equal(a.ReceivedAt) {
			t.Errorf("received_at = %v, want %v", r.ReceivedAt, a.ReceivedAt)
		}
		rb := requestRow(t, s, b.Reference)
		if rb.TraderContactID != nil || rb.TraderMatchRule != nil || rb.PremisesID != nil {
			t.Errorf("request without trader = %+v, want no trader or premises", rb)
		}
	})

	t.Run("version", func(t *testing.T) {
		var content []byte
		err := db.GetContext(ctx, &content, `SELECT v.content FROM case_version v
            JOIN service_request r ON r.id = v.service_request_id
            WHERE r.case_reference = $1 AND v.update_sequence = 0`, a.Reference)
		if err != nil {
			t.Fatal(err)
		}
		var got mapping.Case
		if err := json.Unmarshal(content, &got); err != nil {
			t.Fatal(err)
		}
		if got.Reference != a.Reference || got.Consumer.Email != a.Consumer.Email {
			t.Errorf("version content = %+v, want the case as merged", got)
		}
	})

	t.Run("details", func(t *testing.T) {
		var notes []string
		err := db.SelectContext(ctx, &notes, `
            SELECT n.text || '@' || to_char(n.at AT TIME ZONE 'UTC', 'HH24:MI')
            FROM service_request_note n JOIN service_request r ON r.id = n.service_request_id
            WHERE r.case_reference = $1 ORDER BY n.position`, a.Reference)
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 1 || notes[0] != "Consumer lives alone.@14:20" {
			t.Errorf("notes = %q", notes)
		}
		n := count(t, s, `SELECT count(*) FROM service_request_code c
            JOIN service_request r ON r.id = c.service_request_id
            WHERE r.case_reference = $1 AND c.known`, b.Reference)
		if n != 2 {
			t.Errorf("known complaint codes of %s = %d, want 2 (AGP once, CAN)", b.Reference, n)
		}
	})
}

func TestReimportSameHash(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	data, f := content("again.xml")
	importCases(t, s, data, f, fullCase(uniq()))

	before := tableCounts(t, s)
	for _, name := range []string{"again.xml", "renamed.xml"} {
		f.Name = name
		im, err := s.Begin(ctx, f)
		if !errors.Is(err, ErrAlreadyImported) {
			if im != nil {
				im.Rollback()
			}
			t.Fatalf("Begin(%s) of an imported hash: err = %v, want ErrAlreadyImported", name, err)
		}
		if Transient(err) {
			t.Errorf("Transient(ErrAlreadyImported) = true, want false")
		}
	}
	if after := tableCounts(t, s); !maps.Equal(after, before) {
		t.Errorf("rows after re-import = %v, want unchanged %v", after, before)
	}
}

func TestAllOrNothing(t *testing.T) {
	s := openStore(t)

	tests := []struct {
		name  string
		merge func(im *Import, c *mapping.Case) error
	}{{
		name: "constraint violated",
		merge: func(im *Import, c *mapping.Case) error {
			c.Route = "Escalation"
			_, err := im.Merge(context.Background(), testExport(), "2280", c)
			return err
		},
	}, {
		name: "numeric overflow",
		merge: func(im *Import, c *mapping.Case) error {
			c.Purchase.Amount.Amount = c.Purchase.Amount.Amount.Shift(20)
			_, err := im.Merge(context.Background(), testExport(), "2280", c)
			return err
		},
	}, {
		name: "context canceled",
		merge: func(im *Import, c *mapping.Case) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := im.Merge(ctx, testExport(), "2280", c)
			return err
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			before := tableCounts(t, s)
			data, f := content("half.xml")

			im, err := s.Begin(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if err := im.WriteEvidence(ctx, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, err := im.Merge(ctx, testExport(), "2280", fullCase(uniq())); err != nil {
					t.Fatal(err)
				}
			}
			err = tt.merge(im, fullCase(uniq()))
			if err == nil {
				t.Fatal("Merge of the bad case: err = nil, want an error")
			}
			if err := im.Rollback(); err != nil {
				t.Errorf("Rollback: %v", err)
			}

			if after := tableCounts(t, s); !maps.Equal(after, before) {
				t.Errorf("rows after rollback = %v, want %v", after, before)
			}
			if _, err := im.Commit(ctx, nil, ""); err == nil {
				t.Errorf("Commit after Rollback: err = nil, want an error")
			}
		})
	}
}

func TestRollbackAfterCommit(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	data, f := content("x.xml")
	im, err := s.Begin(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := im.WriteEvidence(ctx, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(ctx, nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := im.Rollback(); err != nil {
		t.Errorf("Rollback after Commit = %v, want nil", err)
	}
	if _, err := im.Merge(ctx, nil, "", fullCase(uniq())); err == nil {
		t.Errorf("Merge after Commit: err = nil, want an error")
	}
}

func TestWriteEvidenceMismatch(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	b, f := content("grows.xml")
	tests := []struct {
		name string
		read []byte
	}{
		{"shorter", []byte("<CaseExport")},
		{"changed", []byte("<CaseExport id=\"changed\"></CaseExport>")},
		{"longer", append(append([]byte{}, b...), "<!-- appended -->"...)},
		{"far longer", append(append([]byte{}, b...), make([]byte, 3*chunkSize)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, err := s.Begin(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			defer im.Rollback()
			err = im.WriteEvidence(ctx, bytes.NewReader(tt.read))
			if !errors.Is(err, ErrEvidenceMismatch) {
				t.Errorf("WriteEvidence = %v, want ErrEvidenceMismatch", err)
			}
		})
	}
}

func TestBadHash(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	for _, sha := range []string{"", "abc", strings.Repeat("g", 64)} {
		if im, err := s.Begin(ctx, FileInfo{Name: "x", SHA256: sha}); err == nil {
			im.Rollback()
			t.Errorf("Begin with sha256 %q: err = nil, want an error", sha)
		}
		if err := s.RecordFailure(ctx, FileInfo{Name: "x", SHA256: sha}, nil); err == nil {
			t.Errorf("RecordFailure with sha256 %q: err = nil, want an error", sha)
		}
	}
}

func TestRecordFailure(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	db := s.DB()
	problems := []mapping.Problem{
		{CaseRef: "CACS2611290002", Field: "ReceivedAt", Line: 12, Column: 3,
			Message: "not a date: 31/02/2026"},
		{Message: "second problem"},
	}
	status := func(f FileInfo) (st string, problems int) {
		t.Helper()
		var row struct {
			Status string `db:"status"`
			N      int    `db:"n"`
		}
		err := db.GetContext(ctx, &row, `SELECT status,
            coalesce(jsonb_array_length(problems), -1) AS n
            FROM import_file WHERE sha256 = $1`, f.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		return row.Status, row.N
	}

	t.Run("failed then imported", func(t *testing.T) {
		data, f := content("later-good.xml")
		if err := s.RecordFailure(ctx, f, problems); err != nil {
			t.Fatalf("RecordFailure: %v", err)
		}
		if st, n := status(f); st != "failed" || n != 2 {
			t.Errorf("after RecordFailure: status %s with %d problems, want failed with 2", st, n)
		}
		if err := s.RecordFailure(ctx, f, problems[:1]); err != nil {
			t.Fatalf("RecordFailure again: %v", err)
		}
		if st, n := status(f); st != "failed" || n != 1 {
			t.Errorf("after second RecordFailure: status %s with %d problems, want failed with 1",
				st, n)
		}

		importCases(t, s, data, f, fullCase(uniq()))
		if st, n := status(f); st != "imported" || n != -1 {
			t.Errorf("after import: status %s with %d problems, want imported with none", st, n)
		}
		if got := count(t, s, `SELECT count(*) FROM import_file WHERE sha256 = $1`,
			f.SHA256); got != 1 {
			t.Errorf("import_file rows for the hash = %d, want 1", got)
		}
	})

	t.Run("never downgrades", func(t *testing.T) {
		data, f := content("good.xml")
		importCases(t, s, data, f, fullCase(uniq()))
		if err := s.RecordFailure(ctx, f, problems); err != nil {
			t.Fatalf("RecordFailure of an imported file: %v", err)
		}
		if st, n := status(f); st != "imported" || n != -1 {
			t.Errorf("after RecordFailure: status %s with %d problems, want imported", st, n)
		}
	})

	t.Run("nil problems", func(t *testing.T) {
		_, f := content("empty.xml")
		if err := s.RecordFailure(ctx, f, nil); err != nil {
			t.Fatal(err)
		}
		if st, n := status(f); st != "failed" || n != 0 {
			t.Errorf("status %s with %d problems, want failed with 0", st, n)
		}
	})
}

func TestConcurrentImportOfOneHash(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	data, f := content("twice.xml")
	c := fullCase(uniq())

	const n = 4
	results := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i] = importOnce(ctx, s, data, f, c)
		})
	}
	close(start)
	wg.Wait()

	imported, already := 0, 0
	for _, err := range results {
		switch {
		case err == nil:
			imported++
		case errors.Is(err, ErrAlreadyImported):
			already++
		default:
			t.Errorf("import: %v", err)
		}
	}
	if imported != 1 || already != n-1 {
		t.Errorf("%d imported and %d already imported, want 1 and %d", imported, already, n-1)
	}
	if got := count(t, s, `SELECT count(*) FROM service_request WHERE case_reference = $1`,
		c.Reference); got != 1 {
		t.Errorf("requests for %s = %d, want 1", c.Reference, got)
	}
}

// importOnce is the caller's sequence: Begin, WriteEvidence, Merge, Commit,
// or Rollback on any error.
func importOnce(ctx context.Context, s *Store, data []byte, f FileInfo,
	cases ...*mapping.Case) error {
	im, err := s.Begin(ctx, f)
	if err != nil {
		return err
	}
	defer im.Rollback()
	if err := im.WriteEvidence(ctx, bytes.NewReader(data)); err != nil {
		return err
	}
	exp := testExport()
	for _, c := range cases {
		if _, err := im.Merge(ctx, exp, "2280", c); err != nil {
			return err
		}
	}
	_, err = im.Commit(ctx, exp, "2280")
	return err
}

// A name that is not UTF-8 (a Latin-1 client's "café") is kept readable
// rather than refused by the database.
func TestNameNotUTF8(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	data, f := content("caf\xe9.xml")
	importCases(t, s, data, f, fullCase(uniq()))
	_, fb := content("bad caf\xe9.xml")
	if err := s.RecordFailure(ctx, fb, nil); err != nil {
		t.Fatalf("RecordFailure: %v", err)
	}
	for _, name := range []string{"caf\uFFFD.xml", "bad caf\uFFFD.xml"} {
		if n := count(t, s, `SELECT count(*) FROM import_file WHERE file_name = $1`, name); n != 1 {
			t.Errorf("import_file rows named %q: got %d, want 1", name, n)
		}
	}
}

// Evidence of any size is kept whole, in as many chunks as it needs: the
// last chunk is written at commit, and an empty file has none.
func TestEvidenceSizes(t *testing.T) {
	s := openStore(t)
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 2 * chunkSize} {
		data := make([]byte, size)
		rand.Read(data)
		f := infoOf("sizes.xml", data)
		importCases(t, s, data, f)
		var got struct {
			Chunks int    `db:"chunks"`
			Data   []byte `db:"data"`
		}
		if err := s.DB().Get(&got, `
            SELECT count(c.chunk_no) AS chunks,
                coalesce(string_agg(c.data, ''::bytea ORDER BY c.chunk_no), ''::bytea) AS data
            FROM import_file f LEFT JOIN import_file_content c ON c.import_file_id = f.id
            WHERE f.sha256 = $1`, f.SHA256); err != nil {
			t.Fatal(err)
		}
		if want := (size + chunkSize - 1) / chunkSize; got.Chunks != want {
			t.Errorf("%d bytes: %d chunks, want %d", size, got.Chunks, want)
		}
		if !bytes.Equal(got.Data, data) {
			t.Errorf("%d bytes: evidence read back differs", size)
		}
	}
}
