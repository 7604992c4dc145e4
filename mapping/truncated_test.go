package mapping

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"
)

// samples returns a good one-case export, and the same in UTF-16.
func samples(t *testing.T) (good, wide []byte) {
	t.Helper()
	good, err := os.ReadFile("testdata/good/referral-single.xml")
	if err != nil {
		t.Fatal(err)
	}
	wide = []byte(utf16(t, strings.Replace(string(good), "UTF-8", "UTF-16", 1),
		unicode.LittleEndian, unicode.UseBOM))
	return good, wide
}

func TestTruncatedIsMarked(t *testing.T) {
	good, wide := samples(t)
	for _, tc := range []struct {
		name      string
		data      []byte
		truncated bool
	}{
		{"cut in an element", good[:len(good)/2], true},
		{"cut in a tag", good[:bytes.Index(good, []byte("<Case>"))+3], true},
		{"cut inside a character", []byte(string(good[:200]) + "<!-- \xc2"), true},
		{"cut in CDATA", []byte(string(good[:200]) + "<![CDATA[Trader called"), true},
		{"only the declaration", good[:bytes.Index(good, []byte("?>"))+2], true},
		{"UTF-16 cut between characters", wide[:len(wide)/2&^1], true},
		{"bad value", bytes.Replace(good, []byte("Referral<"), []byte("Escalation<"), 1), false},
		{"second root", append(append([]byte{}, good...), []byte("<CaseExport/>")...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Decode(bytes.NewReader(tc.data), nil)
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("Decode error = %v, want *InvalidError", err)
			}
			if inv.Truncated != tc.truncated {
				t.Errorf("Truncated = %v, want %v (%v)", inv.Truncated, tc.truncated, err)
			}
		})
	}
}

// A UTF-16 file cut inside a character, wherever that falls, is cut short,
// never malformed: its last half character must not read as U+FFFD.
func TestTruncatedUTF16Everywhere(t *testing.T) {
	_, wide := samples(t)
	for n := 3; n < len(wide)-1; n += 2 {
		_, _, err := Decode(bytes.NewReader(wide[:n]), nil)
		var inv *InvalidError
		if !errors.As(err, &inv) || !inv.Truncated {
			t.Errorf("cut after %d of %d bytes: %v, want a truncated file", n, len(wide), err)
		}
	}
}
