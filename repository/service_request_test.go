package repository

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"cacsd/mapping"
)

func TestUpdateHigherSequence(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	key := uniq()
	first := fullCase(key)
	importNew(t, s, first)
	r0 := requestRow(t, s, first.Reference)
	contacts := count(t, s, `SELECT count(*) FROM contact`)

	second := fullCase(key)
	second.UpdateSequence = 1
	second.Complaint.Codes = append(second.Complaint.Codes, mapping.Code{Code: "REF"})
	second.Complaint.Detriment.Amount = decimal.RequireFromString("5600.00")
	second.Notes = append(second.Notes, mapping.Note{Text: "Consumer called again."})
	second.Consumer.Telephone = "" // absent in the update: the contact keeps it
	sum, acts := importNew(t, s, second)
	if want := (Summary{Cases: 1, Updated: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if acts[0] != ActionUpdated {
		t.Errorf("action = %s, want updated", acts[0])
	}

	r1 := requestRow(t, s, first.Reference)
	if r1.ID != r0.ID || r1.UpdateSequence != 1 ||
		r1.DetrimentAmount.Decimal.StringFixed(2) != "5600.00" {
		t.Errorf("request after update = id %d seq %d detriment %s, want id %d seq 1 5600.00",
			r1.ID, r1.UpdateSequence, r1.DetrimentAmount.Decimal, r0.ID)
	}
	if r1.ImportID == r0.ImportID {
		t.Errorf("last_import_id unchanged by the update")
	}
	if *r1.ConsumerContactID != *r0.ConsumerContactID || deref(r1.ConsumerMatchRule) != "email" {
		t.Errorf("consumer = %d by %s, want %d by email",
			*r1.ConsumerContactID, deref(r1.ConsumerMatchRule), *r0.ConsumerContactID)
	}
	if *r1.TraderContactID != *r0.TraderContactID ||
		deref(r1.TraderMatchRule) != "company_number" {
		t.Errorf("trader = %d by %s, want %d by company_number",
			*r1.TraderContactID, deref(r1.TraderMatchRule), *r0.TraderContactID)
	}
	if *r1.PremisesID != *r0.PremisesID {
		t.Errorf("premises = %d, want %d", *r1.PremisesID, *r0.PremisesID)
	}
	if got := count(t, s, `SELECT count(*) FROM contact`); got != contacts {
		t.Errorf("contacts after update = %d, want %d (no new contact)", got, contacts)
	}
	tel := count(t, s, `SELECT count(*) FROM contact WHERE id = $1 AND telephone = '01632 960001'`,
		*r1.ConsumerContactID)
	if tel != 1 {
		t.Errorf("consumer telephone blanked by an update without one")
	}

	perRequest := map[string]int{
		"case_version":           2,
		"service_request_code":   3,
		"service_request_note":   2,
		"service_request_agency": 1,
	}
	for table, want := range perRequest {
		got := count(t, s, "SELECT count(*) FROM "+table+" WHERE service_request_id = $1", r0.ID)
		if got != want {
			t.Errorf("%s rows for the request = %d, want %d", table, got, want)
		}
	}
	var seqs []int
	if err := s.DB().SelectContext(ctx, &seqs, `SELECT update_sequence FROM case_version
        WHERE service_request_id = $1 ORDER BY update_sequence`, r0.ID); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 2 || seqs[0] != 0 || seqs[1] != 1 {
		t.Errorf("versions = %v, want [0 1]", seqs)
	}
}

// A late version changes nothing; an earlier one the request does not
// have yet (two workers, or a resend) joins its history.
func TestLowerOrEqualSequenceUnchanged(t *testing.T) {
	s := openStore(t)
	tests := []struct {
		name     string
		stored   int
		incoming int
		history  bool
	}{
		{"equal", 1, 1, false},
		{"lower", 2, 1, true},
		{"zero after one", 1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := uniq()
			c := fullCase(key)
			c.UpdateSequence = tt.stored
			importNew(t, s, c)
			before := tableCounts(t, s)

			late := fullCase(key)
			late.UpdateSequence = tt.incoming
			late.Route = mapping.RouteSignposting
			sum, acts := importNew(t, s, late)
			if acts[0] != ActionUnchanged {
				t.Errorf("action = %s, want unchanged", acts[0])
			}
			if want := (Summary{Cases: 1, Unchanged: 1}); sum != want {
				t.Errorf("summary = %+v, want %+v", sum, want)
			}
			after := tableCounts(t, s)
			// Only the new file's own rows.
			before["import_file"]++
			before["import_file_content"]++
			if tt.history {
				before["case_version"]++
			}
			if !maps.Equal(after, before) {
				t.Errorf("rows = %v, want %v", after, before)
			}
			r := requestRow(t, s, c.Reference)
			if r.UpdateSequence != tt.stored || r.Route != "Referral" {
				t.Errorf("request = seq %d route %s, want seq %d Referral",
					r.UpdateSequence, r.Route, tt.stored)
			}
		})
	}
}

func TestRepeatInOneFile(t *testing.T) {
	s := openStore(t)
	c := fullCase(uniq())
	sum, acts := importNew(t, s, c, c)
	if acts[0] != ActionCreated || acts[1] != ActionUnchanged {
		t.Errorf("actions = %v, want [created unchanged]", acts)
	}
	if want := (Summary{Cases: 2, Created: 1, Unchanged: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
}

func TestUnknownCodes(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	c := fullCase(uniq())
	c.CaseType = mapping.Code{Code: "H77", Label: "Something new"}
	c.Purchase.Product = &mapping.Code{Code: "XYZ"}
	c.Purchase.Method = &mapping.Code{Code: "DSU"} // known, sent without label
	c.Complaint.Codes = []mapping.Code{{Code: "NEW1", Label: "New complaint"}, {Code: "AGE"}}
	c.Complaint.Scam = &mapping.Code{Code: "QRP", Label: "Quick rip-off"}

	sum, _ := importNew(t, s, c)
	if sum.UnknownCodes != 4 {
		t.Errorf("summary UnknownCodes = %d, want 4", sum.UnknownCodes)
	}

	r := requestRow(t, s, c.Reference)
	tests := []struct {
		name  string
		code  string
		label *string
		known *bool
		want  string
		wantL string
		wantK bool
	}{
		{"case type", r.CaseTypeCode, r.CaseTypeLabel, &r.CaseTypeKnown,
			"H77", "Something new", false},
		{"product", deref(r.ProductCode), r.ProductLabel, r.ProductKnown, "XYZ", "", false},
		{"method", deref(r.PurchaseMethodCode), r.PurchaseMethodLabel, r.PurchaseMethodKnown,
			"DSU", "Doorstep - uninvited (cold call)", true},
		{"payment", deref(r.PaymentMethodCode), r.PaymentMethodLabel, r.PaymentMethodKnown,
			"CSH", "Cash", true},
		{"scam", deref(r.ScamCode), r.ScamLabel, r.ScamKnown, "QRP", "Quick rip-off", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.code != tt.want || deref(tt.label) != tt.wantL || tt.known == nil ||
				*tt.known != tt.wantK {
				t.Errorf("got %s %q known %v, want %s %q known %v",
					tt.code, deref(tt.label), tt.known, tt.want, tt.wantL, tt.wantK)
			}
		})
	}

	var codes []struct {
		Code  string  `db:"code"`
		Label *string `db:"label"`
		Known bool    `db:"known"`
	}
	if err := s.DB().SelectContext(ctx, &codes, `SELECT code, label, known
        FROM service_request_code WHERE service_request_id = $1 ORDER BY code`,
		r.ID); err != nil {
		t.Fatal(err)
	}
	if len(codes) != 2 || codes[0].Code != "AGE" || !codes[0].Known ||
		deref(codes[0].Label) != "Age-restricted sale" ||
		codes[1].Code != "NEW1" || codes[1].Known {
		t.Errorf("complaint codes = %+v, want AGE known and NEW1 unknown", codes)
	}
}

func TestAnonymousCase(t *testing.T) {
	s := openStore(t)
	c := fullCase(uniq())
	c.Consumer = &mapping.Consumer{AgeBand: "25-34", ContactConsent: ptr(false)}
	c.Purchase, c.Complaint, c.Agencies, c.Notes = nil, nil, nil, nil
	importNew(t, s, c)
	r := requestRow(t, s, c.Reference)
	if r.ConsumerContactID != nil || r.ConsumerMatchRule != nil {
		t.Errorf("anonymous consumer linked to contact %v by %v", r.ConsumerContactID,
			r.ConsumerMatchRule)
	}
	if deref(r.AgeBand) != "25-34" || r.ContactConsent == nil || *r.ContactConsent {
		t.Errorf("snapshot = age %q consent %v, want 25-34 false", deref(r.AgeBand),
			r.ContactConsent)
	}
	if r.PurchaseAmount.Valid || r.ProductCode != nil || r.ScamKnown != nil {
		t.Errorf("request without purchase or complaint = %+v", r)
	}
}

// A case and its update in one file: the update replaces what the first
// wrote, keeps both versions, and doubles no action. The order in the file
// does not change the outcome, and the file links to the request once.
func TestUpdateInOneFile(t *testing.T) {
	for _, order := range []string{"0 then 1", "1 then 0"} {
		t.Run(order, func(t *testing.T) {
			s := openStore(t)
			first := fullCase(uniq())
			up := fullCase(strings.TrimPrefix(first.Reference, "CACS"))
			up.UpdateSequence = 1
			up.Complaint.Codes = []mapping.Code{{Code: "MIS", Label: "Misleading claims"}}
			up.Agencies = nil
			up.Notes = []mapping.Note{{Text: "Second call."}, {Text: "Third call."}}
			cases := []*mapping.Case{first, up}
			if order == "1 then 0" {
				cases = []*mapping.Case{up, first}
			}
			importNew(t, s, cases...)

			r := requestRow(t, s, first.Reference)
			if r.UpdateSequence != 1 {
				t.Errorf("update_sequence = %d, want 1", r.UpdateSequence)
			}
			for query, want := range map[string]int{
				`SELECT count(*) FROM case_version WHERE service_request_id = $1`:           2,
				`SELECT count(*) FROM service_request_code WHERE service_request_id = $1`:   1,
				`SELECT count(*) FROM service_request_agency WHERE service_request_id = $1`: 0,
				`SELECT count(*) FROM service_request_note WHERE service_request_id = $1`:   2,
				`SELECT count(*) FROM service_request_file WHERE service_request_id = $1`:   1,
				`SELECT count(*) - count(DISTINCT action_template_id) FROM action
                 WHERE service_request_id = $1`: 0,
				`SELECT count(*) FROM action WHERE service_request_id = $1`: 3,
			} {
				if got := count(t, s, query, r.ID); got != want {
					t.Errorf("%s: got %d, want %d", query, got, want)
				}
			}
			if n := count(t, s, `SELECT count(*) FROM service_request_code
                WHERE service_request_id = $1 AND code = 'MIS'`, r.ID); n != 1 {
				t.Errorf("the update's code is missing")
			}
		})
	}
}

// A file of more cases than wait to be written at once, with repeats
// across the batches, writes every case's rows.
func TestLargeFileRows(t *testing.T) {
	s := openStore(t)
	n := maxPendingCases*2 + 7
	cases := make([]*mapping.Case, n)
	for i := range cases {
		cases[i] = fullCase(uniq())
	}
	up := *cases[3]
	up.UpdateSequence = 2
	late := *cases[n-1]
	late.UpdateSequence = 5
	all := append(cases, &up, &late, cases[n-1])
	sum, _ := importNew(t, s, all...)
	if want := (Summary{Cases: n + 3, Created: n, Updated: 2, Unchanged: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	refs := make([]string, n)
	for i, c := range cases {
		refs[i] = c.Reference
	}
	for query, want := range map[string]int{
		`SELECT count(*) FROM case_version v JOIN service_request r
             ON r.id = v.service_request_id WHERE r.case_reference = ANY($1)`: n + 2,
		`SELECT count(*) FROM service_request_code c JOIN service_request r
             ON r.id = c.service_request_id WHERE r.case_reference = ANY($1)`: 2 * n,
		`SELECT count(*) FROM service_request_note c JOIN service_request r
             ON r.id = c.service_request_id WHERE r.case_reference = ANY($1)`: n,
		`SELECT count(*) FROM service_request_agency c JOIN service_request r
             ON r.id = c.service_request_id WHERE r.case_reference = ANY($1)`: n,
		`SELECT count(*) FROM service_request_file c JOIN service_request r
             ON r.id = c.service_request_id WHERE r.case_reference = ANY($1)`: n,
		`SELECT count(*) FROM action c JOIN service_request r
             ON r.id = c.service_request_id WHERE r.case_reference = ANY($1)`: 3 * n,
		`SELECT count(*) FROM audit_event c JOIN service_request r
             ON r.id = c.service_request_id
             WHERE r.case_reference = ANY($1) AND c.action IN ('create', 'update', 'unchanged')`: n + 3,
	} {
		if got := count(t, s, query, pq.Array(refs)); got != want {
			t.Errorf("%s: got %d, want %d", query, got, want)
		}
	}
}

// A value the database refuses in rows written in a batch fails the
// import with an error that names the cases of the batch, not the case
// that happened to be merged when the batch was written.
func TestBatchWriteErrorNamesCases(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	cases := make([]*mapping.Case, maxPendingCases+3)
	for i := range cases {
		cases[i] = fullCase(uniq())
	}
	// PostgreSQL's calendar has no year 0; the decoder refuses it, so only
	// a caller that skips the decoder can send it.
	year0 := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	cases[1].Notes = []mapping.Note{{At: &year0, Text: "x"}}
	cases[maxPendingCases+1].Notes = []mapping.Note{{At: &year0, Text: "x"}}

	for _, tt := range []struct {
		cases []*mapping.Case
		want  string
	}{
		{cases[:maxPendingCases+3], "write cases 1 to 256 of the file: "},
		{cases[maxPendingCases+1 : maxPendingCases+2], "write case 1 of the file: "},
	} {
		data, f := content("batch.xml")
		im, err := s.Begin(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := im.WriteEvidence(ctx, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		for _, c := range tt.cases {
			if _, err = im.Merge(ctx, testExport(), "2280", c); err != nil {
				break
			}
		}
		if err == nil {
			_, err = im.Commit(ctx, testExport(), "2280")
		}
		im.Rollback()
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || Transient(err) {
			t.Errorf("got %v, want a permanent error starting %q", err, tt.want)
		}
	}
}

// A large import analyses the tables it grows, counting from the requests
// the database holds: an import rolled back after its ANALYZE leaves
// pg_class counting its rows, which must not put off the next import's.
// A table that a VACUUM or an index build holds is passed over, not
// waited for.
func TestAnalyzeGrowth(t *testing.T) {
	defer func(n int64) { minAnalyzeAt = n }(minAnalyzeAt)
	minAnalyzeAt = 2
	s := freshStore(t, "analyze")
	ctx := context.Background()
	reltuples := func(table string) float64 {
		t.Helper()
		var n float64
		err := s.DB().GetContext(ctx, &n,
			`SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, table)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	begin := func(name string) *Import {
		t.Helper()
		data, f := content(name)
		im, err := s.Begin(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := im.WriteEvidence(ctx, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		return im
	}

	im := begin("rolled-back.xml")
	if _, err := im.MergeAll(ctx, testExport(), "2280",
		[]*mapping.Case{fullCase(uniq()), fullCase(uniq()), fullCase(uniq())}); err != nil {
		t.Fatal(err)
	}
	im.Rollback()
	if got := reltuples("service_request"); got != 3 {
		t.Fatalf("service_request reltuples after the analysed import = %v, want 3", got)
	}

	// What VACUUM and CREATE INDEX CONCURRENTLY take on contact.
	holder, err := s.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.ExecContext(ctx,
		`LOCK TABLE contact IN SHARE UPDATE EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	im = begin("analysed.xml")
	defer im.Rollback()
	if im.analyzeAt != minAnalyzeAt {
		t.Errorf("analyzeAt after a rolled-back import = %d, want %d", im.analyzeAt, minAnalyzeAt)
	}
	contacts := reltuples("contact")
	mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := im.MergeAll(mctx, testExport(), "2280",
		[]*mapping.Case{fullCase(uniq()), fullCase(uniq())}); err != nil {
		t.Fatalf("MergeAll with contact locked: %v", err)
	}
	if got := reltuples("service_request"); got != 2 {
		t.Errorf("service_request reltuples = %v, want 2: not analysed", got)
	}
	if got := reltuples("contact"); got != contacts {
		t.Errorf("contact reltuples = %v, want %v: a locked table analysed", got, contacts)
	}
	if _, err := im.Commit(ctx, testExport(), "2280"); err != nil {
		t.Fatal(err)
	}
}
