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
// named with part of its hash, and nothing is left behind.
func TestNameClashAndOtherFilesystem(t *testing.T) {
	const shm = "/dev/shm"
	if fi, err := os.Stat(shm); err != nil || !fi.IsDir() {
		t.Fatalf("this test needs the tmpfs at %s: %v", shm, err)
	}
	processed, err := os.MkdirTemp(shm, "cacsd-processed-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(processed) })

	url := repotest.New(t, "clash")
	root := t.TempDir()
	p := startDaemon(t, url, root, "--processed", processed)
	inbox := filepath.Join(root, "inbox")

	first := genExport("CLASHA", 1)
	second := genExport("CLASHB", 1)
	copyData(t, first, filepath.Join(inbox, "daily.xml"))
	eventually(t, 30*time.Second, "the first file", p.inboxEmpty(t))
	copyData(t, second, filepath.Join(inbox, "daily.xml"))
	eventually(t, 30*time.Second, "the second file", p.inboxEmpty(t))
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
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
