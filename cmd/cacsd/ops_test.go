package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"cacsd/repository/repotest"
)

// httpAddr is where the daemon serves HTTP, from its log.
func (p *daemonProc) httpAddr(t *testing.T) string {
	t.Helper()
	var addr string
	eventually(t, 10*time.Second, "the http endpoint", func() bool {
		for _, l := range p.out.logLines(t) {
			if l["msg"] == "serving http" {
				addr, _ = l["addr"].(string)
				return true
			}
		}
		return false
	})
	return addr
}

// get fetches path from the daemon and returns the status and body.
func (p *daemonProc) get(t *testing.T, path string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + p.httpAddr(t) + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, readAll(t, resp.Body)
}

// scrape reads /metrics into a map from "name{labels}" to value.
func (p *daemonProc) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	code, body := p.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d\n%s", code, body)
	}
	return parseMetrics(t, strings.NewReader(body))
}

func parseMetrics(t *testing.T, r io.Reader) map[string]float64 {
	t.Helper()
	m := map[string]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		m[line[:i]] = v
	}
	return m
}

func TestMetricsStatusAndRetry(t *testing.T) {
	url := repotest.New(t, "ops")
	root := t.TempDir()
	p := startDaemon(t, url, root, "--custodian", "2280")
	inbox := filepath.Join(root, "inbox")

	if code, body := p.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz: %d %q, want 200", code, body)
	}
	if code, body := p.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("GET /readyz: %d %q, want 200", code, body)
	}

	good, bad := sampleFiles(t, "good"), sampleFiles(t, "bad")
	for _, f := range append(slices.Clone(good), bad...) {
		copyFile(t, f, filepath.Join(inbox, filepath.Base(f)))
	}
	eventually(t, 60*time.Second, "inbox to empty", p.inboxEmpty(t))
	db := openDB(t, url)
	// The samples include an update of another sample's case; which of the
	// two came first decides the counts, so they are read from the tables.
	var sums struct {
		Imported, Failed, Created, Updated, Unchanged int
		Last                                          time.Time
	}
	err := db.Get(&sums, `SELECT
		count(*) FILTER (WHERE status = 'imported') AS imported,
		count(*) FILTER (WHERE status = 'failed') AS failed,
		coalesce(sum(created_count), 0) AS created,
		coalesce(sum(updated_count), 0) AS updated,
		coalesce(sum(unchanged_count), 0) AS unchanged,
		max(imported_at) FILTER (WHERE status = 'imported') AS last
		FROM import_file`)
	if err != nil {
		t.Fatal(err)
	}
	if sums.Imported != len(good) || sums.Failed != len(bad) {
		t.Fatalf("import_file: %d imported, %d failed; want %d and %d",
			sums.Imported, sums.Failed, len(good), len(bad))
	}

	m := p.scrape(t)
	want := map[string]float64{
		`cacsd_files_total{outcome="imported"}`:                   float64(sums.Imported),
		`cacsd_files_total{outcome="failed"}`:                     float64(sums.Failed),
		`cacsd_files_total{outcome="already_imported"}`:           0,
		`cacsd_cases_total{action="created"}`:                     float64(sums.Created),
		`cacsd_cases_total{action="updated"}`:                     float64(sums.Updated),
		`cacsd_cases_total{action="unchanged"}`:                   float64(sums.Unchanged),
		`cacsd_import_duration_seconds_count{outcome="imported"}`: float64(sums.Imported),
		`cacsd_import_duration_seconds_count{outcome="failed"}`:   float64(sums.Failed),
		`cacsd_inbox_files`:                                       0,
		`cacsd_inbox_oldest_file_age_seconds`:                     0,
		`cacsd_inbox_readable`:                                    1,
		`cacsd_retries_total{cause="database"}`:                   0,
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("metric %s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	last := m["cacsd_last_success_timestamp_seconds"]
	if d := last - float64(sums.Last.UnixNano())/1e9; d < -1 || d > 1 {
		t.Errorf("cacsd_last_success_timestamp_seconds = %f, want about %v", last, sums.Last)
	}
	if m["cacsd_watch_events_total"] < 1 || m["cacsd_inbox_scans_total"] < 1 {
		t.Errorf("watch events %v, scans %v; want both counted",
			m["cacsd_watch_events_total"], m["cacsd_inbox_scans_total"])
	}
	if _, ok := m["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}

	checkStatus(t, url, root, db, 0)

	// Retry a failed file: it goes back, fails again, and the retry is kept.
	code, out := cacsd(t, []string{"DATABASE_URL=" + url}, "retry", "--root", root, "bad-route.xml")
	if code != 0 || !strings.Contains(out, "retried bad-route.xml") {
		t.Fatalf("retry: exit %d\n%s", code, out)
	}
	eventually(t, 30*time.Second, "retried file to fail again", func() bool {
		return p.scrape(t)[`cacsd_files_total{outcome="failed"}`] == float64(len(bad)+1)
	})
	var retry struct {
		File   string `db:"file_name"`
		SHA256 string `db:"sha256"`
		Reason string `db:"reason"`
	}
	if err := db.Get(&retry, `SELECT file_name, sha256, reason FROM file_retry`); err != nil {
		t.Fatalf("file_retry: %v", err)
	}
	if retry.File != "bad-route.xml" || len(retry.SHA256) != 64 || !strings.Contains(retry.Reason, "Route") {
		t.Errorf("file_retry row = %+v, want bad-route.xml with its hash and reason", retry)
	}
	code, out = cacsd(t, []string{"DATABASE_URL=" + url}, "retry", "--root", root, "nope.xml")
	if code != 2 {
		t.Errorf("retry of a file not in failed/: exit %d, want 2\n%s", code, out)
	}
	code, out = cacsd(t, []string{"DATABASE_URL=" + url}, "status", "--root", root)
	if code != 0 || !strings.Contains(out, "Failed: 13 file(s)") {
		t.Errorf("status: exit %d, want 0 and 13 failed files\n%s", code, out)
	}

	if code := p.stop(t); code != 0 {
		t.Errorf("exit code: got %d, want 0", code)
	}
	checkLogLines(t, p.out, len(good)+len(bad)+1)

	// With the daemon stopped, a file waits and status says so.
	copyFile(t, good[0], filepath.Join(inbox, "waiting.xml"))
	checkStatus(t, url, root, db, 1)
}

// checkStatus runs status --json and compares it with the tables and the
// folders.
func checkStatus(t *testing.T, url, root string, db *sqlx.DB, backlog int) {
	t.Helper()
	code, out := cacsd(t, []string{"DATABASE_URL=" + url}, "status", "--json",
		"--root", root, "--limit", "100")
	if code != 0 {
		t.Fatalf("status --json: exit %d\n%s", code, out)
	}
	var st struct {
		Imports []struct {
			At        time.Time `json:"at"`
			File      string    `json:"file"`
			SHA256    string    `json:"sha256"`
			Status    string    `json:"status"`
			Cases     int       `json:"cases"`
			Created   int       `json:"created"`
			Updated   int       `json:"updated"`
			Unchanged int       `json:"unchanged"`
		} `json:"imports"`
		Backlog struct {
			Files      int     `json:"files"`
			OldestFile string  `json:"oldest_file"`
			OldestAge  float64 `json:"oldest_age_seconds"`
		} `json:"backlog"`
		Failed []struct {
			File   string `json:"file"`
			SHA256 string `json:"sha256"`
			Reason string `json:"reason"`
		} `json:"failed"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}

	var rows []struct {
		At        time.Time `db:"imported_at"`
		File      string    `db:"file_name"`
		SHA256    string    `db:"sha256"`
		Status    string    `db:"status"`
		Cases     int       `db:"case_count"`
		Created   int       `db:"created_count"`
		Updated   int       `db:"updated_count"`
		Unchanged int       `db:"unchanged_count"`
	}
	err := db.Select(&rows, `SELECT imported_at, file_name, sha256, status, case_count,
		created_count, updated_count, unchanged_count
		FROM import_file ORDER BY imported_at DESC, id DESC`)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Imports) != len(rows) {
		t.Fatalf("status lists %d imports, import_file holds %d", len(st.Imports), len(rows))
	}
	for i, r := range rows {
		g := st.Imports[i]
		if g.File != r.File || g.SHA256 != r.SHA256 || g.Status != r.Status ||
			g.Cases != r.Cases || g.Created != r.Created || g.Updated != r.Updated ||
			g.Unchanged != r.Unchanged || !g.At.Equal(r.At) {
			t.Errorf("status import %d = %+v, want row %+v", i, g, r)
		}
	}

	var failed []string
	for _, n := range dirNames(t, filepath.Join(root, "failed")) {
		if !strings.HasSuffix(n, ".error.json") {
			failed = append(failed, n)
		}
	}
	if len(st.Failed) != len(failed) {
		t.Errorf("status lists %d failed files, failed/ holds %v", len(st.Failed), failed)
	}
	for _, f := range st.Failed {
		var rep struct {
			SHA256 string `json:"sha256"`
		}
		data, err := os.ReadFile(filepath.Join(root, "failed", f.File+".error.json"))
		if err != nil || json.Unmarshal(data, &rep) != nil {
			t.Errorf("report of %s: %v", f.File, err)
		}
		if f.Reason == "" || f.SHA256 != rep.SHA256 {
			t.Errorf("status failed file %+v: want a reason and sha256 %s", f, rep.SHA256)
		}
	}
	if st.Backlog.Files != backlog {
		t.Errorf("status backlog = %+v, want %d files", st.Backlog, backlog)
	}
	if backlog > 0 && (st.Backlog.OldestFile != "waiting.xml" || st.Backlog.OldestAge < 0) {
		t.Errorf("status backlog = %+v, want waiting.xml oldest", st.Backlog)
	}
}

// TestReadyzFollowsDatabase cuts the daemon off from PostgreSQL with a TCP
// proxy in between: a real network outage from the daemon's side, without
// stopping the server other tests share.
func TestReadyzFollowsDatabase(t *testing.T) {
	proxy, url := newCutProxy(t, repotest.New(t, "ready"))
	root := t.TempDir()
	p := startDaemon(t, url, root)

	ready := func(want int) func() bool {
		return func() bool { code, _ := p.get(t, "/readyz"); return code == want }
	}
	eventually(t, 10*time.Second, "/readyz 200 at start", ready(http.StatusOK))

	proxy.cut()
	eventually(t, 30*time.Second, "/readyz 503 in the outage", ready(http.StatusServiceUnavailable))
	if _, body := p.get(t, "/readyz"); !strings.Contains(body, "database") {
		t.Errorf("/readyz body %q does not name the database", body)
	}
	if code, body := p.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz in the outage: %d %q, want 200: the process is alive", code, body)
	}

	proxy.restore(t)
	eventually(t, 30*time.Second, "/readyz 200 after the outage", ready(http.StatusOK))
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code: got %d, want 0", code)
	}
}

func TestReadyzNeedsMigratedSchema(t *testing.T) {
	url := repotest.New(t, "unmigrated")
	p := startDaemon(t, url, t.TempDir(), "--no-migrate")
	code, body := p.get(t, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "not migrated") {
		t.Errorf("/readyz on an empty database: %d %q, want 503 not migrated", code, body)
	}
	cacsd(t, []string{"DATABASE_URL=" + url}, "migrate")
	eventually(t, 10*time.Second, "/readyz after migrate", func() bool {
		code, _ := p.get(t, "/readyz")
		return code == http.StatusOK
	})
}

func TestNotifiesSystemd(t *testing.T) {
	url := repotest.New(t, "notify")
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p := startDaemonEnv(t, []string{"DATABASE_URL=" + url, "NOTIFY_SOCKET=" + sock,
		"WATCHDOG_USEC=200000"}, t.TempDir())

	next := func() string {
		t.Helper()
		buf := make([]byte, 512)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
	if got := next(); !strings.HasPrefix(got, "READY=1") {
		t.Errorf("first notification %q, want READY=1", got)
	}
	if got := next(); got != "WATCHDOG=1" {
		t.Errorf("second notification %q, want WATCHDOG=1", got)
	}
	p.stop(t)
	for {
		got := next()
		if strings.HasPrefix(got, "STOPPING=1") {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("notification %q, want WATCHDOG=1 or STOPPING=1", got)
		}
	}
}

// withoutDatabaseEnv is the test's environment less the database settings.
func withoutDatabaseEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL") && !strings.HasPrefix(kv, "CACSD_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func TestDatabaseURLFromFile(t *testing.T) {
	url := repotest.New(t, "secret")
	secret := filepath.Join(t.TempDir(), "database-url")
	if err := os.WriteFile(secret, []byte(url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "inbox"), 0o750); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "status", "--root", root)
	cmd.Env = withoutDatabaseEnv("DATABASE_URL_FILE=" + secret)
	if out, _ := cmd.CombinedOutput(); !strings.Contains(string(out), "cacsd migrate") {
		t.Errorf("status before migrating: want advice to migrate\n%s", out)
	}
	for _, env := range [][]string{
		{"DATABASE_URL_FILE=" + secret},
		{"CACSD_DATABASE_URL_FILE=" + secret},
	} {
		cmd := exec.Command(binary, "migrate")
		cmd.Env = withoutDatabaseEnv(env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("migrate with %v: %v\n%s", env, err, out)
		}
		cmd = exec.Command(binary, "status", "--root", root)
		cmd.Env = withoutDatabaseEnv(env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("status with %v: %v\n%s", env, err, out)
		}
	}
	cmd = exec.Command(binary, "status", "--root", root)
	cmd.Env = withoutDatabaseEnv("DATABASE_URL_FILE=" + secret + ".missing")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "DATABASE_URL_FILE") {
		t.Errorf("status with a missing secret file: %v, want an error naming it\n%s", err, out)
	}
}

func TestStartLogMasksPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://cacsd:s3cret-pw@127.0.0.1:1/cacsd?sslmode=disable&connect_timeout=2",
		"postgres://cacsd@127.0.0.1:1/cacsd?sslmode=disable&password=s3cret-pw&connect_timeout=2",
	} {
		cmd := exec.Command(binary, "run", "--root", t.TempDir(), "--log-format", "json")
		cmd.Env = withoutDatabaseEnv("CACSD_DATABASE_URL=" + dsn)
		out, _ := cmd.CombinedOutput()
		if strings.Contains(string(out), "s3cret-pw") {
			t.Errorf("output shows the password:\n%s", out)
		}
		if !strings.Contains(string(out), `"msg":"starting"`) ||
			!strings.Contains(string(out), `"database_from":"--database-url"`) {
			t.Errorf("no effective configuration logged:\n%s", out)
		}
	}
}
