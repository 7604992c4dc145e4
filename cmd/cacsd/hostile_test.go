package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"cacsd/repository/repotest"
)

// hostileFiles are exports built to hurt: each must fail with a clear
// reason and write nothing.
func hostileFiles(t *testing.T) map[string][]byte {
	t.Helper()
	good := string(mustRead(t, filepath.Join(samples, "good", "referral-single.xml")))
	withSummary := func(s string) string {
		return strings.Replace(good, "<Summary>", "<Summary>"+s, 1)
	}

	var nested bytes.Buffer
	nested.WriteString(`<?xml version="1.0"?><CaseExport version="1.0" exportId="X" ` +
		`generated="2026-11-30T07:00:00Z"><Case>`)
	for range 200000 {
		nested.WriteString("<a>")
	}

	utf16NoBOM := strings.Replace(good, `encoding="UTF-8"`, `encoding="UTF-16"`, 1)
	var u16 bytes.Buffer
	for _, r := range utf16.Encode([]rune(utf16NoBOM)) {
		u16.Write([]byte{byte(r), byte(r >> 8)}) // little-endian, no BOM
	}

	return map[string][]byte{
		"nested.xml":         nested.Bytes(),
		"huge-text.xml":      []byte(withSummary(strings.Repeat("x", 10<<20))),
		"entity.xml":         []byte(withSummary("&pound;5")),
		"two-roots.xml":      []byte(good + good[strings.Index(good, "<CaseExport"):]),
		"nul.xml":            []byte(withSummary("a\x00b")),
		"bad-charset.xml":    []byte(strings.Replace(good, "UTF-8", "ISO-8859-99", 1)),
		"utf16-no-bom.xml":   u16.Bytes(),
		"doctype-only.xml":   []byte(`<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>`),
		"not-a-case.xml":     []byte(`<?xml version="1.0"?><CaseExport/>`),
		"binary-junk.xml":    {0xff, 0xfe, 0x00, 0x01, 0x02},
		"only-bom.xml":       {0xef, 0xbb, 0xbf},
		"root-then-pi.xml":   []byte(good + "<?pi ok?>garbage"),
		"prefix-unbound.xml": []byte(strings.Replace(good, "<CaseExport", "<q:CaseExport", 1)),
	}
}

// TestHostileFiles drops hostile and broken files into a running daemon:
// each goes to failed/ with its reason, nothing is written, links and
// folders are left alone, and the daemon goes on importing good files.
func TestHostileFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end hostile-input test; runs without -short")
	}
	url := repotest.New(t, "hostile")
	root := t.TempDir()
	p := startDaemon(t, url, root, "--custodian", "2280")
	inbox := filepath.Join(root, "inbox")

	// A link to a file outside the inbox, and a subfolder with a file in it.
	outside := filepath.Join(t.TempDir(), "secret.xml")
	copyData(t, mustRead(t, filepath.Join(samples, "good", "batch-mixed.xml")), outside)
	if err := os.Symlink(outside, filepath.Join(inbox, "link.xml")); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(inbox, "sub.xml")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	copyData(t, mustRead(t, outside), filepath.Join(sub, "inner.xml"))

	// A 2 GB sparse file over the 512 MiB default limit.
	sparse := filepath.Join(inbox, "sparse.xml")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()

	hostile := hostileFiles(t)
	for name, data := range hostile {
		copyData(t, data, filepath.Join(inbox, name))
	}
	failedDir := filepath.Join(root, "failed")
	eventually(t, 60*time.Second, "every hostile file to fail", func() bool {
		return len(doneNames(t, failedDir)) == 2*(len(hostile)+1)
	})

	for name := range hostile {
		report := mustRead(t, filepath.Join(failedDir, name+".error.json"))
		if !bytes.Contains(report, []byte(`"reason"`)) {
			t.Errorf("%s report has no reason: %s", name, report)
		}
	}
	report := string(mustRead(t, filepath.Join(failedDir, "sparse.xml.error.json")))
	if !strings.Contains(report, "over the limit") {
		t.Errorf("sparse.xml report does not name the size limit: %s", report)
	}
	for name, want := range map[string]string{
		"entity.xml": "entity", "two-roots.xml": "root", "nul.xml": "",
		"bad-charset.xml": "iso-8859-99", "nested.xml": "deep", "huge-text.xml": "long",
	} {
		report := string(mustRead(t, filepath.Join(failedDir, name+".error.json")))
		if !strings.Contains(strings.ToLower(report), want) {
			t.Errorf("%s report does not mention %q:\n%s", name, want, report)
		}
	}

	// The link and the folder are untouched, and so is what the link names.
	if fi, err := os.Lstat(filepath.Join(inbox, "link.xml")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link.xml in the inbox was moved or replaced: %v", err)
	}
	if _, err := os.Stat(filepath.Join(sub, "inner.xml")); err != nil {
		t.Errorf("file in a subfolder was touched: %v", err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the link's target was touched: %v", err)
	}

	db := openDB(t, url)
	if n := count(t, db, `SELECT count(*) FROM service_request`); n != 0 {
		t.Errorf("hostile files wrote %d service requests", n)
	}

	// The daemon carries on.
	copyData(t, mustRead(t, filepath.Join(samples, "good", "referral-single.xml")),
		filepath.Join(inbox, "after.xml"))
	eventually(t, 30*time.Second, "a good file after the hostile ones", func() bool {
		return count(t, db, `SELECT count(*) FROM service_request`) == 1
	})
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
	// The sender of the link and the folder is told, once each, over
	// many scans.
	for _, name := range []string{"link.xml", "sub.xml"} {
		n := 0
		for _, line := range strings.Split(p.out.String(), "\n") {
			if strings.Contains(line, `"level":"warn"`) && strings.Contains(line, `"file":"`+name+`"`) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("warnings about %s: got %d, want 1\n%s", name, n, p.out)
		}
	}
}

// Rows the database refuses in a batch fail the file with a reason that
// names the cases of the batch, and leave the database untouched.
func TestRefusedBatchNamesCases(t *testing.T) {
	url := repotest.New(t, "refused")
	root := t.TempDir()
	p := startDaemon(t, url, root, "--custodian", "2280")
	db := openDB(t, url)
	// Stands for a rule a council added to its database.
	if _, err := db.Exec(`ALTER TABLE case_version ADD CONSTRAINT no_versions
        CHECK (service_request_id < 0) NOT VALID`); err != nil {
		t.Fatal(err)
	}
	copyData(t, genExport("REF", 300), filepath.Join(root, "inbox", "refused.xml"))
	failedDir := filepath.Join(root, "failed")
	eventually(t, time.Minute, "the file to fail", func() bool {
		return len(doneNames(t, failedDir)) == 2
	})
	report := string(mustRead(t, filepath.Join(failedDir, "refused.xml.error.json")))
	if want := "the data of cases 1 to 256 of the file (SQLSTATE 23514)"; !strings.Contains(report, want) {
		t.Errorf("report does not say %q: %s", want, report)
	}
	if n := count(t, db, `SELECT count(*) FROM service_request`); n != 0 {
		t.Errorf("%d requests written, want none", n)
	}

	// A case's own row refused names that case.
	if _, err := db.Exec(`ALTER TABLE case_version DROP CONSTRAINT no_versions;
        ALTER TABLE service_request ADD CONSTRAINT no_summary
        CHECK (summary IS DISTINCT FROM 'Generated summary text 300.') NOT VALID`); err != nil {
		t.Fatal(err)
	}
	copyData(t, genExport("REO", 300), filepath.Join(root, "inbox", "refused-one.xml"))
	eventually(t, time.Minute, "the second file to fail", func() bool {
		return len(doneNames(t, failedDir)) == 4
	})
	report = string(mustRead(t, filepath.Join(failedDir, "refused-one.xml.error.json")))
	if want := "the data of case REO000300 (SQLSTATE 23514)"; !strings.Contains(report, want) {
		t.Errorf("report does not say %q: %s", want, report)
	}
	if strings.Contains(report, "Generated summary") {
		t.Errorf("report quotes the refused value: %s", report)
	}
	p.stop(t)
}
