package repository

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cacsd/mapping"
	"cacsd/repository/repotest"
)

var testURL string

func TestMain(m *testing.M) { repotest.Main(m, "repository", &testURL) }

// openStore opens a migrated store on the package's test database.
func openStore(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, testURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

var seq atomic.Int64

// uniq returns a string no other call in this test binary returns, for
// references, emails and company numbers that must not meet other tests'.
func uniq() string {
	return fmt.Sprintf("%06d", seq.Add(1))
}

// content makes unique file bytes and the FileInfo that describes them.
func content(name string) ([]byte, FileInfo) {
	b := []byte(fmt.Sprintf("<CaseExport id=%q>%s</CaseExport>", uniq(), name))
	return b, infoOf(name, b)
}

func infoOf(name string, b []byte) FileInfo {
	sum := sha256.Sum256(b)
	return FileInfo{Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))}
}

func ptr[T any](v T) *T { return &v }

func testExport() *mapping.Export {
	return &mapping.Export{
		Version:       "1.0",
		ExportID:      "EXP-" + uniq(),
		Generated:     time.Date(2026, 11, 30, 7, 0, 12, 0, time.UTC),
		CustodianCode: "2280",
		RecipientName: "Medway Council",
	}
}

// fullCase is a referral with every part filled in. Its consumer's email,
// trader's company number and addresses are unique to key.
func fullCase(key string) *mapping.Case {
	received := time.Date(2026, 11, 29, 14, 2, 0, 0, time.UTC)
	bought := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	noteAt := time.Date(2026, 11, 29, 14, 20, 0, 0, time.UTC)
	return &mapping.Case{
		Reference:      "CACS" + key,
		UpdateSequence: 0,
		Route:          mapping.RouteReferral,
		CaseType:       mapping.Code{Code: "TC-CR", Label: "Trader complaint - criminal"},
		RecipientRole:  "ConsumerArea",
		ReceivedAt:     received,
		Channel:        "Telephone",
		Consumer: &mapping.Consumer{
			Title:    "Mrs",
			Forename: "Margaret",
			Surname:  "Example" + key,
			Address: &mapping.Address{
				Lines:    []string{key + " Orchard Row"},
				Town:     "Rochester",
				County:   "Kent",
				Postcode: "ME1 1XX", PostcodeValid: true,
			},
			Telephone:        "01632 960001",
			Email:            "m." + key + "@Example.org",
			AgeBand:          "75+",
			Vulnerable:       ptr(true),
			VulnerableReason: "AGE",
			ContactConsent:   ptr(true),
		},
		Trader: &mapping.Trader{
			Name:          "Roofline Fixers " + key + " Ltd",
			TradingAs:     "Kent Roof Care",
			CompanyNumber: "TS" + key,
			Address: &mapping.Address{
				Lines:    []string{"Unit " + key, "Quarry Lane Industrial Estate"},
				Town:     "Ashford",
				Postcode: "TN23 9ZZ", PostcodeValid: true,
			},
			Telephone: "07700 900123",
			Website:   "www.roof-" + key + ".example",
		},
		Purchase: &mapping.Purchase{
			Date:        &bought,
			Amount:      &mapping.Money{Amount: decimal.RequireFromString("4800.00"), Currency: "GBP"},
			Product:     &mapping.Code{Code: "B02", Label: "Roofing and guttering"},
			Method:      &mapping.Code{Code: "DSU", Label: "Doorstep - uninvited"},
			Payment:     &mapping.Code{Code: "CSH", Label: "Cash"},
			Description: "Replacement of ridge tiles.",
		},
		Complaint: &mapping.Complaint{
			Codes: []mapping.Code{
				{Code: "AGP", Label: "Aggressive practices"},
				{Code: "CAN", Label: "Cancellation rights refused"},
			},
			Scam:        &mapping.Code{Code: "ROG", Label: "Rogue trading (doorstep)"},
			Breach:      "Criminal",
			Detriment:   &mapping.Money{Amount: decimal.RequireFromString("4800"), Currency: "GBP"},
			Summary:     "Trader called uninvited.",
			AdviceGiven: "Advised of cancellation rights.",
		},
		Agencies: []mapping.Agency{{Role: "ReferredTo", Name: "Medway Trading Standards"}},
		Notes:    []mapping.Note{{At: &noteAt, Text: "Consumer lives alone."}},
	}
}

// importCases imports cases as one file with the given bytes and returns
// the summary and each case's action. It fails the test on any error.
func importCases(t testing.TB, s *Store, data []byte, f FileInfo,
	cases ...*mapping.Case) (Summary, []Action) {
	t.Helper()
	ctx := context.Background()
	exp := testExport()
	im, err := s.Begin(ctx, f)
	if err != nil {
		t.Fatalf("Begin(%s): %v", f.Name, err)
	}
	defer im.Rollback()
	if err := im.WriteEvidence(ctx, bytes.NewReader(data)); err != nil {
		t.Fatalf("WriteEvidence: %v", err)
	}
	// In batches, as the daemon merges them.
	var acts []Action
	for len(cases) > 0 {
		n := min(len(cases), MaxMergeAll)
		a, err := im.MergeAll(ctx, exp, "2280", cases[:n])
		if err != nil {
			t.Fatalf("MergeAll(%s...): %v", cases[0].Reference, err)
		}
		acts, cases = append(acts, a...), cases[n:]
	}
	sum, err := im.Commit(ctx, exp, "2280")
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return sum, acts
}

// importNew imports cases as a new file of its own.
func importNew(t testing.TB, s *Store, cases ...*mapping.Case) (Summary, []Action) {
	t.Helper()
	data, f := content("new.xml")
	return importCases(t, s, data, f, cases...)
}

// count runs a count query.
func count(t testing.TB, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().GetContext(context.Background(), &n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// tableCounts counts the rows of every table an import writes.
func tableCounts(t testing.TB, s *Store) map[string]int {
	t.Helper()
	tables := []string{"import_file", "import_file_content", "service_request",
		"case_version", "contact", "premises", "service_request_code",
		"service_request_agency", "service_request_note"}
	m := make(map[string]int, len(tables))
	for _, tb := range tables {
		m[tb] = count(t, s, "SELECT count(*) FROM "+tb)
	}
	return m
}

// requestRow reads a stored request by case reference.
func requestRow(t testing.TB, s *Store, ref string) request {
	t.Helper()
	var r request
	err := s.DB().GetContext(context.Background(), &r, `
        SELECT id, last_import_id AS import_id, case_reference, update_sequence, route,
            case_type_code, case_type_label, case_type_known, recipient_role, received_at,
            channel, custodian_code, consumer_contact_id, consumer_match_rule,
            trader_contact_id, trader_match_rule, premises_id,
            to_char(purchase_date, 'YYYY-MM-DD') AS purchase_date, purchase_amount,
            purchase_currency, product_code, product_label, product_known,
            purchase_method_code, purchase_method_label, purchase_method_known,
            payment_method_code, payment_method_label, payment_method_known,
            purchase_description, breach, detriment_amount, detriment_currency,
            scam_code, scam_label, scam_known, summary, advice_given, vulnerable,
            vulnerable_reason, contact_consent, age_band
        FROM service_request WHERE source = 'CACS' AND case_reference = $1`, ref)
	if err != nil {
		t.Fatalf("read request %s: %v", ref, err)
	}
	return r
}
