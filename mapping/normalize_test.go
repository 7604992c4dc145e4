package mapping

import "testing"

func TestNormalizePostcode(t *testing.T) {
	tests := []struct {
		in, want string
		valid    bool
	}{
		{"sw1a2aa", "SW1A 2AA", true},
		{"me8  7zz", "ME8 7ZZ", true},
		{" M1 1AA ", "M1 1AA", true},
		{"EC1A1BB", "EC1A 1BB", true},
		{"tn23 9zz", "TN23 9ZZ", true},
		{"B33 8TH", "B33 8TH", true},
		{"gir0aa", "GIR 0AA", true},
		{" not a postcode ", "not a postcode", false},
		{"SW1A", "SW1A", false},
		{"12345", "12345", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, valid := NormalizePostcode(tt.in)
			if got != tt.want || valid != tt.valid {
				t.Errorf("NormalizePostcode(%q): got %q, %v, want %q, %v",
					tt.in, got, valid, tt.want, tt.valid)
			}
		})
	}
}

// normaliserTest is one input and the output wanted from a normaliser.
type normaliserTest struct{ in, want string }

func runNormaliser(t *testing.T, name string, fn func(string) string, tests []normaliserTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := fn(tt.in); got != tt.want {
				t.Errorf("%s(%q): got %q, want %q", name, tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	runNormaliser(t, "NormalizeEmail", NormalizeEmail, []normaliserTest{
		{" M.Example@Example.ORG ", "m.example@example.org"},
		{"d.sample@example.com", "d.sample@example.com"},
		{"", ""},
	})
}

func TestNormalizeName(t *testing.T) {
	runNormaliser(t, "NormalizeName", NormalizeName, []normaliserTest{
		{"O'Brien-Müller", "obrien müller"},
		{"  Margaret   EXAMPLE ", "margaret example"},
		{"Mary-Jane", "mary jane"},
		{"J.P. Smith", "jp smith"},
		{"Zoe\u0308", "zoë"}, // decomposed diaeresis composes
		{"", ""},
		{"!!!", ""},
	})
}

func TestNormalizeCompanyName(t *testing.T) {
	runNormaliser(t, "NormalizeCompanyName", NormalizeCompanyName, []normaliserTest{
		{"Roofline Fixers Ltd", "roofline fixers"},
		{"Roofline Fixers Limited.", "roofline fixers"},
		{"Crème Kitchens & Bathrooms", "crème kitchens and bathrooms"},
		{"Big Bank PLC", "big bank"},
		{"Law Partners LLP", "law partners"},
		{"Ltd", "ltd"},
		{"Corner Shop Convenience", "corner shop convenience"},
	})
}

func TestNormalizeAddressLine(t *testing.T) {
	runNormaliser(t, "NormalizeAddressLine", NormalizeAddressLine, []normaliserTest{
		{"Yard 7, Station Approach", "yard 7 station approach"},
		{"  14 Orchard   Row ", "14 orchard row"},
		{"3-5 High St.", "3 5 high st"},
		{"St. John's Road", "st johns road"},
	})
}

func TestWebsiteHost(t *testing.T) {
	runNormaliser(t, "WebsiteHost", WebsiteHost, []normaliserTest{
		{"https://speedysofas.example", "speedysofas.example"},
		{"www.roof-care.example", "roof-care.example"},
		{"HTTP://WWW.Example.com/shop/?q=1", "example.com"},
		{"example.com/", "example.com"},
		{"https://example.com:8443/", "example.com"},
		{"example.com.", "example.com"},
		{"https://", ""},
		{"", ""},
		{"not a website", ""},
	})
}

func TestNormalizePhone(t *testing.T) {
	runNormaliser(t, "NormalizePhone", NormalizePhone, []normaliserTest{
		{"01632 960001", "01632960001"},
		{"+44 7700 900123", "07700900123"},
		{"+44 (0)7700 900123", "07700900123"},
		{"0044 7700 900123", "07700900123"},
		{"(01632) 960-001", "01632960001"},
		{"+33 1 23 45 67 89", "+33123456789"},
		{"", ""},
	})
}
