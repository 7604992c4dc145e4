package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"cacsd/repository/repotest"
)

// Timing of the delivery tests: writers pause for longer than half the
// settle time between chunks, but less than all of it.
const (
	deliverySettle = time.Second
	chunkPause     = 600 * time.Millisecond
)

// delivery puts data into the inbox under name, the way one kind of sender
// does.
type delivery struct {
	name    string
	deliver func(t *testing.T, inbox, name string, data []byte)
}

func deliveries(sftp *sftpServer) []delivery {
	return []delivery{
		{"chunks", writeChunks},
		{"empty-then-filled", writeEmptyThenFill},
		{"reopened", writeReopening},
		{"mv", func(t *testing.T, inbox, name string, data []byte) {
			staged := stage(t, filepath.Dir(inbox), name, data) // same filesystem
			mustRun(t, "mv", staged, filepath.Join(inbox, name))
		}},
		{"cp", func(t *testing.T, inbox, name string, data []byte) {
			mustRun(t, "cp", stage(t, t.TempDir(), name, data), filepath.Join(inbox, name))
		}},
		{"rsync", func(t *testing.T, inbox, name string, data []byte) {
			mustRun(t, "rsync", stage(t, t.TempDir(), name, data), filepath.Join(inbox, name))
		}},
		{"rsync-inplace", func(t *testing.T, inbox, name string, data []byte) {
			mustRun(t, "rsync", "--inplace", stage(t, t.TempDir(), name, data),
				filepath.Join(inbox, name))
		}},
		{"sftp-put", func(t *testing.T, inbox, name string, data []byte) {
			local := stage(t, t.TempDir(), name, data)
			sftp.batch(t, fmt.Sprintf("put %s %s", local, filepath.Join(inbox, name)))
		}},
		{"sftp-filepart", func(t *testing.T, inbox, name string, data []byte) {
			local := stage(t, t.TempDir(), name, data)
			remote := filepath.Join(inbox, name)
			sftp.batch(t, fmt.Sprintf("put %s %s.filepart", local, remote),
				fmt.Sprintf("rename %s.filepart %s", remote, remote))
		}},
		{"sftp-put-p", func(t *testing.T, inbox, name string, data []byte) {
			local := stage(t, t.TempDir(), name, data)
			old := time.Date(2019, 5, 1, 9, 0, 0, 0, time.UTC)
			if err := os.Chtimes(local, old, old); err != nil {
				t.Error(err)
			}
			sftp.batch(t, fmt.Sprintf("put -p %s %s", local, filepath.Join(inbox, name)))
		}},
	}
}

func stage(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, "staged-"+name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Error(err)
	}
	return p
}

// thirds splits data into three chunks.
func thirds(data []byte) [][]byte {
	n := len(data) / 3
	return [][]byte{data[:n], data[n : 2*n], data[2*n:]}
}

// writeChunks writes the file in place, under its final name, in three
// chunks with pauses.
func writeChunks(t *testing.T, inbox, name string, data []byte) {
	f, err := os.Create(filepath.Join(inbox, name))
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	for i, c := range thirds(data) {
		if i > 0 {
			time.Sleep(chunkPause)
		}
		if _, err := f.Write(c); err != nil {
			t.Error(err)
		}
	}
}

// writeEmptyThenFill creates the file empty, leaves it longer than the
// settle time, then fills it.
func writeEmptyThenFill(t *testing.T, inbox, name string, data []byte) {
	path := filepath.Join(inbox, name)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Error(err)
		return
	}
	time.Sleep(3 * deliverySettle)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Error(err)
	}
}

// writeReopening closes and reopens the file between chunks.
func writeReopening(t *testing.T, inbox, name string, data []byte) {
	path := filepath.Join(inbox, name)
	for i, c := range thirds(data) {
		if i > 0 {
			time.Sleep(chunkPause)
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := f.Write(c); err != nil {
			t.Error(err)
		}
		f.Close()
	}
}

// TestDeliveries delivers a file every way real senders do, at once, with
// events on and with the scan alone: each is imported exactly once and
// none is read half-written.
func TestDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end delivery test; runs without -short")
	}
	sftp := startSFTPServer(t)
	for _, mode := range []struct {
		name  string
		flags []string
	}{
		{"events", nil},
		{"poll-only", []string{"--poll-only", "--scan-interval", "500ms"}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			url := repotest.New(t, "delivery")
			root := t.TempDir()
			flags := append([]string{"--settle", deliverySettle.String(),
				"--empty-grace", "20s"}, mode.flags...)
			p := startDaemon(t, url, root, flags...)
			inbox := filepath.Join(root, "inbox")

			const casesEach = 300 // big enough for several writes per file
			ds := deliveries(sftp)
			var wg sync.WaitGroup
			for i, d := range ds {
				wg.Add(1)
				go func() {
					defer wg.Done()
					data := genExport(fmt.Sprintf("D%02d", i), casesEach)
					d.deliver(t, inbox, d.name+".xml", data)
				}()
			}
			wg.Wait()
			// Scan interval + settle is the bound in poll-only mode.
			eventually(t, 60*time.Second, "every delivery to be handled", func() bool {
				return len(dirNames(t, inbox)) == 0
			})

			day := filepath.Join(root, "processed", time.Now().Format("2006/01/02"))
			got := dirNames(t, day)
			for _, d := range ds {
				if !slices.Contains(got, d.name+".xml") {
					t.Errorf("%s.xml not in processed/ (holds %v)", d.name, got)
				}
			}
			if len(got) != len(ds) {
				t.Errorf("processed/ holds %d files, want %d: %v", len(got), len(ds), got)
			}
			if f := dirNames(t, filepath.Join(root, "failed")); len(f) != 0 {
				t.Errorf("failed/ holds %v; want nothing", f)
			}
			db := openDB(t, url)
			if n := count(t, db, `SELECT count(*) FROM service_request`); n != len(ds)*casesEach {
				t.Errorf("service requests: got %d, want %d", n, len(ds)*casesEach)
			}
			if n := count(t, db, `SELECT count(*) FROM import_file`); n != len(ds) {
				t.Errorf("import_file rows: got %d, want %d", n, len(ds))
			}
			if code := p.stop(t); code != 0 {
				t.Errorf("exit code %d", code)
			}
			if n := len(fileLines(t, p.out)); n != len(ds) {
				t.Errorf("per-file log lines: got %d, want %d", n, len(ds))
			}
		})
	}
}
