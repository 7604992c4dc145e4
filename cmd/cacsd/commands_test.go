package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cacsd/repository/repotest"
)

func TestValidate(t *testing.T) {
	for _, f := range sampleFiles(t, "good") {
		t.Run("good/"+filepath.Base(f), func(t *testing.T) {
			code, out := cacsd(t, nil, "validate", f)
			if code != 0 || !strings.Contains(out, "ok,") {
				t.Errorf("validate %s: exit %d, output:\n%s\nwant exit 0 and ok", f, code, out)
			}
		})
	}
	// What each bad sample's report must name (samples/README.md).
	want := map[string][]string{
		"bad-route.xml":                    {"Route", "want one of Referral"},
		"complaint-without-trader.xml":     {"Trader"},
		"duplicate-reference-conflict.xml": {"CACS2611290003"},
		"empty.xml":                        {"empty"},
		"entity-expansion.xml":             {"DOCTYPE"},
		"missing-case-reference.xml":       {"CaseReference"},
		"not-xml.xml":                      {"1:"},
		"truncated.xml":                    {"unexpected EOF"},
		"two-bad-values.xml":               {"CACS2611290002 ReceivedAt", "CACS2611290002 Purchase/Date"},
		"undeclared-latin1.xml":            {"UTF-8"},
		"version-2.xml":                    {"version"},
		"wrong-root.xml":                   {"CaseExport"},
		"xxe.xml":                          {"DOCTYPE"},
	}
	for _, f := range sampleFiles(t, "bad") {
		name := filepath.Base(f)
		t.Run("bad/"+name, func(t *testing.T) {
			code, out := cacsd(t, nil, "validate", f)
			if code != 1 {
				t.Errorf("validate %s: exit %d, want 1\n%s", name, code, out)
			}
			words, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for sample %s", name)
			}
			for _, w := range words {
				if !strings.Contains(out, w) {
					t.Errorf("validate %s output lacks %q:\n%s", name, w, out)
				}
			}
		})
	}
}

func TestImportExitCodes(t *testing.T) {
	url := repotest.New(t, "import")
	env := []string{"DATABASE_URL=" + url}
	root := t.TempDir()
	stage := func(sample string) string {
		t.Helper()
		dst := filepath.Join(t.TempDir(), filepath.Base(sample))
		copyFile(t, sample, dst)
		return dst
	}

	good := stage(filepath.Join(samples, "good", "referral-single.xml"))
	code, out := cacsd(t, env, "import", "--root", root, "--log-format", "json", good)
	if code != 0 || !strings.Contains(out, `"outcome":"imported"`) {
		t.Fatalf("import good: exit %d, want 0 and imported\n%s", code, out)
	}
	if _, err := os.Stat(good); !os.IsNotExist(err) {
		t.Errorf("imported file still at %s (err %v); want it moved", good, err)
	}

	bad := stage(filepath.Join(samples, "bad", "bad-route.xml"))
	code, out = cacsd(t, env, "import", "--root", root, bad)
	if code != 1 {
		t.Errorf("import bad: exit %d, want 1\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(root, "failed", "bad-route.xml.error.json")); err != nil {
		t.Errorf("no report for the bad file: %v", err)
	}

	kept := stage(filepath.Join(samples, "good", "windows-1252.xml"))
	code, out = cacsd(t, env, "import", "--keep", kept)
	if code != 0 {
		t.Errorf("import --keep: exit %d, want 0\n%s", code, out)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("--keep moved the file: %v", err)
	}
	code, out = cacsd(t, env, "import", "--keep", kept)
	if code != 0 || !strings.Contains(out, "already_imported") {
		t.Errorf("second import: exit %d, want 0 and already_imported\n%s", code, out)
	}

	noDB := []string{"DATABASE_URL=postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"}
	code, out = cacsd(t, noDB, "import", "--keep", kept)
	if code != 2 {
		t.Errorf("import without a database: exit %d, want 2\n%s", code, out)
	}
	code, out = cacsd(t, env, "import", "--root", root)
	if code != 2 {
		t.Errorf("import with no files: exit %d, want 2\n%s", code, out)
	}
}

func TestHelpNamesEnvironment(t *testing.T) {
	for _, sub := range []string{"run", "import", "validate", "migrate"} {
		code, out := cacsd(t, nil, sub, "--help")
		if code != 0 {
			t.Errorf("%s --help: exit %d, want 0", sub, code)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "-") && !strings.Contains(line, "(env ") {
				t.Errorf("%s --help: flag without its environment variable: %q", sub, line)
			}
		}
	}
	_, out := cacsd(t, nil, "run", "--help")
	for _, want := range []string{"CACSD_ROOT", "CACSD_SETTLE", "DATABASE_URL", "CACSD_WORKERS"} {
		if !strings.Contains(out, want) {
			t.Errorf("run --help lacks %s:\n%s", want, out)
		}
	}
}
