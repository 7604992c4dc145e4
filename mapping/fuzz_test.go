package mapping

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/unicode"
)

// FuzzDecode checks that no input makes Decode panic or hang, and that its
// result is always either good cases or an *InvalidError with problems,
// and that a document it accepts is one encoding/xml's Token accepts too.
func FuzzDecode(f *testing.F) {
	for _, dir := range []string{"good", "bad"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.xml"))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	// A few shapes the samples lack: other encodings, limits, many parts.
	f.Add([]byte(declared("windows-1252")))
	f.Add([]byte(utf16(f, declared("UTF-16"), unicode.LittleEndian, unicode.UseBOM)))
	f.Add(benchExport(2))
	f.Add(export(withCase(`<Notes><Note at="29/11/2026 10:00">x</Note></Notes>`),
		withCase("<UpdateSequence>1</UpdateSequence>")))

	// An end tag that closes another element, which the decoder checks
	// itself (see Decoder.close).
	f.Add([]byte(strings.Replace(oneCase, "</Case>", "</Cases>", 1)))

	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			n, good int
			err     error
		}
		done := make(chan result, 1)
		go func() {
			var r result
			_, r.n, r.err = Decode(bytes.NewReader(data), func(c *Case) error {
				if c.Reference == "" || c.Line == 0 {
					t.Errorf("Decode returned a case with no reference or position: %+v", c)
				}
				r.good++
				return nil
			})
			done <- r
		}()

		var r result
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Decode did not finish within 10s on %d bytes", len(data))
		}
		if r.good > r.n {
			t.Errorf("Decode: got %d good cases of %d seen", r.good, r.n)
		}
		if r.err == nil {
			if err := tokenScan(data); err != nil {
				t.Errorf("Decode accepted a document that encoding/xml's Token refuses: %v", err)
			}
			return
		}
		var ie *InvalidError
		if !errors.As(r.err, &ie) || len(ie.Problems) == 0 {
			t.Errorf("Decode: got %T %v, want *InvalidError with problems", r.err, r.err)
		}
	})
}

// tokenScan reads data to its end with encoding/xml's Token in strict mode,
// set up as the decoder sets up its reader, and returns the first error.
func tokenScan(data []byte) error {
	src, bom, err := sniff(bytes.NewReader(data))
	if err != nil {
		return err
	}
	d := xml.NewDecoder(src)
	d.Strict = true
	d.CharsetReader = charsetReader(bom)
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
