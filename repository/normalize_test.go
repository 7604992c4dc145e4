package repository

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		f    func(string) string
		in   string
		want string
	}{
		{"email", emailKey, "  M.Example@Example.ORG ", "m.example@example.org"},
		{"surname", nameKey, "O'Brien-Müller", "obrienmüller"},
		{"surname spaces", nameKey, " van der Berg ", "vanderberg"},
		{"initial", initialKey, "  zoë", "z"},
		{"initial accented", initialKey, "Élodie", "é"},
		{"initial none", initialKey, "", ""},
		{"postcode key", postcodeKey, " me1  1xx ", "ME11XX"},
		{"postcode text", postcodeText, " me1  1xx ", "ME1 1XX"},
		{"company ltd", companyNameKey, "Roofline Fixers Ltd.", "roofline fixers"},
		{"company limited", companyNameKey, "ROOFLINE FIXERS LIMITED", "roofline fixers"},
		{"company ampersand", companyNameKey, "Smith & Sons (Kent) Ltd", "smith and sons kent"},
		{"company apostrophe", companyNameKey, "Bob's Builders", "bobs builders"},
		{"company ltd inside word", companyNameKey, "Ltdco Services", "ltdco services"},
		{"line1", line1Key, "14, Orchard Row.", "14 orchard row"},
		{"company number pad", companyNumber, "1234567", "01234567"},
		{"company number letters", companyNumber, "sc 123456", "SC123456"},
		{"company number long", companyNumber, "012345678", "012345678"},
		{"website bare", websiteHost, "www.roof-care.example", "roof-care.example"},
		{"website url", websiteHost, "HTTPS://WWW.Roof-Care.example:8443/a/b?c#d",
			"roof-care.example"},
		{"website user", websiteHost, "http://user@shop.example/", "shop.example"},
		{"website trailing dot", websiteHost, "shop.example.", "shop.example"},
		{"website empty", websiteHost, "  ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(tt.in); got != tt.want {
				t.Errorf("(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
