package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"cacsd/mapping"
	"cacsd/repository/repotest"
)

// daemonProc is a running `cacsd run`.
type daemonProc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	root string
	done chan error
}

func startDaemon(t *testing.T, url, root string, extra ...string) *daemonProc {
	t.Helper()
	return startDaemonEnv(t, []string{"DATABASE_URL=" + url}, root, extra...)
}

// startDaemonEnv starts the daemon with env added to the test's own.
func startDaemonEnv(t *testing.T, env []string, root string, extra ...string) *daemonProc {
	t.Helper()
	args := append([]string{"run", "--root", root, "--settle", "200ms",
		"--scan-interval", "1s", "--empty-grace", "1s", "--log-format", "json",
		"--log-level", "debug", "--http-addr", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	p := spawn(t, cmd, root)
	eventually(t, 30*time.Second, "daemon to start", func() bool {
		return strings.Contains(p.out.String(), `"watching inbox"`)
	})
	return p
}

// spawn starts cmd with its output captured, and kills it when the test
// ends if it is still running.
func spawn(t *testing.T, cmd *exec.Cmd, root string) *daemonProc {
	t.Helper()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &daemonProc{cmd: cmd, out: out, root: root, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// stop sends SIGTERM and returns the exit code.
func (p *daemonProc) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(40 * time.Second):
		t.Fatal("daemon did not stop within 40s of SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *daemonProc) inboxEmpty(t *testing.T) func() bool {
	return func() bool { return len(dirNames(t, filepath.Join(p.root, "inbox"))) == 0 }
}

// fileLines returns the per-file log lines (those with an outcome).
func fileLines(t *testing.T, out *syncBuffer) []map[string]any {
	var lines []map[string]any
	for _, l := range out.logLines(t) {
		if _, ok := l["outcome"]; ok {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestDaemonEndToEnd(t *testing.T) {
	url := repotest.New(t, "e2e")
	root := t.TempDir()
	p := startDaemon(t, url, root, "--custodian", "2280")
	inbox := filepath.Join(root, "inbox")

	good := sampleFiles(t, "good")
	bad := sampleFiles(t, "bad")
	for _, f := range append(slices.Clone(good), bad...) {
		if filepath.Base(f) == "referral-update.xml" {
			continue
		}
		copyFile(t, f, filepath.Join(inbox, filepath.Base(f)))
	}
	eventually(t, 60*time.Second, "inbox to empty", p.inboxEmpty(t))
	copyFile(t, filepath.Join(samples, "good", "referral-update.xml"),
		filepath.Join(inbox, "referral-update.xml"))
	eventually(t, 30*time.Second, "update to be imported", p.inboxEmpty(t))

	day := time.Now().Format("2006/01/02")
	processed := dirNames(t, filepath.Join(root, "processed", day))
	for _, f := range good {
		if !slices.Contains(processed, filepath.Base(f)) {
			t.Errorf("processed/%s holds %v; want %s", day, processed, filepath.Base(f))
		}
	}
	failed := dirNames(t, filepath.Join(root, "failed"))
	for _, f := range bad {
		name := filepath.Base(f)
		if !slices.Contains(failed, name) || !slices.Contains(failed, name+".error.json") {
			t.Errorf("failed/ holds %v; want %s and its report", failed, name)
		}
	}
	checkReports(t, filepath.Join(root, "failed"))
	checkModes(t, root)

	db := openDB(t, url)
	if n := count(t, db, `SELECT count(*) FROM service_request`); n != 9 {
		t.Errorf("service requests: got %d, want 9", n)
	}
	var seq int
	if err := db.Get(&seq, `SELECT update_sequence FROM service_request
		WHERE case_reference = 'CACS2611290001'`); err != nil || seq != 1 {
		t.Errorf("CACS2611290001 update sequence: got %d (%v), want 1", seq, err)
	}
	if n := count(t, db, `SELECT count(*) FROM contact
		WHERE kind = 'consumer' AND forename = 'Margaret' AND surname = 'Example'`); n != 1 {
		t.Errorf("consumer contacts for Margaret Example: got %d, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM contact
		WHERE forename = 'Zoë' AND surname = 'O''Brien-Müller' AND postcode = 'ME2 4ZZ'`); n != 1 {
		t.Errorf("windows-1252 consumer: got %d rows, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM import_file WHERE status = 'imported'`); n != len(good) {
		t.Errorf("imported files: got %d, want %d", n, len(good))
	}
	// Every bad file was read and hashed, so each is recorded as failed.
	if n := count(t, db, `SELECT count(*) FROM import_file WHERE status = 'failed'`); n != len(bad) {
		t.Errorf("failed files: got %d, want %d", n, len(bad))
	}

	// The same bytes under another name: no new rows, moved to processed.
	before := count(t, db, `SELECT count(*) FROM case_version`)
	copyFile(t, good[0], filepath.Join(inbox, "again-"+filepath.Base(good[0])))
	eventually(t, 30*time.Second, "repeat to be moved", p.inboxEmpty(t))
	if after := count(t, db, `SELECT count(*) FROM case_version`); after != before {
		t.Errorf("case versions after a repeated file: got %d, want %d", after, before)
	}
	if n := count(t, db, `SELECT count(*) FROM service_request`); n != 9 {
		t.Errorf("service requests after a repeated file: got %d, want 9", n)
	}

	if code := p.stop(t); code != 0 {
		t.Errorf("exit code after SIGTERM: got %d, want 0\n%s", code, p.out.String())
	}
	checkLogLines(t, p.out, len(good)+len(bad)+1)
	if left := walkFiles(t, root); slices.ContainsFunc(left, func(f string) bool {
		return strings.Contains(f, ".cacsd-")
	}) {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// checkReports reads every NAME.error.json and checks it says why.
func checkReports(t *testing.T, dir string) {
	t.Helper()
	reports, _ := filepath.Glob(filepath.Join(dir, "*.error.json"))
	personal := personalData(t)
	for _, r := range reports {
		data, err := os.ReadFile(r)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			File     string `json:"file"`
			Reason   string `json:"reason"`
			Problems []struct {
				Message string `json:"message"`
			} `json:"problems"`
		}
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Errorf("%s: %v", r, err)
			continue
		}
		if rep.Reason == "" || len(rep.Problems) == 0 {
			t.Errorf("%s: no reason or problems: %s", r, data)
		}
		for _, pd := range personal {
			if strings.Contains(string(data), pd) {
				t.Errorf("%s contains personal data %q", r, pd)
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "two-bad-values.xml.error.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CACS2611290002", "ReceivedAt", "Purchase/Date"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("two-bad-values report lacks %q:\n%s", want, data)
		}
	}
}

// checkModes checks processed/ and failed/ hold 0640 files in 0750 folders.
func checkModes(t *testing.T, root string) {
	t.Helper()
	for _, sub := range []string{"processed", "failed"} {
		base := filepath.Join(root, sub)
		filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				t.Error(err)
				return nil
			}
			fi, _ := d.Info()
			want := os.FileMode(0o640)
			if d.IsDir() {
				want = 0o750
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
			}
			return nil
		})
	}
}

// personalData returns every piece of personal data and free text in the
// good samples: names, address lines, postcodes, phones, emails, websites,
// narratives and notes. None of it may ever be logged.
func personalData(t *testing.T) []string {
	t.Helper()
	var values []string
	add := func(vs ...string) {
		for _, v := range vs {
			if len(v) >= 4 { // shorter values ("Mrs", "Ms") are not telling
				values = append(values, v)
			}
		}
	}
	addAddress := func(a *mapping.Address) {
		if a != nil {
			add(a.Lines...)
			add(a.Postcode)
		}
	}
	for _, f := range sampleFiles(t, "good") {
		file, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = mapping.Decode(file, func(c *mapping.Case) error {
			if k := c.Consumer; k != nil {
				add(k.Forename, k.Surname, k.Telephone, k.Email)
				addAddress(k.Address)
			}
			if tr := c.Trader; tr != nil {
				add(tr.Telephone, tr.Email)
				addAddress(tr.Address)
			}
			if pu := c.Purchase; pu != nil {
				add(pu.Description)
			}
			if co := c.Complaint; co != nil {
				add(co.Summary, co.AdviceGiven)
			}
			for _, n := range c.Notes {
				add(n.Text)
			}
			return nil
		})
		file.Close()
		if err != nil {
			t.Fatalf("decode %s: %v", f, err)
		}
	}
	if len(values) < 30 {
		t.Fatalf("found only %d personal values in the samples; the check would be weak", len(values))
	}
	return values
}

// checkLogLines checks one line per file, each with the fields of DESIGN.md,
// and no personal data anywhere in the output.
func checkLogLines(t *testing.T, out *syncBuffer, files int) {
	t.Helper()
	lines := fileLines(t, out)
	if len(lines) != files {
		t.Errorf("per-file log lines: got %d, want %d", len(lines), files)
	}
	for _, l := range lines {
		for _, k := range []string{"file", "sha256", "cases", "duration", "outcome"} {
			if _, ok := l[k]; !ok {
				t.Errorf("log line lacks %q: %v", k, l)
			}
		}
		if l["outcome"] == "imported" {
			if _, ok := l["created"]; !ok {
				t.Errorf("imported line lacks created: %v", l)
			}
		}
	}
	all := out.String()
	for _, pd := range personalData(t) {
		if strings.Contains(all, pd) {
			t.Errorf("log output contains personal data %q", pd)
		}
	}
}
