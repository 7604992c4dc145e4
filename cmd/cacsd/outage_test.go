package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cacsd/repository/repotest"
)

// cutProxy forwards TCP connections to PostgreSQL and can cut them all,
// refusing new ones, to stand for a database outage without stopping the
// server other test packages use.
type cutProxy struct {
	addr    string // where clients connect
	network string // of the server: tcp or unix
	target  string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newCutProxy(t *testing.T, dbURL string) (*cutProxy, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{network: "tcp", target: u.Host}
	if h := u.Query().Get("host"); strings.HasPrefix(h, "/") {
		port := u.Query().Get("port")
		if port == "" {
			port = "5432"
		}
		p.network, p.target = "unix", filepath.Join(h, ".s.PGSQL."+port)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)

	q := u.Query()
	q.Del("host")
	q.Del("port")
	u.Host, u.RawQuery = p.addr, q.Encode()
	return p, u.String()
}

func (p *cutProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial(p.network, p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

// cut closes the listener and every connection: the database is gone.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens again on the same address: the database is back.
func (p *cutProxy) restore(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// TestDatabaseOutageFilesWait cuts the daemon off from PostgreSQL for 30
// seconds while files keep arriving: they wait in the inbox, the outage
// and the recovery are each logged once, and every file is handled once
// the database is back. Cutting a proxy is an outage from the daemon's
// side without stopping the server other test packages share.
func TestDatabaseOutageFilesWait(t *testing.T) {
	outage := 30 * time.Second
	if testing.Short() {
		outage = 3 * time.Second
	}
	proxy, url := newCutProxy(t, repotest.New(t, "outage"))
	root := t.TempDir()
	p := startDaemon(t, url, root, "--custodian", "2280")
	inbox := filepath.Join(root, "inbox")

	proxy.cut()
	copyFile(t, filepath.Join(samples, "bad", "bad-route.xml"), filepath.Join(inbox, "bad.xml"))
	eventually(t, 30*time.Second, "the outage to be logged", func() bool {
		return strings.Contains(p.out.String(), "database unavailable")
	})
	// Files keep arriving during the outage, and all of them wait.
	var arrived []string
	for end := time.Now().Add(outage); time.Now().Before(end); {
		name := fmt.Sprintf("during-%02d.xml", len(arrived))
		copyData(t, genExport(fmt.Sprintf("OUT%02d", len(arrived)), 2), filepath.Join(inbox, name))
		arrived = append(arrived, name)
		time.Sleep(outage / 10)
		if n := len(dirNames(t, inbox)); n != len(arrived)+1 {
			t.Fatalf("inbox holds %d files during the outage, want all %d to wait",
				n, len(arrived)+1)
		}
	}
	if f := dirNames(t, filepath.Join(root, "failed")); len(f) != 0 {
		t.Fatalf("failed/ holds %v during the outage; want nothing", f)
	}

	proxy.restore(t)
	eventually(t, 2*time.Minute, "files to be handled after the outage", p.inboxEmpty(t))
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code: got %d, want 0", code)
	}
	out := p.out.String()
	if n := strings.Count(out, "database unavailable"); n != 1 {
		t.Errorf("outage logged %d times, want once", n)
	}
	if n := strings.Count(out, "database available again"); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
	failed := dirNames(t, filepath.Join(root, "failed"))
	if len(failed) != 2 { // bad.xml and its report
		t.Errorf("failed/ holds %v, want bad.xml and bad.xml.error.json", failed)
	}
	day := filepath.Join(root, "processed", time.Now().Format("2006/01/02"))
	if got := dirNames(t, day); len(got) != len(arrived) {
		t.Errorf("processed/ holds %d files, want %d", len(got), len(arrived))
	}
	db := openDB(t, url)
	if n := count(t, db, `SELECT count(*) FROM service_request`); n != 2*len(arrived) {
		t.Errorf("service requests: got %d, want %d", n, 2*len(arrived))
	}
}

// A database that refuses cacsd's own statements (here a column renamed
// under it, as a schema from another version would) is no fault of the
// file: the file waits in the inbox, the daemon says why at error, and the
// file is imported once the schema is put right.
func TestSchemaMismatchFilesWait(t *testing.T) {
	url := repotest.New(t, "mismatch")
	root := t.TempDir()
	p := startDaemon(t, url, root, "--custodian", "2280")
	db := openDB(t, url)
	rename := func(from, to string) {
		t.Helper()
		_, err := db.Exec(`ALTER TABLE service_request_note RENAME COLUMN ` + from + ` TO ` + to)
		if err != nil {
			t.Fatal(err)
		}
	}
	rename("text", "body")
	inbox := filepath.Join(root, "inbox")
	copyData(t, genExport("MIS", 3), filepath.Join(inbox, "waits.xml"))
	eventually(t, 30*time.Second, "the refusal to be logged", func() bool {
		return strings.Contains(p.out.String(), "database refuses cacsd's statements")
	})
	if code, body := p.get(t, "/readyz"); code != http.StatusServiceUnavailable ||
		!strings.Contains(body, "refuses") {
		t.Errorf("GET /readyz while refused: %d %q, want 503 naming the refusal", code, body)
	}
	time.Sleep(2 * time.Second) // a retry or two
	if f := dirNames(t, filepath.Join(root, "failed")); len(f) != 0 {
		t.Fatalf("failed/ holds %v; want the file to wait", f)
	}
	if got := dirNames(t, inbox); len(got) != 1 {
		t.Fatalf("inbox holds %v; want waits.xml", got)
	}

	rename("body", "text")
	eventually(t, time.Minute, "the file to be imported", p.inboxEmpty(t))
	if code, body := p.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("GET /readyz once put right: %d %q, want 200", code, body)
	}
	if n := count(t, db, `SELECT count(*) FROM import_file WHERE status = 'imported'`); n != 1 {
		t.Errorf("%d files imported, want 1", n)
	}
	if f := dirNames(t, filepath.Join(root, "failed")); len(f) != 0 {
		t.Errorf("failed/ holds %v; want nothing", f)
	}
}

// A refusal met when the database comes back from an outage is told as
// well: the daemon logs it and /readyz names it, rather than the outage
// alone standing for both.
func TestSchemaMismatchAfterOutage(t *testing.T) {
	direct := repotest.New(t, "mismatchafter")
	proxy, url := newCutProxy(t, direct)
	root := t.TempDir()
	p := startDaemon(t, url, root, "--custodian", "2280")
	db := openDB(t, direct)

	proxy.cut()
	copyData(t, genExport("MIA", 2), filepath.Join(root, "inbox", "waits.xml"))
	eventually(t, 30*time.Second, "the outage to be logged", func() bool {
		return strings.Contains(p.out.String(), "database unavailable")
	})
	if _, err := db.Exec(`ALTER TABLE service_request_note RENAME COLUMN text TO body`); err != nil {
		t.Fatal(err)
	}
	proxy.restore(t)
	eventually(t, time.Minute, "the refusal to be logged", func() bool {
		return strings.Contains(p.out.String(), "database refuses cacsd's statements")
	})
	if code, body := p.get(t, "/readyz"); code != http.StatusServiceUnavailable ||
		!strings.Contains(body, "refuses") {
		t.Errorf("GET /readyz while refused: %d %q, want 503 naming the refusal", code, body)
	}
	if _, err := db.Exec(`ALTER TABLE service_request_note RENAME COLUMN body TO text`); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Minute, "the file to be imported", p.inboxEmpty(t))
	if f := dirNames(t, filepath.Join(root, "failed")); len(f) != 0 {
		t.Errorf("failed/ holds %v; want nothing", f)
	}
}
