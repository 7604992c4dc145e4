package main

import (
	"io"
	"net"
	"net/url"
	"os"
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

func TestDatabaseOutageFilesWait(t *testing.T) {
	proxy, url := newCutProxy(t, repotest.New(t, "outage"))
	root := t.TempDir()
	p := startDaemon(t, url, root, "--custodian", "2280")
	inbox := filepath.Join(root, "inbox")

	proxy.cut()
	copyFile(t, filepath.Join(samples, "good", "batch-mixed.xml"), filepath.Join(inbox, "a.xml"))
	copyFile(t, filepath.Join(samples, "bad", "bad-route.xml"), filepath.Join(inbox, "b.xml"))
	eventually(t, 30*time.Second, "the outage to be logged", func() bool {
		return strings.Contains(p.out.String(), "database unavailable")
	})
	// Several retries happen within this window (backoff 1 s, 2 s, ...).
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		if n := len(dirNames(t, inbox)); n != 2 {
			t.Fatalf("inbox holds %d files during the outage, want both to wait", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if f := dirNames(t, filepath.Join(root, "failed")); len(f) != 0 {
		t.Fatalf("failed/ holds %v during the outage; want nothing", f)
	}

	proxy.restore(t)
	eventually(t, 90*time.Second, "files to be handled after the outage", p.inboxEmpty(t))
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
	if len(failed) != 2 { // b.xml and its report
		t.Errorf("failed/ holds %v, want b.xml and b.xml.error.json", failed)
	}
	if _, err := os.Stat(filepath.Join(root, "processed", time.Now().Format("2006/01/02"), "a.xml")); err != nil {
		t.Errorf("a.xml not in processed/: %v", err)
	}
}
