package repository

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"cacsd/mapping"
)

// importSample decodes and imports one file of the sample exports kept in ../mapping/testdata/good.
func importSample(t *testing.T, s *Store, name string) Summary {
	t.Helper()
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("..", "mapping", "testdata", "good", name))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	var cases []*mapping.Case
	exp, _, err := mapping.Decode(bytes.NewReader(data), func(c *mapping.Case) error {
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	f := infoOf(name, data)
	im, err := s.Begin(ctx, f)
	if err != nil {
		t.Fatalf("Begin(%s): %v", name, err)
	}
	defer im.Rollback()
	if err := im.WriteEvidence(ctx, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if _, err := im.Merge(ctx, exp, exp.CustodianCode, c); err != nil {
			t.Fatalf("Merge: %v", err)
		}
	}
	sum, err := im.Commit(ctx, exp, exp.CustodianCode)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestSamples imports the shared sample exports through the decoder, in the
// order samples/README.md describes.
func TestSamples(t *testing.T) {
	s := openStore(t)
	tests := []struct {
		file string
		want Summary
	}{
		{"referral-single.xml", Summary{Cases: 1, Created: 1}},
		{"referral-update.xml", Summary{Cases: 1, Updated: 1}},
		{"batch-mixed.xml", Summary{Cases: 4, Created: 4}},
		{"unknown-codes.xml", Summary{Cases: 1, Created: 1, UnknownCodes: 4}},
		{"windows-1252.xml", Summary{Cases: 1, Created: 1}},
		{"utf8-bom-prefixed.xml", Summary{Cases: 1, Created: 1}},
		{"no-namespace-reordered.xml", Summary{Cases: 1, Created: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			contacts := count(t, s, `SELECT count(*) FROM contact`)
			got := importSample(t, s, tt.file)
			if got != tt.want {
				t.Errorf("import %s: %+v, want %+v", tt.file, got, tt.want)
			}
			if tt.file == "referral-update.xml" {
				if n := count(t, s, `SELECT count(*) FROM contact`); n != contacts {
					t.Errorf("contacts after the update = %d, want %d", n, contacts)
				}
				r := requestRow(t, s, "CACS2611290001")
				if r.UpdateSequence != 1 || r.DetrimentAmount.Decimal.StringFixed(2) != "5600.00" {
					t.Errorf("updated request = seq %d detriment %s", r.UpdateSequence,
						r.DetrimentAmount.Decimal)
				}
			}
		})
	}
}
