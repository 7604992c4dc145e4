package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cacsd/repository/repotest"
)

// processedOnce checks that processed/ holds exactly the given names, each
// once (no hash-suffixed second copy), and that the inbox is empty.
func processedOnce(t *testing.T, root string, names []string) {
	t.Helper()
	counts := map[string]int{}
	for _, f := range walkFiles(t, filepath.Join(root, "processed")) {
		base := filepath.Base(f)
		// A clash copy is named NAME.<hash>.xml: count it under NAME.
		if parts := strings.Split(base, "."); len(parts) == 3 {
			base = parts[0] + "." + parts[2]
		}
		counts[base]++
	}
	for _, n := range names {
		if counts[n] != 1 {
			t.Errorf("%s is in processed/ %d times, want once", n, counts[n])
		}
		delete(counts, n)
	}
	if len(counts) > 0 {
		t.Errorf("unexpected files in processed/: %v", counts)
	}
	if left := dirNames(t, filepath.Join(root, "inbox")); len(left) != 0 {
		t.Errorf("inbox still holds %v", left)
	}
	if failed := dirNames(t, filepath.Join(root, "failed")); len(failed) != 0 {
		t.Errorf("failed/ holds %v; want nothing", failed)
	}
}

// TestKillNineRestarts kills the daemon at random moments while it imports
// 500 files, restarting it each time: every file ends in processed/ once
// and every case is one service request.
func TestKillNineRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end crash test; runs without -short")
	}
	const files, kills = 500, 12
	url := repotest.New(t, "kill")
	root := t.TempDir()
	inbox := filepath.Join(root, "inbox")
	if err := os.MkdirAll(inbox, 0o750); err != nil {
		t.Fatal(err)
	}
	names := genFiles(t, inbox, "K", files)

	rng := rand.New(rand.NewPCG(1, 2))
	for i := range kills {
		p := startDaemon(t, url, root, "--settle", "50ms")
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		t.Logf("kill %d: %d files left in the inbox", i+1, len(dirNames(t, inbox)))
	}
	p := startDaemon(t, url, root, "--settle", "50ms")
	eventually(t, 5*time.Minute, "the inbox to empty after the last restart", p.inboxEmpty(t))
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}

	processedOnce(t, root, names)
	db := openDB(t, url)
	if n := count(t, db, `SELECT count(*) FROM service_request`); n != files {
		t.Errorf("service requests: got %d, want %d", n, files)
	}
	if n := count(t, db, `SELECT count(*) FROM (SELECT case_reference FROM service_request
		GROUP BY 1 HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d case references stored more than once", n)
	}
	if n := count(t, db, `SELECT count(*) FROM import_file WHERE status = 'imported'`); n != files {
		t.Errorf("imported files: got %d, want %d", n, files)
	}
}

// TestBacklogOldestFirst starts the daemon on an inbox already holding
// 5,000 files: all are imported, none twice, oldest first.
func TestBacklogOldestFirst(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end backlog test; runs without -short")
	}
	const files = 5000
	url := repotest.New(t, "backlog")
	root := t.TempDir()
	inbox := filepath.Join(root, "inbox")
	if err := os.MkdirAll(inbox, 0o750); err != nil {
		t.Fatal(err)
	}
	names := genFiles(t, inbox, "B", files)

	// One worker, so the order of the log lines is the order of import.
	p := startDaemon(t, url, root, "--workers", "1", "--log-level", "info")
	eventually(t, 10*time.Minute, "the backlog to be imported", p.inboxEmpty(t))
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
	processedOnce(t, root, names)

	var order []string
	for _, l := range fileLines(t, p.out) {
		order = append(order, l["file"].(string))
	}
	if len(order) != files {
		t.Fatalf("per-file log lines: got %d, want %d", len(order), files)
	}
	for i := range names {
		if order[i] != names[i] {
			t.Fatalf("import %d was %s, want %s (oldest first)", i, order[i], names[i])
		}
	}
	db := openDB(t, url)
	if n := count(t, db, `SELECT count(*) FROM service_request`); n != files {
		t.Errorf("service requests: got %d, want %d", n, files)
	}
}

// hasOpen reports whether process pid has a file open under dir.
func hasOpen(pid int, dir string) bool {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(target, dir) {
			return true
		}
	}
	return false
}

// TestSIGTERMDuringLargeImport stops the daemon while it imports a
// 20,000-case file: the import finishes or rolls back within the shutdown
// timeout, and the file is either imported and in processed/, or untouched
// in the inbox with nothing written.
func TestSIGTERMDuringLargeImport(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end shutdown test; runs without -short")
	}
	const cases = 20000
	url := repotest.New(t, "sigterm")
	root := t.TempDir()
	p := startDaemon(t, url, root, "--shutdown-timeout", "5s")
	inbox := filepath.Join(root, "inbox")
	copyData(t, genExport("BIG", cases), filepath.Join(inbox, "big.xml"))

	eventually(t, 30*time.Second, "the import to start", func() bool {
		return hasOpen(p.cmd.Process.Pid, inbox)
	})
	start := time.Now()
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code after SIGTERM: got %d, want 0", code)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("shutdown took %v with a 5s timeout", took)
	}

	db := openDB(t, url)
	n := count(t, db, `SELECT count(*) FROM service_request`)
	inInbox := len(dirNames(t, inbox)) == 1
	day := filepath.Join(root, "processed", time.Now().Format("2006/01/02"))
	inProcessed := len(dirNames(t, day)) == 1
	switch {
	case inInbox && !inProcessed && n == 0:
		t.Log("import rolled back; file left in the inbox")
	case !inInbox && inProcessed && n == cases:
		t.Log("import finished before the timeout; file in processed/")
	default:
		t.Errorf("half-done: in inbox %v, in processed %v, %d requests", inInbox, inProcessed, n)
	}
	if inInbox {
		// Restarted, the daemon imports it in full.
		p := startDaemon(t, url, root)
		eventually(t, 5*time.Minute, "the file to be imported", p.inboxEmpty(t))
		p.stop(t)
		if n := count(t, db, `SELECT count(*) FROM service_request`); n != cases {
			t.Errorf("after restart: %d requests, want %d", n, cases)
		}
	}
}

// TestBackendsTerminatedMidImport kills every database connection while a
// large file is being imported: the import is retried and lands once.
func TestBackendsTerminatedMidImport(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end outage test; runs without -short")
	}
	const cases = 5000
	url := repotest.New(t, "terminate")
	root := t.TempDir()
	p := startDaemon(t, url, root)
	inbox := filepath.Join(root, "inbox")
	copyData(t, genExport("TRM", cases), filepath.Join(inbox, "big.xml"))

	eventually(t, 30*time.Second, "the import to start", func() bool {
		return hasOpen(p.cmd.Process.Pid, inbox)
	})
	db := openDB(t, url)
	var killed int
	if err := db.Get(&killed, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid)
		FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()) k`); err != nil {
		t.Fatal(err)
	}
	t.Logf("terminated %d backends", killed)
	eventually(t, 5*time.Minute, "the file to be imported", p.inboxEmpty(t))
	p.stop(t)
	processedOnce(t, root, []string{"big.xml"})
	if n := count(t, db, `SELECT count(*) FROM service_request`); n != cases {
		t.Errorf("service requests: got %d, want %d", n, cases)
	}
}

// TestMoveDeniedIsRetried runs the daemon as an unprivileged user whose
// processed/ folder it cannot write: the file is imported once, retried
// without being imported again, and moved once the permission is back.
func TestMoveDeniedIsRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end permission test; runs without -short")
	}
	if os.Getuid() != 0 {
		t.Fatal("this test switches to an unprivileged user and must run as root (CI does)")
	}
	const nobody = 65534
	url := repotest.New(t, "perm")
	root := t.TempDir()
	for _, dir := range []string{filepath.Dir(root), root} {
		if err := os.Chmod(dir, 0o755); err != nil { // reachable by nobody
			t.Fatal(err)
		}
	}
	for _, sub := range []string{"inbox", "failed", "processed"} {
		dir := filepath.Join(root, sub)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if sub != "processed" { // processed/ stays root's: not writable
			if err := os.Chown(dir, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The binary must be reachable by the unprivileged user.
	bin := filepath.Join(root, "cacsd")
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "run", "--root", root, "--settle", "100ms", "--log-format", "json",
		"--custodian", "2280", "--http-addr", "")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	p := spawn(t, cmd, root)
	out := p.out

	src := filepath.Join(samples, "good", "referral-single.xml")
	copyData(t, mustRead(t, src), filepath.Join(root, "inbox", "r.xml"))
	eventually(t, 30*time.Second, "the move to be refused", func() bool {
		return strings.Contains(out.String(), "cannot be handled yet")
	})
	db := openDB(t, url)
	eventually(t, 10*time.Second, "the import to be committed", func() bool {
		return count(t, db, `SELECT count(*) FROM import_file WHERE status = 'imported'`) == 1
	})
	time.Sleep(3 * time.Second) // let it retry a few times while still denied
	if n := len(dirNames(t, filepath.Join(root, "inbox"))); n != 1 {
		t.Fatalf("inbox holds %d files while processed/ is denied; want the file to wait", n)
	}

	if err := os.Chown(filepath.Join(root, "processed"), nobody, nobody); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "the file to be moved", p.inboxEmpty(t))
	p.stop(t)
	if n := count(t, db, `SELECT count(*) FROM case_version`); n != 1 {
		t.Errorf("case versions: got %d, want 1 (imported once)", n)
	}
	if strings.Count(out.String(), "cannot be handled yet") != 1 {
		t.Errorf("the refused move was logged %d times, want once",
			strings.Count(out.String(), "cannot be handled yet"))
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// copyData writes data under a temporary name beside dst and renames it.
func copyData(t testing.TB, data []byte, dst string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}
