package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"cacsd/mapping"
)

func generate(t *testing.T, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := run(append([]string{"--out", dir}, args...)); err != nil {
		t.Fatalf("cacsgen %v: %v", args, err)
	}
	return dir
}

func TestGeneratedExportsAreValid(t *testing.T) {
	for _, enc := range []string{"utf-8", "utf-8-bom", "utf-16", "windows-1252"} {
		t.Run(enc, func(t *testing.T) {
			dir := generate(t, "--files", "3", "--cases", "150", "--updates", "0.3",
				"--encoding", enc)
			files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
			if len(files) != 3 {
				t.Fatalf("got %d files, want 3", len(files))
			}
			maxSeq := map[string]int{}
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				_, n, err := mapping.Decode(bytes.NewReader(data), func(c *mapping.Case) error {
					if c.UpdateSequence <= maxSeq[c.Reference]-1 {
						t.Errorf("%s: update %d after %d", c.Reference, c.UpdateSequence,
							maxSeq[c.Reference])
					}
					maxSeq[c.Reference] = max(maxSeq[c.Reference], c.UpdateSequence+1)
					return nil
				})
				if err != nil || n != 150 {
					t.Errorf("%s: %d cases, err %v; want 150 and no error", filepath.Base(f), n, err)
				}
			}
			updated := 0
			for _, s := range maxSeq {
				if s > 1 {
					updated++
				}
			}
			if updated == 0 {
				t.Error("no case was updated with --updates 0.3")
			}
		})
	}
}

func TestSameSeedSameFiles(t *testing.T) {
	a := generate(t, "--files", "2", "--cases", "50", "--seed", "7")
	b := generate(t, "--files", "2", "--cases", "50", "--seed", "7")
	c := generate(t, "--files", "2", "--cases", "50", "--seed", "8")
	for _, name := range []string{"GEN-000001.xml", "GEN-000002.xml"} {
		da, _ := os.ReadFile(filepath.Join(a, name))
		db, _ := os.ReadFile(filepath.Join(b, name))
		dc, _ := os.ReadFile(filepath.Join(c, name))
		if !bytes.Equal(da, db) {
			t.Errorf("%s differs between two runs with seed 7", name)
		}
		if bytes.Equal(da, dc) {
			t.Errorf("%s is the same with seeds 7 and 8", name)
		}
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, args := range [][]string{
		{"--files", "0"}, {"--updates", "1.5"}, {"--encoding", "ebcdic"}, {"--prefix", "low"},
		{"--prefix", "../ESC"}, {"--prefix", "X Y"}, {"--prefix", "Ü"}, {"--prefix", ""},
		{"--prefix", "-X"}, {"--prefix", "ABCDEFGHIJKLMNOPQRSTUVWXY"},
	} {
		if err := run(append([]string{"--out", t.TempDir()}, args...)); err == nil {
			t.Errorf("cacsgen %v: no error", args)
		}
	}
}

// Exports made with different prefixes and the same seed, meant for one
// database, share no email, website, company number or trader at a
// postcode: each is one invented person or business, and a shared one
// would merge two of them.
func TestPrefixesKeepContactsApart(t *testing.T) {
	keys := func(prefix string) map[string]bool {
		dir := generate(t, "--cases", "300", "--prefix", prefix)
		data, err := os.ReadFile(filepath.Join(dir, prefix+"-000001.xml"))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		_, _, err = mapping.Decode(bytes.NewReader(data), func(c *mapping.Case) error {
			if p := c.Consumer; p != nil && p.Email != "" {
				m[p.Email] = true
			}
			if tr := c.Trader; tr != nil {
				if tr.Address != nil {
					m[tr.Name+" at "+tr.Address.Postcode] = true
				}
				for _, v := range []string{tr.CompanyNumber, tr.Website} {
					if v != "" {
						m[v] = true
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := keys("MD"), keys("ODDU")
	if len(a) < 100 {
		t.Fatalf("only %d emails, websites and company numbers in 300 cases", len(a))
	}
	for k := range a {
		if b[k] {
			t.Errorf("%s is in the exports of both prefixes", k)
		}
	}
}
