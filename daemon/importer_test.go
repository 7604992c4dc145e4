package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"cacsd/repository"
	"cacsd/repository/repotest"
)

var testURL string

func TestMain(m *testing.M) { repotest.Main(m, "daemon", &testURL) }

func openStore(t *testing.T) *repository.Store {
	t.Helper()
	ctx := context.Background()
	s, err := repository.Open(ctx, testURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// testImporter imports from a new inbox under a temporary root.
func testImporter(t *testing.T) (*Importer, Config) {
	t.Helper()
	cfg := DefaultConfig(t.TempDir())
	cfg.Custodian = "2280"
	for _, dir := range []string{cfg.Inbox, cfg.Processed, cfg.Failed} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	return NewImporter(openStore(t), cfg, false), cfg
}

var refSeq atomic.Int64

// sample is the good one-case export with a case reference no other test
// run uses, without its Recipient when noRecipient is set.
func sample(t *testing.T, noRecipient bool) []byte {
	t.Helper()
	good, err := os.ReadFile("../mapping/testdata/good/referral-single.xml")
	if err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprintf("CACS%010d", time.Now().UnixNano()/1000%1e8*100+refSeq.Add(1)%100)
	good = bytes.ReplaceAll(good, []byte("CACS2611290001"), []byte(ref))
	if noRecipient {
		i, j := bytes.Index(good, []byte("<Recipient ")), bytes.Index(good, []byte("</Recipient>"))
		if i < 0 || j < i {
			t.Fatal("sample has no Recipient")
		}
		good = append(good[:i:i], good[j+len("</Recipient>"):]...)
	}
	return good
}

// A file rewritten in place between the evidence and the merge is not
// imported: the merge read is checked against the hash, and the file
// waits to settle again. Same size, so only the content tells.
func TestRewrittenWhileMergedWaits(t *testing.T) {
	im, cfg := testImporter(t)
	good := sample(t, false)
	// Still a good export, so only the hash can tell.
	changed := bytes.Replace(good, []byte("took cash"), []byte("took CASH"), 1)
	if bytes.Equal(changed, good) {
		t.Fatal("test file has no summary to change")
	}
	name := fmt.Sprintf("rewritten-%d.xml", refSeq.Add(1))
	path := filepath.Join(cfg.Inbox, name)
	if err := os.WriteFile(path, good, 0o640); err != nil {
		t.Fatal(err)
	}
	mtime := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		change func()
	}{
		{"same size, same mtime", func() {
			// Written through the open file so that nothing else moves.
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(changed, 0); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}},
		{"appended", func() {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteString("\n<!-- more -->\n"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, good, 0o640); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			im.afterEvidence = tc.change
			_, err := im.Import(context.Background(), path)
			if !errors.Is(err, ErrNotReady) {
				t.Fatalf("Import of a file changed while merged: %v, want ErrNotReady", err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("file left the inbox: %v", err)
			}
			var n int
			err = im.store.DB().Get(&n, `SELECT count(*) FROM import_file
                WHERE file_name = $1`, name)
			if err != nil || n != 0 {
				t.Errorf("import_file rows = %d, %v; want 0", n, err)
			}
		})
	}

	// Left alone, the file imports.
	im.afterEvidence = nil
	if err := os.WriteFile(path, good, 0o640); err != nil {
		t.Fatal(err)
	}
	res, err := im.Import(context.Background(), path)
	if err != nil || res.Outcome != OutcomeImported {
		t.Fatalf("Import of the settled file: %+v, %v; want imported", res, err)
	}
}

// Bytes rewritten between the evidence and the merge that the merge then
// refuses are not the file's fault: the file waits rather than fails. Here
// the new postcode is in no authority's districts.
func TestRewrittenIntoARefusedMergeWaits(t *testing.T) {
	im, cfg := testImporter(t)
	im.custodian = repository.CustodianAuto
	good := sample(t, true)
	changed := bytes.Replace(good, []byte("ME1 1XX"), []byte("ZZ1 1XX"), 1)
	if bytes.Equal(changed, good) {
		t.Fatal("test file has no postcode to change")
	}
	path := filepath.Join(cfg.Inbox, "placed.xml")
	if err := os.WriteFile(path, good, 0o640); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	im.afterEvidence = func() {
		if err := os.WriteFile(path, changed, 0o640); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	res, err := im.Import(context.Background(), path)
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("Import: %+v, %v; want ErrNotReady", res, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("file left the inbox: %v", err)
	}
}

// A file touched while its merge was refused waits too: what is moved to
// failed/ must be what was read.
func TestTouchedWhileRefusedWaits(t *testing.T) {
	im, cfg := testImporter(t)
	im.custodian = repository.CustodianAuto
	good := sample(t, true)
	refused := bytes.Replace(good, []byte("ME1 1XX"), []byte("ZZ1 1XX"), 1)
	path := filepath.Join(cfg.Inbox, "touched.xml")
	if err := os.WriteFile(path, refused, 0o640); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	im.afterEvidence = func() {
		now := time.Now()
		if err := os.Chtimes(path, now, now); err != nil {
			t.Fatal(err)
		}
	}
	res, err := im.Import(context.Background(), path)
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("Import: %+v, %v; want ErrNotReady", res, err)
	}

	// Left alone, it fails for what it says.
	im.afterEvidence = nil
	res, err = im.Import(context.Background(), path)
	if err != nil || res.Outcome != OutcomeFailed {
		t.Fatalf("Import of the settled file: %+v, %v; want failed", res, err)
	}
}

// A file written again after its import committed, or after its failure
// was recorded, stays in the inbox with its new bytes for its own turn:
// what goes to processed/ or failed/ is only ever what was read.
func TestRewrittenBeforeMoveStays(t *testing.T) {
	im, cfg := testImporter(t)
	for _, tc := range []struct {
		name      string
		first     []byte
		want      Outcome
		keepTimes bool // the rewrite keeps size and mtime
	}{
		{"after commit", sample(t, false), OutcomeImported, false},
		{"after commit, size and mtime kept", sample(t, false), OutcomeImported, true},
		{"after failure", []byte("<CaseExport version=\"9.0\"/>\n"), OutcomeFailed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			second := sample(t, false)
			if tc.keepTimes && len(second) != len(tc.first) {
				t.Fatal("the two versions differ in size")
			}
			path := filepath.Join(cfg.Inbox, fmt.Sprintf("again-%d.xml", refSeq.Add(1)))
			if err := os.WriteFile(path, tc.first, 0o640); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
			im.beforeMove = func() {
				// In place, as rsync --inplace or a second cp does.
				if tc.keepTimes {
					rewriteKeepingTimes(t, path, string(second))
				} else if err := os.WriteFile(path, second, 0o640); err != nil {
					t.Fatal(err)
				}
			}
			res, err := im.Import(context.Background(), path)
			im.beforeMove = nil
			if err != nil || res.Outcome != tc.want || !res.Replaced || res.Dest != "" {
				t.Fatalf("Import: %+v, %v; want %s, replaced, not moved", res, err, tc.want)
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, second) {
				t.Fatalf("inbox file after Import: %v; want the new bytes", err)
			}
			for _, dir := range []string{cfg.Processed, cfg.Failed} {
				if n := filesUnder(t, dir); n != 0 {
					t.Errorf("%d files in %s, want none", n, dir)
				}
			}

			res, err = im.Import(context.Background(), path)
			if err != nil || res.Outcome != OutcomeImported || res.Created != 1 || res.Dest == "" {
				t.Fatalf("Import of the new bytes: %+v, %v; want one case created", res, err)
			}
			if err := os.RemoveAll(cfg.Processed); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// filesUnder counts the regular files anywhere under dir.
func filesUnder(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, e os.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			n++
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// While a probe of a database that is down runs, the loop waits for its
// result, not for a retry time already past.
func TestNoWakeStormDuringProbe(t *testing.T) {
	d := &Daemon{cfg: Config{ScanInterval: time.Minute, Settle: time.Second},
		files: map[string]*tracked{"a.xml": {busy: true}, "b.xml": {busy: true}},
		queue: []string{"b.xml"}, busy: 1, dbDown: true,
		dbRetryAt: time.Now().Add(-time.Second)}
	if wait := d.nextWake(time.Now()); wait < time.Minute {
		t.Errorf("next wake in %v during a probe, want the scan interval", wait)
	}
	d.busy = 0
	if wait := d.nextWake(time.Now()); wait > 10*time.Millisecond {
		t.Errorf("next wake in %v with the probe due, want at once", wait)
	}
}

// A queued file written again before its turn leaves the queue to settle
// afresh; one that has gone is dropped; one unchanged is handed out.
func TestHeadSkipsFilesChangedWhileQueued(t *testing.T) {
	dir := t.TempDir()
	d := &Daemon{cfg: Config{Inbox: dir}, files: map[string]*tracked{}, log: zap.NewNop()}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	write("changed.xml", "<a/>")
	write("gone.xml", "<a/>")
	write("folder.xml", "<a/>")
	write("kept.xml", "<a/>")
	now := time.Now()
	for _, name := range []string{"changed.xml", "gone.xml", "folder.xml", "kept.xml"} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		d.observe(name, fi, now.Add(-time.Minute))
		d.files[name].busy = true
		d.queue = append(d.queue, name)
	}
	write("changed.xml", "<a>longer</a>")
	if err := os.Remove(filepath.Join(dir, "gone.xml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "folder.xml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "folder.xml"), 0o750); err != nil {
		t.Fatal(err)
	}

	name, ok := d.head()
	if !ok || name != "kept.xml" {
		t.Fatalf("head = %q, %v; want kept.xml", name, ok)
	}
	if len(d.queue) != 1 {
		t.Errorf("queue = %v, want only kept.xml", d.queue)
	}
	c := d.files["changed.xml"]
	if c.busy || c.seen.size != int64(len("<a>longer</a>")) || now.Sub(c.since) > time.Second {
		t.Errorf("changed file = %+v, want not busy, new size, settling from now", *c)
	}
	for _, name := range []string{"gone.xml", "folder.xml"} {
		if _, ok := d.files[name]; ok {
			t.Errorf("%s still waited for", name)
		}
	}
	// Nothing else to wait for, so no wake before changed.xml settles.
	d.cfg.ScanInterval = time.Minute
	d.cfg.Settle = 30 * time.Second
	d.files["changed.xml"].since = time.Now()
	if wait := d.nextWake(time.Now()); wait < 20*time.Second {
		t.Errorf("next wake in %v, want the settle time of changed.xml", wait)
	}
}

// A waiting file replaced by a folder is no longer waited for: the loop
// would otherwise wake every few milliseconds to look at it.
func TestScanForgetsFileReplacedByFolder(t *testing.T) {
	dir := t.TempDir()
	d := scanOnly(dir)
	path := filepath.Join(dir, "x.xml")
	if err := os.WriteFile(path, []byte("<a/>"), 0o640); err != nil {
		t.Fatal(err)
	}
	d.scan()
	if _, ok := d.files["x.xml"]; !ok {
		t.Fatal("file not tracked after a scan")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o750); err != nil {
		t.Fatal(err)
	}
	d.scan()
	if _, ok := d.files["x.xml"]; ok {
		t.Error("folder still waited for after a scan")
	}
	if wait := d.nextWake(time.Now().Add(time.Hour)); wait < time.Minute {
		t.Errorf("next wake in %v, want the scan interval", wait)
	}
}

// A scan removes the temporary copies a killed move or retry left in the
// inbox, once they are clearly abandoned, and nothing else: not a young
// one, and not a name that only starts alike (rsync's temporary file for
// an upload of cacsd-export.xml is .cacsd-export.xml.XXXXXX).
func TestScanRemovesStaleTemporaryCopies(t *testing.T) {
	dir := t.TempDir()
	d := scanOnly(dir)
	old := time.Now().Add(-2 * staleTempAge)
	for name, mtime := range map[string]time.Time{
		".cacsd-copy-1": old, ".cacsd-copy-2": time.Now(),
		".cacsd-export.xml.Ab12Cd": old, ".cacsd-notes": old, ".cacsd-copy-x": old,
		".other-hidden": old, "export.xml": old,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("<a/>"), 0o640); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	d.scan()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{".cacsd-copy-2", ".cacsd-export.xml.Ab12Cd", ".cacsd-notes",
		".cacsd-copy-x", ".other-hidden", "export.xml"}
	sort.Strings(want)
	if !slices.Equal(left, want) {
		t.Errorf("inbox holds %v after a scan, want %v", left, want)
	}
	if _, ok := d.files[".cacsd-copy-2"]; ok {
		t.Error("a temporary copy is waited for as an export")
	}
}

// scanOnly returns a daemon for inbox dir that is only ever asked to scan.
func scanOnly(dir string) *Daemon {
	return &Daemon{cfg: Config{Inbox: dir, Include: "*.xml", Settle: time.Second,
		ScanInterval: time.Minute}, files: map[string]*tracked{},
		ignored: map[string]bool{}, log: zap.NewNop(),
		metrics: NewMetrics(prometheus.NewRegistry())}
}
