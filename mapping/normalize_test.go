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

func TestNormalizeCompanyNumber(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"09999991", "09999991", true},
		{"9999991", "09999991", true},
		{"1234567", "01234567", true},
		{"123", "00000123", true},
		{"sc123456", "SC123456", true},
		{"sc 123456", "SC123456", true},
		{" NI012345 ", "NI012345", true},
		{"SC12345", "SC12345", false},
		{"123456789", "123456789", false},
		{"012345678", "012345678", false},
		{"AB-12345", "AB-12345", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := NormalizeCompanyNumber(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizeCompanyNumber(%q): got %q, %v, want %q, %v",
					tt.in, got, ok, tt.want, tt.ok)
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

func TestCanonicalPostcode(t *testing.T) {
	runNormaliser(t, "CanonicalPostcode", CanonicalPostcode, []normaliserTest{
		{" me1  1xx ", "ME1 1XX"},
		{"ME11XX", "ME1 1XX"},
		{" bfpo  123", "BFPO 123"},
		{"not known", "NOT KNOWN"},
		{"", ""},
	})
}

func TestPostcodeKey(t *testing.T) {
	runNormaliser(t, "PostcodeKey", PostcodeKey, []normaliserTest{
		{" me1  1xx ", "ME11XX"},
		{"ME1 1XX", "ME11XX"},
		{"bfpo 123", "BFPO123"},
		{"", ""},
	})
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
		{"Mr & Mrs Example", "mr and mrs example"},
		{"", ""},
		{"!!!", ""},
	})
}

func TestNameKey(t *testing.T) {
	runNormaliser(t, "NameKey", NameKey, []normaliserTest{
		{"O'Brien-Müller", "obrienmuller"},
		{"OBrien Muller", "obrienmuller"},
		{"Mu\u0308ller", "muller"}, // decomposed diaeresis
		{" van der Berg ", "vanderberg"},
		{"D’Souza", "dsouza"},
		{"Øvergård", "øvergard"}, // ø is a letter of its own, not an accented o
		{"", ""},
		{"--", ""},
	})
}

func TestInitial(t *testing.T) {
	runNormaliser(t, "Initial", Initial, []normaliserTest{
		{"  zoë", "z"},
		{"Élodie", "e"},
		{"E\u0301lodie", "e"},
		{"'Anne", "a"},
		{"Øyvind", "ø"},
		{"", ""},
		{"42", ""},
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
		{"Smith & Sons (Kent) Ltd", "smith and sons kent"},
		{"Smith and Sons Limited (Kent)", "smith and sons kent"},
		{"Smith&Sons", "smith and sons"},
		{"Bob's Builders", "bobs builders"},
		{"B.T. plc", "bt"},
		{"Ltdco Services", "ltdco services"},
		{"Cre\u0300me Kitchens", "crème kitchens"},
	})
}

func TestNormalizeAddressLine(t *testing.T) {
	runNormaliser(t, "NormalizeAddressLine", NormalizeAddressLine, []normaliserTest{
		{"Yard 7, Station Approach", "yard 7 station approach"},
		{"  14 Orchard   Row ", "14 orchard row"},
		{"3-5 High St.", "3 5 high st"},
		{"St. John's Road", "st johns road"},
		{"14, Orchard Row.", "14 orchard row"},
		{"Unit 2, Smith & Sons Yard", "unit 2 smith and sons yard"},
	})
}

func TestWebsiteHost(t *testing.T) {
	runNormaliser(t, "WebsiteHost", WebsiteHost, []normaliserTest{
		{"https://speedysofas.example", "speedysofas.example"},
		{"www.roof-care.example", "roof-care.example"},
		{"HTTP://WWW.Example.com/shop/?q=1", "example.com"},
		{"example.com/", "example.com"},
		{"https://example.com:8443/", "example.com"},
		{"HTTPS://WWW.Roof-Care.example:8443/a/b?c#d", "roof-care.example"},
		{"http://user@shop.example/", "shop.example"},
		{"roofcare.example / facebook.com/roofcare", "roofcare.example"},
		{"example.com.", "example.com"},
		{"https://", ""},
		{"  ", ""},
		{"", ""},
		{"not a website", ""},
	})
}

func TestWebsiteKey(t *testing.T) {
	runNormaliser(t, "WebsiteKey", WebsiteKey, []normaliserTest{
		{"https://www.roof-care.example/contact", "roof-care.example"},
		{"https://www.facebook.com/RoofCare/", "facebook.com/roofcare"},
		{"m.facebook.com/roofcare?ref=share#top", "facebook.com/roofcare"},
		{"https://en-gb.facebook.com/roofcare", "facebook.com/roofcare"},
		{"https://facebook.com/profile.php?id=1000123&ref=x", "facebook.com/profile.php/id=1000123"},
		{"https://www.facebook.com/profile.php", ""},
		{"https://www.facebook.com/?ref=bookmarks", ""},
		{"https://business.facebook.com/", ""},
		{"https://www.facebook.com/pages/", ""},
		{"www.ebay.co.uk/str/sofas4u", "ebay.co.uk/str/sofas4u"},
		{"https://www.ebay.co.uk/str/", ""},
		{"https://www.google.com/maps/place/Maps+One", "google.com/maps/place/maps+one"},
		{"https://www.google.com/maps", ""},
		{"https://www.gumtree.co.uk/", ""},
		{"https://sites.google.com/view/roofcare", "sites.google.com/view/roofcare"},
		{"https://www.bit.ly/abc123", ""},
		{"https://business.facebook.com/latest/home?asset_id=111", ""},
		{"https://www.facebook.com/groups/medwaybuysell/", ""},
		{"https://l.facebook.com/l.php?u=https%3A%2F%2Froof.example", ""},
		{"https://maps.app.goo.gl/AbC123", ""},
		{"https://m.me/roofcare", "m.me/roofcare"},
		{"https://www.which.co.uk/trusted-traders/roof-care-123", "which.co.uk/trusted-traders/roof-care-123"},
		{"https://find-and-update.company-information.service.gov.uk/company/09999991",
			"gov.uk/company/09999991"},
		{"https://uk.linkedin.com/company/roofline", "linkedin.com/company/roofline"},
		{"facebook.com", ""},
		{"https://shop.roof-care.example", "shop.roof-care.example"},
		{"", ""},
	})
}

func TestNormalizePhone(t *testing.T) {
	runNormaliser(t, "NormalizePhone", NormalizePhone, []normaliserTest{
		{"01632 960001", "01632960001"},
		{"+44 7700 900123", "07700900123"},
		{"+44 (0)7700 900123", "07700900123"},
		{"0044 7700 900123", "07700900123"},
		{"441632960001", "01632960001"},
		{"44 1632 960001", "01632960001"},
		{"4416329600", "4416329600"},
		{"(01632) 960-001", "01632960001"},
		{"+33 1 23 45 67 89", "+33123456789"},
		{"", ""},
	})
}

// TestKeysMeet holds the spellings of one person, business or place that
// must give one match key, and a few that must not.
func TestKeysMeet(t *testing.T) {
	tests := []struct {
		name string
		key  func(string) string
		a, b string
		meet bool
	}{
		{"surname punctuation", NameKey, "O'Brien-Müller", "OBrien Muller", true},
		{"surname spacing", NameKey, "van der Berg", "Vanderberg", true},
		{"surname composed or not", NameKey, "Müller", "Mu\u0308ller", true},
		{"surname different", NameKey, "Brien", "OBrien", false},
		{"initial accent", Initial, "Élodie", "elodie", true},
		{"postcode spacing", PostcodeKey, "me1 1xx", "ME11XX", true},
		{"bad postcode spacing", CanonicalPostcode, "bfpo  123", "BFPO 123", true},
		{"ltd and limited", NormalizeCompanyName,
			"Roofline Fixers Ltd", "Roofline Fixers Limited", true},
		{"ampersand and and", NormalizeCompanyName,
			"Smith & Sons (Kent) Ltd", "SMITH AND SONS (KENT) LIMITED", true},
		{"legal form mid-name", NormalizeCompanyName,
			"Roofline Fixers Ltd (Kent)", "Roofline Fixers (Kent)", true},
		{"other company", NormalizeCompanyName,
			"Roofline Fixers Ltd", "Roofline Fitters Ltd", false},
		{"address ampersand", NormalizeAddressLine,
			"Smith & Sons Yard", "Smith and Sons Yard", true},
		{"email case", NormalizeEmail, "M.Example@Example.ORG", "m.example@example.org", true},
		{"website scheme", WebsiteKey, "https://www.roof-care.example/", "roof-care.example", true},
		{"website own page", WebsiteKey, "https://facebook.com/roofcare", "www.facebook.com/RoofCare/", true},
		{"website other trader's page", WebsiteKey, "https://facebook.com/roofcare", "https://facebook.com/sofas4u", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := tt.key(tt.a), tt.key(tt.b)
			if (ka == kb) != tt.meet {
				t.Errorf("keys of %q and %q: got %q and %q, want meet=%v",
					tt.a, tt.b, ka, kb, tt.meet)
			}
		})
	}
}

func TestPostcodeDistrict(t *testing.T) {
	tests := []struct{ in, want string }{
		{"me1 1xx", "ME1"},
		{"ME10 2AB", "ME10"},
		{"SW1A2AA", "SW1A"},
		{"BFPO 123", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := PostcodeDistrict(tt.in); got != tt.want {
				t.Errorf("PostcodeDistrict(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestInPostcodeDistrict(t *testing.T) {
	tests := []struct {
		postcode, prefix string
		want             bool
	}{
		{"ME1 1XX", "ME1", true},
		{"me1 1xx", " me1", true},
		{"ME10 1XX", "ME1", false},
		{"ME10 1XX", "ME", true},
		{"M1 1AA", "ME", false},
		{"SW1A 2AA", "SW", true},
		{"SW1A 2AA", "SW1", false},
		{"ME1 1XX", "", false},
		{"not a postcode", "ME", false},
	}
	for _, tt := range tests {
		t.Run(tt.postcode+"/"+tt.prefix, func(t *testing.T) {
			if got := InPostcodeDistrict(tt.postcode, tt.prefix); got != tt.want {
				t.Errorf("InPostcodeDistrict(%q, %q): got %v, want %v",
					tt.postcode, tt.prefix, got, tt.want)
			}
		})
	}
}
