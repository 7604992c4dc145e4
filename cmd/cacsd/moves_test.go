package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cacsd/repository/repotest"
)

// TestNameClashAndOtherFilesystem sends two different files under one name
// on the same day, into a processed/ folder on another filesystem (tmpfs)
// than the inbox: both are kept, nothing is overwritten, the second is
// named with part of its hash, and nothing is left behind. A bad file goes
// to a failed/ folder on that filesystem too, with its report, and each
// file gets its line.
func TestNameClashAndOtherFilesystem(t *testing.T) {
	const shm = "/dev/shm"
	if fi, err := os.Stat(shm); err != nil || !fi.IsDir() {
		t.Fatalf("this test needs the tmpfs at %s: %v", shm, err)
	}
	other, err := os.MkdirTemp(shm, "cacsd-moves-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(other) })
	processed, failed := filepath.Join(other, "processed"), filepath.Join(other, "failed")

	url := repotest.New(t, "clash")
	root := t.TempDir()
	p := startDaemon(t, url, root, "--processed", processed, "--failed", failed)
	inbox := filepath.Join(root, "inbox")

	first := genExport("CLASHA", 1)
	second := genExport("CLASHB", 1)
	copyData(t, first, filepath.Join(inbox, "daily.xml"))
	eventually(t, 30*time.Second, "the first file", p.inboxEmpty(t))
	copyData(t, second, filepath.Join(inbox, "daily.xml"))
	eventually(t, 30*time.Second, "the second file", p.inboxEmpty(t))
	copyFile(t, filepath.Join(samples, "bad", "bad-route.xml"), filepath.Join(inbox, "bad.xml"))
	eventually(t, 30*time.Second, "the bad file", p.inboxEmpty(t))
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}

	var outcomes []string
	for _, l := range fileLines(t, p.out) {
		dest, _ := l["dest"].(string)
		if !strings.HasPrefix(dest, other) {
			t.Errorf("line %v names no destination on the other filesystem", l)
		}
		outcomes = append(outcomes, l["outcome"].(string))
	}
	if want := []string{"imported", "imported", "failed"}; !slices.Equal(outcomes, want) {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
	if strings.Contains(p.out.String(), `"op":"move"`) {
		t.Errorf("a move was retried:\n%s", p.out.String())
	}
	if got := dirNames(t, failed); !slices.Equal(got, []string{"bad.xml", "bad.xml.error.json"}) {
		t.Errorf("failed/ holds %v, want bad.xml and its report", got)
	}

	// A retry brings the failed file back across the filesystems.
	code, out := cacsd(t, []string{"DATABASE_URL=" + url}, "retry", "--root", root,
		"--processed", processed, "--failed", failed, "bad.xml")
	if code != 0 {
		t.Fatalf("retry: exit %d\n%s", code, out)
	}
	if got := dirNames(t, failed); len(got) != 0 {
		t.Errorf("failed/ holds %v after the retry, want nothing", got)
	}
	if got := dirNames(t, inbox); !slices.Equal(got, []string{"bad.xml"}) {
		t.Errorf("inbox holds %v after the retry, want bad.xml", got)
	}
	if n := count(t, openDB(t, url), `SELECT count(*) FROM file_retry WHERE file_name = 'bad.xml'`); n != 1 {
		t.Errorf("%d retries recorded, want 1", n)
	}

	day := filepath.Join(processed, time.Now().Format("2006/01/02"))
	names := dirNames(t, day)
	if len(names) != 2 || !slices.Contains(names, "daily.xml") {
		t.Fatalf("processed/ holds %v, want daily.xml and a hash-suffixed second", names)
	}
	for _, n := range names {
		data := mustRead(t, filepath.Join(day, n))
		want := first
		if n != "daily.xml" {
			want = second
			if !strings.HasPrefix(n, "daily.") || !strings.HasSuffix(n, ".xml") {
				t.Errorf("second file named %s, want daily.<hash>.xml", n)
			}
		}
		if string(data) != string(want) {
			t.Errorf("%s holds the wrong content", n)
		}
	}
	if left := walkFiles(t, processed); len(left) != 2 {
		t.Errorf("processed/ holds %v; want no temporary files", left)
	}
}
