package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMoveIntoNeverOverwrites(t *testing.T) {
	inbox, dest := t.TempDir(), filepath.Join(t.TempDir(), "processed")
	sha := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

	var got []string
	for i, content := range []string{"first", "second", "third"} {
		src := filepath.Join(inbox, "export.xml")
		writeFile(t, src, content)
		dst, err := moveInto(src, dest, sha)
		if err != nil {
			t.Fatalf("move %d: %v", i, err)
		}
		got = append(got, filepath.Base(dst))
		if _, err := os.Stat(src); !os.IsNotExist(err) {
			t.Errorf("move %d left the source behind (stat err %v)", i, err)
		}
	}
	want := []string{"export.xml", "export.0123456789ab.xml", "export.0123456789ab-2.xml"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("move %d went to %q, want %q", i, got[i], want[i])
		}
	}
	for i, content := range []string{"first", "second", "third"} {
		data, err := os.ReadFile(filepath.Join(dest, want[i]))
		if err != nil || string(data) != content {
			t.Errorf("%s holds %q (%v), want %q", want[i], data, err, content)
		}
	}
}

func TestMoveIntoKeepsOneOfIdenticalFiles(t *testing.T) {
	inbox, dest := t.TempDir(), t.TempDir()
	// sha256("same")
	const sha = "0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5"
	writeFile(t, filepath.Join(dest, "export.xml"), "same")
	src := filepath.Join(inbox, "export.xml")
	writeFile(t, src, "same")
	dst, err := moveInto(src, dest, sha)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dst) != "export.xml" {
		t.Errorf("moved to %s; want the existing identical export.xml", dst)
	}
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Errorf("source still in the inbox (stat err %v)", err)
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 1 {
		t.Errorf("destination holds %d files, want 1", len(entries))
	}
}

func TestMoveIntoAcrossFilesystems(t *testing.T) {
	dest := shmDir(t)
	src := filepath.Join(t.TempDir(), "export.xml")
	writeFile(t, src, "content")
	writeFile(t, filepath.Join(dest, "export.xml"), "older")
	dst, err := moveInto(src, dest, "feedfacefeedface")
	if err != nil {
		t.Fatalf("move across filesystems: %v", err)
	}
	if filepath.Base(dst) != "export.feedfacefeed.xml" {
		t.Errorf("moved to %s, want the hash-suffixed name", dst)
	}
	if data, _ := os.ReadFile(dst); string(data) != "content" {
		t.Errorf("moved file holds %q", data)
	}
	if data, _ := os.ReadFile(filepath.Join(dest, "export.xml")); string(data) != "older" {
		t.Errorf("existing file overwritten: %q", data)
	}
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Errorf("source still there after the copy (stat err %v)", err)
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != fileMode {
		t.Errorf("mode %v, want %v", fi.Mode().Perm(), fileMode)
	}
	entries, _ := os.ReadDir(dest)
	if len(entries) != 2 {
		t.Errorf("destination holds %d entries, want 2 (no temporary files)", len(entries))
	}
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.xml")
	r := Report{File: "bad.xml", Size: 3, FailedAt: time.Now().UTC(), Reason: "why"}
	if err := writeReport(path, r); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path + ".error.json")
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(data, &got); err != nil || got.Reason != "why" {
		t.Errorf("report reads back as %+v (%v)", got, err)
	}
	if err := writeReport(path, r); err == nil {
		t.Error("second report for the same file replaced the first; want an error")
	}
}

func TestCandidateName(t *testing.T) {
	cfg := DefaultConfig("/x")
	for name, want := range map[string]bool{
		"export.xml":            true,
		"EXPORT.XML":            true,
		".export.xml":           false,
		"export.xml~":           false,
		"export.xml.part":       false,
		"export.xml.filepart":   false,
		"export.xml.partial":    false,
		"export.xml.tmp":        false,
		"export.xml.crdownload": false,
		"export.csv":            false,
		"export.xml.done":       false,
	} {
		if got := cfg.candidateName(name); got != want {
			t.Errorf("candidateName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{
		1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		7: time.Minute, 50: time.Minute,
	} {
		if got := backoff(n); got != want {
			t.Errorf("backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

// A name as long as the filesystem takes still leaves room for its report
// and for a clash suffix, and is never tried forever.
func TestMoveLongNames(t *testing.T) {
	inbox, dest := t.TempDir(), t.TempDir()
	sha := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	long := strings.Repeat("é", 121) + "a.xml" // 248 bytes
	for i, content := range []string{"first", "second"} {
		src := filepath.Join(inbox, long)
		writeFile(t, src, content)
		dst, err := move(moveSpec{src: src, dir: dest, sha: sha, sidecar: reportSuffix})
		if err != nil {
			t.Fatalf("move %d: %v", i, err)
		}
		name := filepath.Base(dst)
		if len(name)+len(reportSuffix) > nameMax || !utf8.ValidString(name) ||
			!strings.HasSuffix(name, ".xml") {
			t.Errorf("move %d went to %q (%d bytes)", i, name, len(name))
		}
		if err := writeReport(dst, Report{File: long}); err != nil {
			t.Errorf("report beside %q: %v", name, err)
		}
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 4 {
		t.Errorf("destination holds %d files, want 2 files and 2 reports", len(entries))
	}
}

// The inbox of a root the daemon has not started on yet holds nothing.
func TestReadBacklogWithoutInbox(t *testing.T) {
	b, err := ReadBacklog(Config{Inbox: filepath.Join(t.TempDir(), "inbox")}, time.Now())
	if err != nil || b.Files != 0 {
		t.Errorf("ReadBacklog: got %+v, %v; want nothing waiting", b, err)
	}
}

// shmDir returns a new folder on the tmpfs at /dev/shm, another
// filesystem than the test's temporary folders.
func shmDir(t *testing.T) string {
	t.Helper()
	const shm = "/dev/shm"
	if fi, err := os.Stat(shm); err != nil || !fi.IsDir() {
		t.Fatalf("this test needs the tmpfs at %s: %v", shm, err)
	}
	dir, err := os.MkdirTemp(shm, "cacsd-move-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// rewriteKeepingTimes writes content over path in place and puts its mtime
// back, as rsync -t or cp -p does. Only the change time then tells, and
// it moves on with the kernel's clock tick, so the rewrite waits one out.
func rewriteKeepingTimes(t *testing.T, path, content string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	writeFile(t, path, content)
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
}

// A file that was read moves, within a filesystem or across, unless it
// has been written to since it was read, even with its size and mtime put
// back: then it stays where it is, with nothing left behind. A chmod moves
// only the change time, and the file still moves.
func TestMoveReadFile(t *testing.T) {
	sum := sha256.Sum256([]byte("content"))
	sha := hex.EncodeToString(sum[:])
	for _, fs := range []string{"same filesystem", "other filesystem"} {
		for _, change := range []string{"none", "chmod", "chmod, unread", "rewrite"} {
			t.Run(fs+", "+change, func(t *testing.T) {
				sha := sha
				if change == "chmod, unread" {
					sha = "" // refused for its size alone, so never hashed
				}
				dest := t.TempDir()
				if fs == "other filesystem" {
					dest = shmDir(t)
				}
				src := filepath.Join(t.TempDir(), "export.xml")
				writeFile(t, src, "content")
				read, err := os.Lstat(src)
				if err != nil {
					t.Fatal(err)
				}
				switch change {
				case "chmod", "chmod, unread":
					time.Sleep(20 * time.Millisecond) // a clock tick, so ctime moves
					if err := os.Chmod(src, 0o600); err != nil {
						t.Fatal(err)
					}
				case "rewrite":
					rewriteKeepingTimes(t, src, "CONTENT")
				}
				dst, err := move(moveSpec{src: src, dir: dest, sha: sha, file: read})
				if change == "rewrite" {
					if !errors.Is(err, errReplaced) {
						t.Fatalf("move of a file written since it was read: %q, %v; want errReplaced", dst, err)
					}
					if data, _ := os.ReadFile(src); string(data) != "CONTENT" {
						t.Errorf("source holds %q, want the new bytes", data)
					}
					if entries, _ := os.ReadDir(dest); len(entries) != 0 {
						t.Errorf("destination holds %d entries, want none", len(entries))
					}
					return
				}
				if err != nil {
					t.Fatalf("move: %v", err)
				}
				if data, _ := os.ReadFile(dst); string(data) != "content" {
					t.Errorf("moved file holds %q", data)
				}
				if _, err := os.Stat(src); !os.IsNotExist(err) {
					t.Errorf("source still there after the move (stat err %v)", err)
				}
			})
		}
	}
}

// A rename that caught the file written again after the last check is put
// back, even when the rewrite put size and mtime back; a rename of the file
// as it was read stands, though the rename itself moved its change time.
func TestMovedRightFile(t *testing.T) {
	sum := sha256.Sum256([]byte("content"))
	sha := hex.EncodeToString(sum[:])
	for _, change := range []string{"none", "rewrite", "rewrite keeping times", "rewrite, name taken"} {
		t.Run(change, func(t *testing.T) {
			dir := t.TempDir()
			src, dst := filepath.Join(dir, "a.xml"), filepath.Join(dir, "b.xml")
			writeFile(t, src, "content")
			read, err := os.Lstat(src)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond) // so the rename's change time differs
			want := "content"
			switch change {
			case "rewrite", "rewrite, name taken":
				want = "content, longer"
				writeFile(t, src, want)
			case "rewrite keeping times":
				want = "CONTENT"
				rewriteKeepingTimes(t, src, want)
			}
			if err := os.Rename(src, dst); err != nil {
				t.Fatal(err)
			}
			back := src
			if change == "rewrite, name taken" {
				// A newer upload took the name meanwhile: it keeps it.
				writeFile(t, src, "newer")
				back = filepath.Join(dir, "a.returned-1.xml")
			}
			err = moveSpec{src: src, sha: sha, file: read}.movedRightFile(dst)
			if change == "none" {
				if err != nil {
					t.Fatalf("movedRightFile of the file read: %v", err)
				}
				return
			}
			if !errors.Is(err, errReplaced) {
				t.Fatalf("movedRightFile of a file written since: %v, want errReplaced", err)
			}
			if data, _ := os.ReadFile(back); string(data) != want {
				t.Errorf("file not put back as %s: %q", filepath.Base(back), data)
			}
			if _, err := os.Lstat(dst); !os.IsNotExist(err) {
				t.Errorf("the rewritten file stays at %s (stat err %v)", dst, err)
			}
			if back != src {
				if data, _ := os.ReadFile(src); string(data) != "newer" {
					t.Errorf("the newer upload's name holds %q", data)
				}
			}
		})
	}
}
