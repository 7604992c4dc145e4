package mapping

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

const header = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
	`<CaseExport version="1.0" exportId="EXP-T" generated="2026-11-30T07:00:12Z">` + "\n"

// oneCase is a whole valid export with one case, as text.
var oneCase = string(export(minimalCase))

// declared returns the one-case export declaring the given encoding.
func declared(label string) string {
	return strings.Replace(oneCase, `encoding="UTF-8"`, `encoding="`+label+`"`, 1)
}

func utf16(t testing.TB, s string, order unicode.Endianness, bom unicode.BOMPolicy) string {
	t.Helper()
	out, err := unicode.UTF16(order, bom).NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func eightBit(t testing.TB, s string) string {
	t.Helper()
	out, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// accented is a case whose consumer and amount need more than ASCII.
const accented = minimalCase + `
<Consumer><Forename>Zoë</Forename></Consumer>
<Purchase><Amount>£1,250.00</Amount></Purchase>`

func TestFileRules(t *testing.T) {
	tests := []struct {
		name   string
		data   func(t *testing.T) string
		substr string // "" means the file is good
	}{
		{"doctype", func(*testing.T) string {
			return strings.Replace(oneCase, "\n", "\n<!DOCTYPE CaseExport>\n", 1)
		}, "DOCTYPE"},
		{"wrong root", func(*testing.T) string { return "<Invoice/>" }, "root element"},
		{"version 2", func(*testing.T) string {
			return strings.Replace(oneCase, `version="1.0" exportId`, `version="2.3" exportId`, 1)
		}, "unsupported major version 2"},
		{"version not a number", func(*testing.T) string {
			return strings.Replace(oneCase, `version="1.0" exportId`, `version="one" exportId`, 1)
		}, "version"},
		{"minor version", func(*testing.T) string {
			return strings.Replace(oneCase, `version="1.0" exportId`, `version="1.7" exportId`, 1)
		}, ""},
		{"missing version", func(*testing.T) string {
			return strings.Replace(oneCase, `version="1.0" exportId`, `exportId`, 1)
		}, "missing version"},
		{"missing exportId", func(*testing.T) string {
			return strings.Replace(oneCase, `exportId="EXP-T"`, ``, 1)
		}, "missing exportId"},
		{"bad generated", func(*testing.T) string {
			return strings.Replace(oneCase, `generated="2026-11-30T07:00:12Z"`,
				`generated="today"`, 1)
		}, "withheld"},
		{"no case", func(*testing.T) string { return header + "</CaseExport>" }, "no Case"},
		{"two roots", func(*testing.T) string { return oneCase + oneCase[39:] },
			"second root"},
		{"text after root", func(*testing.T) string { return oneCase + "junk" },
			"after the root"},
		{"comment and pi after root", func(*testing.T) string {
			return oneCase + "<!-- end -->\n<?done?>\n"
		}, ""},
		{"undefined entity", func(*testing.T) string {
			return strings.Replace(oneCase, "Consumer law enquiry", "&pound;5", 1)
		}, "entity"},
		{"nul byte", func(*testing.T) string {
			return strings.Replace(oneCase, "Consumer law", "Consumer\x00law", 1)
		}, "NUL"},
		{"unknown charset", func(*testing.T) string { return declared("ISO-8859-99") },
			`unknown character encoding "ISO-8859-99"`},
		{"unknown charset named like a word", func(*testing.T) string { return declared("x-klingon") },
			`unknown character encoding (value withheld`},
		{"utf-16le with bom", func(t *testing.T) string {
			return utf16(t, declared("UTF-16"), unicode.LittleEndian, unicode.UseBOM)
		}, ""},
		{"utf-16be with bom", func(t *testing.T) string {
			return utf16(t, declared("UTF-16"), unicode.BigEndian, unicode.UseBOM)
		}, ""},
		{"utf-16 bom declaring utf-8", func(t *testing.T) string {
			return utf16(t, oneCase, unicode.LittleEndian, unicode.UseBOM)
		}, ""},
		{"utf-16 without bom", func(t *testing.T) string {
			return utf16(t, declared("UTF-16"), unicode.LittleEndian, unicode.IgnoreBOM)
		}, "byte-order mark"},
		{"utf-16 declared on 8-bit bytes", func(*testing.T) string {
			return declared("UTF-16")
		}, "byte-order mark"},
		{"utf-16 bom declaring latin-1", func(t *testing.T) string {
			return utf16(t, declared("ISO-8859-1"), unicode.LittleEndian, unicode.UseBOM)
		}, "byte-order mark"},
		{"windows-1252", func(t *testing.T) string {
			return eightBit(t, strings.Replace(string(export(accented)), "UTF-8",
				"windows-1252", 1))
		}, ""},
		{"iso-8859-1", func(t *testing.T) string {
			return eightBit(t, strings.Replace(string(export(accented)), "UTF-8",
				"ISO-8859-1", 1))
		}, ""},
		{"latin-1 undeclared", func(t *testing.T) string {
			return eightBit(t, string(export(accented)))
		}, "invalid UTF-8"},
		{"too many attributes", func(*testing.T) string {
			attrs := strings.Repeat(` a="1"`, maxAttrs+1)
			return strings.Replace(oneCase, "<Case>", "<Case"+attrs+">", 1)
		}, "attributes"},
		{"long attribute", func(*testing.T) string {
			return strings.Replace(oneCase, "<Case>",
				`<Case x="`+strings.Repeat("a", maxAttrBytes+1)+`">`, 1)
		}, "longer than"},
		{"truncated", func(*testing.T) string { return oneCase[:len(oneCase)-30] },
			"unexpected EOF"},
		{"truncated in the root", func(*testing.T) string { return header + "<Case>" },
			"unexpected EOF"},
		{"end tag of another element", func(*testing.T) string {
			return strings.Replace(oneCase, "</Case>", "</Cases>", 1)
		}, `element "Case" closed by end tag (a name not in the format)`},
		{"end tag with another prefix", func(*testing.T) string {
			s := strings.Replace(oneCase, "<Case>", "<c:Case xmlns:c=\"urn:x\">", 1)
			return strings.Replace(s, "</Case>", "</d:Case>", 1)
		}, `element "Case" closed by an end tag with another prefix`},
		{"end tag with its prefix", func(*testing.T) string {
			s := strings.Replace(oneCase, "<Case>", "<c:Case xmlns:c=\"urn:x\">", 1)
			return strings.Replace(s, "</Case>", "</c:Case>", 1)
		}, ""},
		{"end tag after the root", func(*testing.T) string { return oneCase + "</Case>" },
			`unexpected end tag "Case"`},
		{"only a declaration", func(*testing.T) string {
			return `<?xml version="1.0"?>` + "\n"
		}, "no root element"},
		{"recipient after case", func(*testing.T) string {
			return strings.Replace(oneCase, "</CaseExport>",
				`<Recipient custodianCode="2280">X</Recipient></CaseExport>`, 1)
		}, "before the first Case"},
		{"recipient code not a number", func(*testing.T) string {
			return strings.Replace(oneCase, "<Case>",
				`<Recipient custodianCode="abc">X</Recipient><Case>`, 1)
		}, "custodianCode"},
		{"markup declaration", func(*testing.T) string {
			return strings.Replace(oneCase, "\n", "\n<!ENTITY x \"y\">\n", 1)
		}, "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, cases, _, problems, _ := decodeAll(t, []byte(tt.data(t)))
			if tt.substr == "" {
				if problems != nil || len(cases) != 1 {
					t.Fatalf("decode: got %d cases, problems%s; want 1 case, none",
						len(cases), problemList(problems))
				}
				return
			}
			if !hasProblem(problems, "", tt.substr) {
				t.Errorf("decode: got problems%s\nwant one with %q",
					problemList(problems), tt.substr)
			}
		})
	}
}

func TestCharsetsDecodeText(t *testing.T) {
	for _, label := range []string{"windows-1252", "ISO-8859-1", "UTF-16"} {
		t.Run(label, func(t *testing.T) {
			text := strings.Replace(string(export(accented)), "UTF-8", label, 1)
			data := eightBit(t, text)
			if label == "UTF-16" {
				data = utf16(t, text, unicode.BigEndian, unicode.UseBOM)
			}
			_, cases, _, problems, _ := decodeAll(t, []byte(data))
			if len(cases) != 1 {
				t.Fatalf("decode: got problems%s, want a good case", problemList(problems))
			}
			c := cases[0]
			if c.Consumer.Forename != "Zoë" || c.Purchase.Amount.Amount.String() != "1250" {
				t.Errorf("decode: got %q and %v, want Zoë and 1250",
					c.Consumer.Forename, c.Purchase.Amount.Amount)
			}
		})
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// repeatReader returns b over and over, forever.
type repeatReader struct{ b byte }

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

// TestLimitsFailFast feeds hostile shapes and checks that decoding stops
// early, reading and allocating little, with a problem that says why.
func TestLimitsFailFast(t *testing.T) {
	const tenMB = 10 << 20
	tests := []struct {
		name   string
		input  func() io.Reader
		substr string
	}{
		{"200000 nested elements", func() io.Reader {
			return strings.NewReader(header + "<Case>" + strings.Repeat("<a>", 200000))
		}, "nested deeper"},
		{"10 MB text field", func() io.Reader {
			return io.MultiReader(strings.NewReader(header+"<Case><Complaint><Summary>"),
				io.LimitReader(repeatReader{'a'}, tenMB),
				strings.NewReader("</Summary></Complaint></Case></CaseExport>"))
		}, "longer than"},
		{"10 MB text in small pieces", func() io.Reader {
			piece := "<!---->" + strings.Repeat("a", 100)
			return io.MultiReader(strings.NewReader(header+"<Case><Complaint><Summary>"),
				strings.NewReader(strings.Repeat(piece, tenMB/len(piece))))
		}, "text longer than 32768 bytes"},
		{"10 MB attribute", func() io.Reader {
			return io.MultiReader(strings.NewReader(header+`<Case a="`),
				io.LimitReader(repeatReader{'a'}, tenMB))
		}, "longer than"},
		{"10 MB comment", func() io.Reader {
			return io.MultiReader(strings.NewReader(header+`<!--`),
				io.LimitReader(repeatReader{'a'}, tenMB))
		}, "longer than"},
		{"10 MB of white space", func() io.Reader {
			return io.MultiReader(strings.NewReader(header),
				io.LimitReader(repeatReader{' '}, tenMB))
		}, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &countingReader{r: tt.input()}
			var err error
			start := time.Now()
			allocs := allocated(func() { _, _, err = Decode(in, nil) })

			var ie *InvalidError
			if !errors.As(err, &ie) || !hasProblem(ie.Problems, "", tt.substr) {
				t.Fatalf("Decode: got %v, want a problem with %q", err, tt.substr)
			}
			if in.n > 1<<20 {
				t.Errorf("Decode read %d bytes, want under 1 MiB", in.n)
			}
			if allocs > 8<<20 {
				t.Errorf("Decode allocated %d bytes, want under 8 MiB", allocs)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Decode took %v, want it to fail fast", d)
			}
		})
	}
}

func TestReadErrorIsNotInvalid(t *testing.T) {
	broken := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader(oneCase[:200]), errReader{broken})
	_, _, err := Decode(r, nil)
	var ie *InvalidError
	if !errors.Is(err, broken) || errors.As(err, &ie) {
		t.Errorf("Decode: got %v, want the read error and no *InvalidError", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestDecoderAfterFatal(t *testing.T) {
	d := NewDecoder(strings.NewReader(oneCase + "<Second/>"))
	if _, err := d.Header(); err != nil {
		t.Fatalf("Header: %v", err)
	}
	if c, err := d.Next(); err != nil || c == nil {
		t.Fatalf("Next: got %v, %v, want the first case", c, err)
	}
	_, err := d.Next()
	var ie *InvalidError
	if !errors.As(err, &ie) {
		t.Fatalf("Next: got %v, want *InvalidError", err)
	}
	if _, again := d.Next(); again != err {
		t.Errorf("Next again: got %v, want the same error", again)
	}
	if d.Err() != err {
		t.Errorf("Err: got %v, want the error Next returned", d.Err())
	}
	if d.Cases() != 1 {
		t.Errorf("Cases: got %d, want 1", d.Cases())
	}
}

func TestDecoderGoodFlow(t *testing.T) {
	d := NewDecoder(bytes.NewReader(readTestdata(t, "good/batch-mixed.xml")))
	exp, err := d.Header()
	if err != nil || exp.ExportID != "EXP-20261129-0002" {
		t.Fatalf("Header: got %+v, %v", exp, err)
	}
	n := 0
	for {
		_, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		n++
	}
	if _, err := d.Next(); err != io.EOF {
		t.Errorf("Next after the end: got %v, want io.EOF", err)
	}
	if n != 4 || d.Err() != nil {
		t.Errorf("got %d cases, Err %v; want 4, nil", n, d.Err())
	}
}

func TestProblemsCapped(t *testing.T) {
	bad := withCase("<Channel>Fax</Channel>")
	bodies := make([]string, maxProblems+50)
	for i := range bodies {
		bodies[i] = bad
	}
	_, _, n, problems, _ := decodeAll(t, export(bodies...))
	if n != len(bodies) || len(problems) != maxProblems+1 {
		t.Fatalf("got %d cases, %d problems; want %d, %d", n, len(problems), len(bodies),
			maxProblems+1)
	}
	if last := problems[maxProblems].Message; last != "50 more problems not listed" {
		t.Errorf("last problem: got %q, want the count of the rest", last)
	}
}

func TestDecodeCallbackError(t *testing.T) {
	stop := errors.New("stop")
	_, _, err := Decode(strings.NewReader(oneCase), func(*Case) error { return stop })
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "CACS0000000001") {
		t.Errorf("Decode: got %v, want the callback's error with the case", err)
	}
}
