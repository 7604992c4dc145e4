package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// decodeAll decodes data and returns the header, the good cases, the count
// of cases seen, and the problems (nil when the file is good).
func decodeAll(t testing.TB, data []byte) (*Export, []*Case, int, []Problem, error) {
	t.Helper()
	var cases []*Case
	exp, n, err := Decode(bytes.NewReader(data), func(c *Case) error {
		cases = append(cases, c)
		return nil
	})
	var ie *InvalidError
	if err != nil && !errors.As(err, &ie) {
		t.Fatalf("Decode: got error %T %v, want nil or *InvalidError", err, err)
	}
	if ie != nil {
		if len(ie.Problems) == 0 {
			t.Fatalf("Decode: got *InvalidError with no problems")
		}
		return exp, cases, n, ie.Problems, err
	}
	return exp, cases, n, nil, nil
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// minimalCase is the body of a valid case with only the required parts.
const minimalCase = `<CaseReference>CACS0000000001</CaseReference>
<Route>Referral</Route>
<CaseType code="ENQ">Consumer law enquiry</CaseType>
<ReceivedAt>2026-11-29T14:02:00Z</ReceivedAt>`

// export wraps case bodies in a valid export.
func export(bodies ...string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<CaseExport version="1.0" exportId="EXP-T" ` +
		`generated="2026-11-30T07:00:12Z" xmlns="urn:cacs:case-export:1">` + "\n")
	for _, body := range bodies {
		fmt.Fprintf(&b, "<Case>\n%s\n</Case>\n", body)
	}
	b.WriteString("</CaseExport>\n")
	return []byte(b.String())
}

// withCase returns the minimal case with extra elements added, and any
// required element named in drop left out.
func withCase(extra string, drop ...string) string {
	lines := strings.Split(minimalCase, "\n")
	kept := lines[:0:0]
	for _, l := range lines {
		dropped := false
		for _, name := range drop {
			if strings.HasPrefix(l, "<"+name) {
				dropped = true
			}
		}
		if !dropped {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n") + "\n" + extra
}

// decodeCase decodes an export holding one case built by withCase and
// returns the case (nil if it had problems) and the problems.
func decodeCase(t testing.TB, extra string, drop ...string) (*Case, []Problem) {
	t.Helper()
	_, cases, _, problems, _ := decodeAll(t, export(withCase(extra, drop...)))
	if len(cases) > 1 {
		t.Fatalf("got %d cases, want at most 1", len(cases))
	}
	if len(cases) == 1 {
		return cases[0], problems
	}
	return nil, problems
}

// hasProblem reports whether some problem has the field (when not empty)
// and a message containing substr.
func hasProblem(problems []Problem, field, substr string) bool {
	for _, p := range problems {
		if (field == "" || p.Field == field) && strings.Contains(p.String(), substr) {
			return true
		}
	}
	return false
}

func problemList(problems []Problem) string {
	var b strings.Builder
	for _, p := range problems {
		b.WriteString("\n\t")
		b.WriteString(p.String())
	}
	return b.String()
}

// allocated returns the bytes allocated while fn ran.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
