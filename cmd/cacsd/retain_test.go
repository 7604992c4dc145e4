package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cacsd/repository/repotest"
)

// TestAutoCustodianCloseAndRetain places files by postcode district, then
// closes a case and lets retention remove its file from processed/.
func TestAutoCustodianCloseAndRetain(t *testing.T) {
	url := repotest.New(t, "retain")
	env := []string{"DATABASE_URL=" + url}
	root := t.TempDir()
	inbox := filepath.Join(root, "inbox")
	if err := os.MkdirAll(inbox, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"referral-single.xml", "no-namespace-reordered.xml"} {
		copyFile(t, filepath.Join(samples, "good", name), filepath.Join(inbox, name))
	}

	code, out := cacsd(t, env, "import", "--root", root, "--custodian", "auto",
		"--log-format", "json", filepath.Join(inbox, "referral-single.xml"))
	if code != 0 {
		t.Fatalf("import referral-single.xml with auto: exit %d\n%s", code, out)
	}
	// No recipient, no consumer postcode, a trader in Bromley: no district.
	code, out = cacsd(t, env, "import", "--root", root, "--custodian", "auto",
		"--log-format", "json", filepath.Join(inbox, "no-namespace-reordered.xml"))
	if code != exitFailed {
		t.Fatalf("import no-namespace-reordered.xml with auto: exit %d, want %d\n%s",
			code, exitFailed, out)
	}
	report, err := os.ReadFile(filepath.Join(root, "failed", "no-namespace-reordered.xml.error.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(report), "authority cannot be decided") ||
		strings.Contains(string(report), "BR1") || strings.Contains(out, "BR1") {
		t.Errorf("failure report: want the reason and no postcode, got %s\nlog %s", report, out)
	}

	if code, out := cacsd(t, env, "close", "--by", "officer1", "CACS2611290001"); code != 0 ||
		!strings.Contains(out, "CACS2611290001: closed") {
		t.Fatalf("close: exit %d\n%s", code, out)
	}
	db := openDB(t, url)
	db.MustExec(`UPDATE service_request SET closed_at = now() - interval '7 years' WHERE status = 'closed'`)

	code, out = cacsd(t, env, "retain", "--older-than", "6y", "--root", root)
	if code != 0 || !strings.Contains(out, "requests anonymised: 1") ||
		!strings.Contains(out, "processed files removed: 1") {
		t.Fatalf("retain: exit %d\n%s", code, out)
	}
	for _, f := range walkFiles(t, filepath.Join(root, "processed")) {
		if strings.Contains(f, "referral-single") {
			t.Errorf("processed/%s still there after retention", f)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM audit_event
        WHERE action = 'close' AND actor = 'user:officer1'`); n != 1 {
		t.Errorf("close audit events by officer1: got %d, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM contact
        WHERE kind = 'consumer' AND surname IS NOT NULL`); n != 0 {
		t.Errorf("consumers with a surname after retention: got %d, want 0", n)
	}

	// The anonymised request's evidence is withheld, wherever it is asked for.
	dir := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{
		{"evidence", "CACS2611290001"},
		{"evidence", "--all", "--out", dir, "CACS2611290001"},
	} {
		code, out := cacsd(t, env, args...)
		if code != exitFailed || !strings.Contains(out, "anonymised") {
			t.Errorf("%s: exit %d, want %d and why\n%s", strings.Join(args, " "), code,
				exitFailed, out)
		}
	}
	if _, err := os.Stat(dir); err == nil && len(dirNames(t, dir)) > 0 {
		t.Errorf("evidence of an anonymised request written: %v", dirNames(t, dir))
	}
}
