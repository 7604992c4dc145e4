package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cacsd/repository/repotest"
)

// TestThreeDaemonsShareOneInbox is what Kubernetes does with replicas on a
// shared volume: three daemons, one inbox, one database. Every file must
// be imported once and moved once, none may fail, and no daemon may log a
// warning or an error because of the others.
func TestThreeDaemonsShareOneInbox(t *testing.T) {
	const files = 1000
	url := repotest.New(t, "shared")
	root := t.TempDir()
	var daemons []*daemonProc
	for range 3 {
		daemons = append(daemons, startDaemon(t, url, root, "--log-level", "debug"))
	}

	template, err := os.ReadFile(filepath.Join(samples, "good", "referral-single.xml"))
	if err != nil {
		t.Fatal(err)
	}
	stage, inbox := t.TempDir(), filepath.Join(root, "inbox")
	for i := range files {
		ref := fmt.Sprintf("CACS28%08d", i)
		data := strings.ReplaceAll(string(template), "CACS2611290001", ref)
		data = strings.ReplaceAll(data, "EXP-20261129-0001", "EXP-SHARED-"+ref)
		name := fmt.Sprintf("export-%04d.xml", i)
		if err := os.WriteFile(filepath.Join(stage, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	for i := range files {
		name := fmt.Sprintf("export-%04d.xml", i)
		if err := os.Rename(filepath.Join(stage, name), filepath.Join(inbox, name)); err != nil {
			t.Fatal(err)
		}
	}

	processed := filepath.Join(root, "processed")
	eventually(t, 5*time.Minute, "every file to reach processed/", func() bool {
		return len(walkFiles(t, processed)) >= files && len(dirNames(t, inbox)) == 0
	})
	t.Logf("%d files through three daemons in %v", files, time.Since(start).Round(time.Millisecond))
	for _, p := range daemons {
		if code := p.stop(t); code != 0 {
			t.Errorf("exit code: got %d, want 0", code)
		}
	}

	moved := walkFiles(t, processed)
	if len(moved) != files {
		t.Errorf("processed/ holds %d files, want %d", len(moved), files)
	}
	for _, f := range moved {
		// A second move of the same file would have needed a new name.
		if base := filepath.Base(f); !strings.HasPrefix(base, "export-") || len(base) != len("export-0000.xml") {
			t.Errorf("processed/%s: not a name that was dropped", f)
		}
	}
	if left := walkFiles(t, filepath.Join(root, "failed")); len(left) != 0 {
		t.Errorf("failed/ holds %v, want nothing", left)
	}

	db := openDB(t, url)
	for table, want := range map[string]int{
		"import_file WHERE status = 'imported'": files,
		"import_file":                           files,
		"service_request":                       files,
		"case_version":                          files,
	} {
		if n := count(t, db, "SELECT count(*) FROM "+table); n != want {
			t.Errorf("rows in %s: got %d, want %d", table, n, want)
		}
	}

	imported, repeats, elsewhere, movedByOther := 0, 0, 0, 0
	for i, p := range daemons {
		for _, l := range p.out.logLines(t) {
			switch l["level"] {
			case "warn", "error":
				t.Errorf("daemon %d logged %v: %v", i, l["level"], l)
			}
			switch l["msg"] {
			case "file imported":
				imported++
				if l["moved_by_other"] == true {
					movedByOther++
				}
			case "file already imported":
				repeats++
			case "file handled elsewhere; gone from the inbox":
				elsewhere++
			case "file failed":
				t.Errorf("daemon %d failed a file: %v", i, l)
			}
		}
	}
	t.Logf("races between the daemons: %d found the hash imported and moved the file, "+
		"%d found the file gone (debug), %d imports moved by another daemon",
		repeats, elsewhere, movedByOther)
	if imported != files {
		t.Errorf("\"file imported\" lines across the daemons: got %d, want %d", imported, files)
	}
}
