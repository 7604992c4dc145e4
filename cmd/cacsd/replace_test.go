package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cacsd/repository/repotest"
)

// TestReplacedDuringImport renames a new upload over a file while the
// daemon imports it: both exports are imported, and the new one is not
// moved away in place of the old.
func TestReplacedDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; runs without -short")
	}
	url := repotest.New(t, "replace")
	root := t.TempDir()
	p := startDaemon(t, url, root)
	inbox := filepath.Join(root, "inbox")

	const oldCases, newCases = 3000, 5
	copyData(t, genExport("OLD", oldCases), filepath.Join(inbox, "daily.xml"))
	eventually(t, 30*time.Second, "the import to start", func() bool {
		return hasOpen(p.cmd.Process.Pid, inbox)
	})
	newer := genExport("NEW", newCases)
	part := filepath.Join(inbox, "daily.xml.filepart")
	if err := os.WriteFile(part, newer, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(part, filepath.Join(inbox, "daily.xml")); err != nil {
		t.Fatal(err)
	}

	db := openDB(t, url)
	eventually(t, 5*time.Minute, "both exports to be imported", func() bool {
		return count(t, db, `SELECT count(*) FROM service_request`) == oldCases+newCases &&
			len(dirNames(t, inbox)) == 0
	})
	p.stop(t)
	day := filepath.Join(root, "processed", time.Now().Format("2006/01/02"))
	if got := string(mustRead(t, filepath.Join(day, "daily.xml"))); got != string(newer) {
		t.Errorf("processed/daily.xml does not hold the newer upload")
	}
	if !strings.Contains(p.out.String(), `"replaced_in_inbox":true`) {
		t.Errorf("the replacement was not logged:\n%s", p.out.String())
	}
}

// TestStalledUpload pauses an upload for longer than the settle time: the
// half-written file is not failed, and the whole file is imported.
func TestStalledUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; runs without -short")
	}
	url := repotest.New(t, "stall")
	root := t.TempDir()
	p := startDaemon(t, url, root, "--settle", "300ms", "--empty-grace", "20s")
	inbox := filepath.Join(root, "inbox")

	data := genExport("STALL", 50)
	f, err := os.Create(filepath.Join(inbox, "stall.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data[:len(data)/2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // ten times the settle time
	if _, err := f.Write(data[len(data)/2:]); err != nil {
		t.Fatal(err)
	}
	f.Close()

	db := openDB(t, url)
	eventually(t, 30*time.Second, "the whole file to be imported", func() bool {
		return count(t, db, `SELECT count(*) FROM service_request`) == 50
	})
	p.stop(t)
	if failed := dirNames(t, filepath.Join(root, "failed")); len(failed) != 0 {
		t.Errorf("failed/ holds %v; the stalled upload must not fail", failed)
	}
}

// TestFailedNameReused drops two different bad files under one name: each
// keeps its own report, and neither report is overwritten or misplaced.
func TestFailedNameReused(t *testing.T) {
	url := repotest.New(t, "refail")
	root := t.TempDir()
	p := startDaemon(t, url, root)
	inbox, failed := filepath.Join(root, "inbox"), filepath.Join(root, "failed")

	copyFile(t, filepath.Join(samples, "bad", "bad-route.xml"), filepath.Join(inbox, "x.xml"))
	eventually(t, 30*time.Second, "the first failure", p.inboxEmpty(t))
	copyFile(t, filepath.Join(samples, "bad", "version-2.xml"), filepath.Join(inbox, "x.xml"))
	eventually(t, 30*time.Second, "the second failure", p.inboxEmpty(t))
	p.stop(t)

	names := dirNames(t, failed)
	if len(names) != 4 {
		t.Fatalf("failed/ holds %v, want two files and two reports", names)
	}
	for _, n := range names {
		if strings.HasSuffix(n, ".error.json") {
			continue
		}
		var rep struct {
			SHA256 string `json:"sha256"`
		}
		if err := json.Unmarshal(mustRead(t, filepath.Join(failed, n+".error.json")), &rep); err != nil {
			t.Fatalf("report of %s: %v", n, err)
		}
		if want := sha256Hex(mustRead(t, filepath.Join(failed, n))); rep.SHA256 != want {
			t.Errorf("report beside %s is for %s, want %s", n, rep.SHA256, want)
		}
	}
}
