package main

import (
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"cacsd/repository/repotest"
)

// importSamples imports every good sample through the binary, with
// referral-update.xml last, and returns the root folder.
func importSamples(t *testing.T, url string) string {
	t.Helper()
	root := t.TempDir()
	env := []string{"DATABASE_URL=" + url}
	var files []string
	for _, f := range sampleFiles(t, "good") {
		if filepath.Base(f) != "referral-update.xml" {
			files = append(files, f)
		}
	}
	files = append(files, filepath.Join(samples, "good", "referral-update.xml"))
	inbox := filepath.Join(root, "inbox")
	if err := os.MkdirAll(inbox, 0o750); err != nil {
		t.Fatal(err)
	}
	// One run imports the files in the order given.
	args := []string{"import", "--root", root, "--custodian", "2280", "--log-format", "json"}
	for _, f := range files {
		dst := filepath.Join(inbox, filepath.Base(f))
		copyFile(t, f, dst)
		args = append(args, dst)
	}
	if code, out := cacsd(t, env, args...); code != 0 {
		t.Fatalf("import samples: exit %d\n%s", code, out)
	}
	return root
}

// TestCaseworkDoneWhen imports the samples and checks what an officer sees
// the next morning: contacts, premises, actions, evidence and reports.
func TestCaseworkDoneWhen(t *testing.T) {
	url := repotest.New(t, "casework")
	importSamples(t, url)
	db := openDB(t, url)

	checks := []struct {
		name  string
		query string
		want  int
	}{
		{"consumer Margaret Example", `SELECT count(*) FROM contact
            WHERE kind = 'consumer' AND forename = 'Margaret' AND surname = 'Example'`, 1},
		{"trader Roofline Fixers Ltd", `SELECT count(*) FROM contact
            WHERE kind = 'trader' AND name = 'Roofline Fixers Ltd'`, 1},
		{"premises of Roofline Fixers Ltd", `SELECT count(*) FROM premises p
            JOIN contact t ON t.id = p.trader_contact_id WHERE t.name = 'Roofline Fixers Ltd'`, 1},
		{"requests about a trader without premises", `SELECT count(*) FROM service_request
            WHERE trader_contact_id IS NOT NULL AND premises_id IS NULL`, 0},
		{"files without evidence", `SELECT count(*) FROM import_file f
            WHERE NOT EXISTS (SELECT 1 FROM import_file_content c WHERE c.import_file_id = f.id)`, 0},
		{"requests without an evidence link", `SELECT count(*) FROM service_request r
            WHERE NOT EXISTS (SELECT 1 FROM service_request_file l
                              WHERE l.service_request_id = r.id)`, 0},
		{"possible matches", `SELECT count(*) FROM possible_match`, 0},
		{"recipient roles", `SELECT count(*) FROM service_request
            WHERE recipient_role IS NOT NULL`, 6},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if got := count(t, db, c.query); got != c.want {
				t.Errorf("%s: got %d, want %d", c.query, got, c.want)
			}
		})
	}

	var actions []string
	if err := db.Select(&actions, `
        SELECT a.title FROM action a JOIN service_request r ON r.id = a.service_request_id
        WHERE r.case_reference = 'CACS2611290001' ORDER BY a.title`); err != nil {
		t.Fatal(err)
	}
	want := []string{"Assess for investigation", "Consider safeguarding contact", "Review referral"}
	if !slices.Equal(actions, want) {
		t.Errorf("actions of CACS2611290001: got %q, want %q", actions, want)
	}

	checkSampleReports(t, db)
	t.Run("evidence round trip", func(t *testing.T) { checkEvidence(t, url) })
}

func checkSampleReports(t *testing.T, db *sqlx.DB) {
	t.Helper()
	type row = []string
	london, _ := time.LoadLocation("Europe/London")
	today := time.Now().In(london)
	age := func(y int, m time.Month, d int) string {
		day := time.Date(today.Year(), today.Month(), today.Day(), 12, 0, 0, 0, time.UTC)
		return strconv.Itoa(int(day.Sub(time.Date(y, m, d, 12, 0, 0, 0, time.UTC)).Hours() / 24))
	}
	reports := []struct {
		view, query string
		want        []row
	}{{
		"report_requests_by_month",
		`SELECT month::text, route, case_type, requests::text FROM report_requests_by_month
         ORDER BY month, route, case_type`,
		[]row{
			{"2026-11-01", "Notification", "TC-CB", "2"},
			{"2026-11-01", "Notification", "TC-NB", "2"},
			{"2026-11-01", "Referral", "TC-CB", "1"},
			{"2026-11-01", "Referral", "TC-CR", "2"},
			{"2026-11-01", "Signposting", "ENQ", "1"},
			{"2026-11-01", "Signposting", "PSA", "1"},
		},
	}, {
		"report_top_traders",
		`SELECT trader, coalesce(company_number, ''), complaints::text, total_detriment::text
         FROM report_top_traders ORDER BY complaints DESC, total_detriment DESC, trader`,
		[]row{
			{"Roofline Fixers Ltd", "09999991", "1", "5600.00"},
			{"Crème Kitchens & Bathrooms", "", "1", "1250.00"},
			{"Bell Yard Bakery", "", "1", "0.00"},
			{"Corner Shop Convenience", "", "1", "0.00"},
			{"Quick Motors", "SC123456", "1", "0.00"},
			{"Speedy Sofas Online", "", "1", "0.00"},
			{"Vape Planet", "", "1", "0.00"},
		},
	}, {
		"report_open_referrals",
		`SELECT case_reference, age_days::text, coalesce(officer, ''), queue
         FROM report_open_referrals ORDER BY case_reference`,
		[]row{
			{"CACS2611290001", age(2026, 11, 29), "", "investigations"},
			{"CACS2611300010", age(2026, 11, 30), "", "referrals"},
			{"CACS2611300013", age(2026, 11, 30), "", "investigations"},
		},
	}, {
		"report_unknown_codes",
		`SELECT kind, code, label, requests::text FROM report_unknown_codes ORDER BY kind, code`,
		[]row{
			{"complaint", "NEW1", "Illegal vape size", "1"},
			{"payment_method", "QRP", "QR code payment", "1"},
			{"product", "H77", "Disposable vapes (new code)", "1"},
			{"purchase_method", "XYZ", "Pop-up stall", "1"},
		},
	}}
	for _, r := range reports {
		t.Run(r.view, func(t *testing.T) {
			if r.view == "report_top_traders" {
				// The view counts the last 12 months: read it as if today
				// were when these expectations were written, whatever the
				// date, by moving the samples forward in a transaction.
				tx := db.MustBegin()
				defer tx.Rollback()
				tx.MustExec(`UPDATE service_request SET received_at = received_at +
                    greatest(now() - '2026-12-04T00:00:00Z'::timestamptz, interval '0')`)
				if got := queryStrings(t, tx, r.query); !reflect.DeepEqual(got, r.want) {
					t.Errorf("%s:\ngot  %q\nwant %q", r.view, got, r.want)
				}
				return
			}
			got := queryStrings(t, db, r.query)
			if !reflect.DeepEqual(got, r.want) {
				t.Errorf("%s:\ngot  %q\nwant %q", r.view, got, r.want)
			}
		})
	}
}

// queryStrings runs a query whose columns are all text and returns its rows.
func queryStrings(t testing.TB, db sqlx.Queryer, query string) [][]string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		row := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// cacsdStdout runs the binary and returns its exit code and standard
// output alone, as bytes.
func cacsdStdout(t testing.TB, env []string, args ...string) (int, []byte) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.Bytes()
	}
	if err != nil {
		t.Fatalf("run cacsd %v: %v", args, err)
	}
	return 0, out.Bytes()
}

// checkEvidence reads the samples back out with cacsd evidence and
// compares them byte for byte with what was imported.
func checkEvidence(t *testing.T, url string) {
	env := []string{"DATABASE_URL=" + url}

	update, err := os.ReadFile(filepath.Join(samples, "good", "referral-update.xml"))
	if err != nil {
		t.Fatal(err)
	}
	code, out := cacsdStdout(t, env, "evidence", "CACS2611290001")
	if code != 0 || !bytes.Equal(out, update) {
		t.Fatalf("evidence CACS2611290001: exit %d, %d bytes; want 0 and the %d bytes of "+
			"referral-update.xml", code, len(out), len(update))
	}
	if sha256.Sum256(out) != sha256.Sum256(update) {
		t.Error("evidence SHA-256 differs from the file imported")
	}

	dir := filepath.Join(t.TempDir(), "out")
	if code, msg := cacsd(t, env, "evidence", "--all", "--out", dir, "CACS2611290001"); code != 0 {
		t.Fatalf("evidence --all: exit %d\n%s", code, msg)
	}
	got := map[string][32]byte{}
	for _, name := range dirNames(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		_, base, _ := strings.Cut(name, "-")
		got[base] = sha256.Sum256(b)
	}
	for _, name := range []string{"referral-single.xml", "referral-update.xml"} {
		b, err := os.ReadFile(filepath.Join(samples, "good", name))
		if err != nil {
			t.Fatal(err)
		}
		if got[name] != sha256.Sum256(b) {
			t.Errorf("evidence --all: %s missing or different (have %v)", name, dirNames(t, dir))
		}
	}
	if len(got) != 2 {
		t.Errorf("evidence --all wrote %v, want the two files of the case", dirNames(t, dir))
	}

	// Into the same folder again: refused as trouble, before any read is
	// recorded.
	db := openDB(t, url)
	reads := count(t, db, `SELECT count(*) FROM audit_event WHERE action = 'evidence'`)
	if code, msg := cacsd(t, env, "evidence", "--all", "--out", dir, "CACS2611290001"); code != exitTrouble ||
		!strings.Contains(msg, "exists") {
		t.Errorf("evidence --all into a full folder: exit %d, want %d\n%s", code, exitTrouble, msg)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_event WHERE action = 'evidence'`); n != reads {
		t.Errorf("evidence reads recorded for a refused run: %d, want %d", n, reads)
	}

	if code, _ := cacsd(t, env, "evidence", "CACS0000NOPE"); code != exitFailed {
		t.Errorf("evidence of an unknown case: exit %d, want %d", code, exitFailed)
	}
}
