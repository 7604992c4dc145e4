package repository

import (
	"testing"

	"cacsd/mapping"
)

func TestPremisesMatching(t *testing.T) {
	s := openStore(t)

	type addrFunc func(key string) *mapping.Address
	at := func(line, postcode, uprn string) addrFunc {
		return func(key string) *mapping.Address {
			a := &mapping.Address{Postcode: postcode, UPRN: uprn}
			if line != "" {
				a.Lines = []string{key + line}
			}
			if uprn != "" {
				a.UPRN = "1" + key + uprn
			}
			return a
		}
	}
	tests := []struct {
		name     string
		first    addrFunc
		incoming addrFunc
		want     string // "same", "new" or "none"
	}{
		{"uprn", at(" High St", "ME1 1AA", "1"), at(" Other Rd", "ME9 9ZZ", "1"), "same"},
		{"line1 and postcode", at(" High St.", "ME1 1AA", ""),
			at(" HIGH ST", "me1  1aa", ""), "same"},
		{"line1 and postcode fills uprn", at(" High St", "ME1 1AA", ""),
			at(" High St", "ME1 1AA", "2"), "same"},
		{"line1 and postcode, other uprn", at(" High St", "ME1 1AA", "3"),
			at(" High St", "ME1 1AA", "4"), "new"},
		{"line1 at another postcode", at(" High St", "ME1 1AA", ""),
			at(" High St", "ME1 1AB", ""), "new"},
		{"line1 without postcode", at(" High St", "", ""), at(" High St", "", ""), "new"},
		// Every request about a trader has premises: these are the trader's own,
		// address unknown.
		{"no line1 or uprn", at(" High St", "ME1 1AA", ""), at("", "ME1 1AA", ""), "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := uniq()
			first := traderCase(&mapping.Trader{Name: "First " + key, Address: tt.first(key)})
			c := traderCase(&mapping.Trader{Name: "Second " + key, Address: tt.incoming(key)})
			importNew(t, s, first)
			importNew(t, s, c)

			r0, r1 := requestRow(t, s, first.Reference), requestRow(t, s, c.Reference)
			got := "none"
			switch {
			case r1.PremisesID == nil:
			case *r1.PremisesID == *r0.PremisesID:
				got = "same"
			default:
				got = "new"
			}
			if got != tt.want {
				t.Errorf("premises of the second trader: %s, want %s", got, tt.want)
			}
			if r1.PremisesID != nil && tt.incoming(key).UPRN != "" {
				n := count(t, s, `SELECT count(*) FROM premises WHERE id = $1 AND uprn = $2`,
					*r1.PremisesID, tt.incoming(key).UPRN)
				if tt.want == "same" && tt.name != "uprn" && n != 1 {
					t.Errorf("premises UPRN not filled in")
				}
			}
		})
	}

	t.Run("line1 without postcode, same trader", func(t *testing.T) {
		key := uniq()
		trader := func() *mapping.Case {
			return traderCase(&mapping.Trader{Name: "Same " + key, CompanyNumber: key + "7",
				Address: &mapping.Address{Lines: []string{"1 High St"}}})
		}
		a, b := trader(), trader()
		importNew(t, s, a)
		importNew(t, s, b)
		r0, r1 := requestRow(t, s, a.Reference), requestRow(t, s, b.Reference)
		if r0.PremisesID == nil || r1.PremisesID == nil || *r0.PremisesID != *r1.PremisesID {
			t.Errorf("premises: got %v and %v, want the same", r0.PremisesID, r1.PremisesID)
		}
	})
}
