package mapping

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

func TestTruncatedIsMarked(t *testing.T) {
	good, err := os.ReadFile("testdata/good/referral-single.xml")
	if err != nil {
		t.Fatal(err)
	}
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
