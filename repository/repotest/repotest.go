// Package repotest gives each test package a fresh, empty PostgreSQL
// database on the server the environment points at, and drops it after.
//
// The server is found from DATABASE_URL when it is set, else from the
// libpq PG* variables, else 127.0.0.1:5432 as user postgres. A test that
// needs PostgreSQL fails, never skips, when none can be reached: CI starts
// the server before running the tests.
package repotest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/lib/pq"
)

// AdminURL is the connection string used to create and drop test databases.
func AdminURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	host := envOr("PGHOST", "127.0.0.1")
	port := envOr("PGPORT", "5432")
	user := envOr("PGUSER", "postgres")
	db := envOr("PGDATABASE", "postgres")
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(user),
		Host:     host + ":" + port,
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	if strings.HasPrefix(host, "/") {
		u.Host = ""
		u.RawQuery = "sslmode=disable&host=" + url.QueryEscape(host) + "&port=" + port
	}
	return u.String()
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// DB is a database created for one test package.
type DB struct {
	Name string
	URL  string
}

// Create makes a new empty database named after prefix and returns it. Call
// Drop when done (from TestMain, after m.Run).
func Create(prefix string) (*DB, error) {
	admin, err := sql.Open("postgres", AdminURL())
	if err != nil {
		return nil, fmt.Errorf("open admin connection: %w", err)
	}
	defer admin.Close()

	var buf [6]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("cacsd_test_%s_%s", prefix, hex.EncodeToString(buf[:]))
	if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name)); err != nil {
		return nil, fmt.Errorf("create test database (is PostgreSQL running? see README): %w", err)
	}

	u, err := url.Parse(AdminURL())
	if err != nil {
		return nil, fmt.Errorf("parse admin url: %w", err)
	}
	u.Path = "/" + name
	return &DB{Name: name, URL: u.String()}, nil
}

// Drop removes the database, closing any connection still open to it.
func (d *DB) Drop() error {
	admin, err := sql.Open("postgres", AdminURL())
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(d.Name) + " WITH (FORCE)")
	return err
}

// Main runs a test package's tests with a fresh database whose URL is put
// in *url before the tests run. Use it from TestMain:
//
//	func TestMain(m *testing.M) { repotest.Main(m, "repository", &testURL) }
func Main(m *testing.M, prefix string, url *string) {
	db, err := Create(prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, "repotest:", err)
		os.Exit(1)
	}
	*url = db.URL
	code := m.Run()
	if err := db.Drop(); err != nil {
		fmt.Fprintln(os.Stderr, "repotest: drop database:", err)
	}
	os.Exit(code)
}

// New creates a fresh database for one test and drops it when the test
// ends. It fails the test when PostgreSQL cannot be reached.
func New(t testing.TB, prefix string) string {
	t.Helper()
	db, err := Create(prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Drop(); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return db.URL
}
