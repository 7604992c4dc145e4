package mapping

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// postcodePattern is the UK postcode shape with the spaces taken out:
// outward code (area, district) then inward code (sector, unit).
var postcodePattern = regexp.MustCompile(`^(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2})$`)

// NormalizePostcode upper-cases a UK postcode and writes it with one space
// before the inward code ("sw1a2aa" gives "SW1A 2AA"). A value that does not
// have the UK shape comes back as written, trimmed, with false.
func NormalizePostcode(s string) (string, bool) {
	s = strings.TrimSpace(s)
	compact := compactUpper(s)
	if !postcodePattern.MatchString(compact) {
		return s, false
	}
	cut := len(compact) - 3
	return compact[:cut] + " " + compact[cut:], true
}

// CanonicalPostcode writes any postcode text in one form, fit both to show
// and to compare: a UK postcode as NormalizePostcode writes it, anything
// else trimmed and upper-cased with each run of space as one space
// (" bfpo  123" gives "BFPO 123").
func CanonicalPostcode(s string) string {
	if p, ok := NormalizePostcode(s); ok {
		return p
	}
	return strings.Join(strings.Fields(strings.ToUpper(s)), " ")
}

// PostcodeKey is the form postcodes are matched in: upper case with every
// space taken out, whether or not the text is a UK postcode ("me1 1xx" and
// "ME11XX" both give "ME11XX").
func PostcodeKey(s string) string {
	return compactUpper(s)
}

// PostcodeDistrict returns the outward code (area and district) of a UK
// postcode in upper case ("me1 1xx" gives "ME1", "SW1A 2AA" gives "SW1A"),
// or "" when the text is not a UK postcode. Authorities and assignment
// rules are configured by district.
func PostcodeDistrict(s string) string {
	p, ok := NormalizePostcode(s)
	if !ok {
		return ""
	}
	outward, _, _ := strings.Cut(p, " ")
	return outward
}

// InPostcodeDistrict reports whether postcode lies in prefix, which is a
// district ("ME1": ME1 but not ME10) or an area of letters only ("ME": every
// ME district). Both are compared in upper case; an empty prefix or a
// postcode that is not a UK one is never in a district.
func InPostcodeDistrict(postcode, prefix string) bool {
	district := PostcodeDistrict(postcode)
	prefix = compactUpper(prefix)
	if district == "" || prefix == "" {
		return false
	}
	if district == prefix {
		return true
	}
	return !strings.ContainsFunc(prefix, unicode.IsDigit) && postcodeArea(district) == prefix
}

// postcodeArea is the leading letters of a district ("SW1A" gives "SW").
func postcodeArea(district string) string {
	i := strings.IndexFunc(district, unicode.IsDigit)
	if i < 0 {
		return district
	}
	return district[:i]
}

// NormalizeEmail trims and lower-cases an email address, for matching.
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// NormalizeName lower-cases a person's or business's name for matching:
// apostrophes and full stops are dropped ("O'Brien" matches "OBrien"), "&"
// reads as "and", other punctuation separates words, and runs of space
// become one space.
func NormalizeName(s string) string {
	return normalizeWords(s)
}

// NameKey reduces a person's name, typically a surname, to the letters and
// digits that identify it: NormalizeName with the spaces and accents taken
// out, so that "O'Brien-Müller", "OBrien Muller" and "obrien müller" all give
// "obrienmuller", and "van der Berg" meets "Vanderberg".
func NameKey(s string) string {
	return foldMarks(strings.ReplaceAll(normalizeWords(s), " ", ""))
}

// Initial returns the first letter of a forename in lower case and without
// its accent ("Élodie" gives "e"), or "" when the forename has no letter.
func Initial(forename string) string {
	for _, r := range foldMarks(strings.ToLower(forename)) {
		if unicode.IsLetter(r) {
			return string(r)
		}
	}
	return ""
}

// NormalizeAddressLine lower-cases an address line for matching, with the
// same rules as NormalizeName ("Yard 7, Station Approach" gives
// "yard 7 station approach").
func NormalizeAddressLine(s string) string {
	return normalizeWords(s)
}

// legalForms are the words of a company name that say what kind of company
// it is rather than which, so that "Roofline Fixers Ltd" matches "Roofline
// Fixers Limited".
var legalForms = []string{"ltd", "limited", "plc", "llp"}

// NormalizeCompanyName is NormalizeName for a business, with the legal forms
// (Ltd, Limited, PLC, LLP) dropped wherever they stand as words: "Smith &
// Sons (Kent) Ltd" and "Smith and Sons Limited (Kent)" both give "smith and
// sons kent". A name that is nothing but legal forms is kept whole.
func NormalizeCompanyName(s string) string {
	name := normalizeWords(s)
	words := strings.Fields(name)
	kept := slices.DeleteFunc(slices.Clone(words), func(w string) bool {
		return slices.Contains(legalForms, w)
	})
	if len(kept) == 0 {
		return name
	}
	return strings.Join(kept, " ")
}

// CollapseSpaces trims s and writes each run of white space inside it as
// one space: the form in which two names count as written the same.
func CollapseSpaces(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// noCompanyNumber is what a number of zeros alone normalises to: no
// company has it, and the reader takes it as absent.
const noCompanyNumber = "00000000"

// NormalizeCompanyNumber upper-cases a Companies House number, takes out
// its spaces and pads a purely numeric one to 8 digits ("sc 123456" gives
// "SC123456", "1234567" gives "01234567"). It reports false for anything
// that is then not 8 letters or digits, and returns it in that form.
func NormalizeCompanyNumber(s string) (string, bool) {
	s = compactUpper(s)
	if isDigits(s) && len(s) < 8 {
		s = strings.Repeat("0", 8-len(s)) + s
	}
	return s, companyPattern.MatchString(s)
}

// WebsiteHost returns the lower-case host name of a website address, without
// scheme, "www.", port, path or trailing dot ("https://www.Example.com/shop"
// gives "example.com"). It returns "" when there is no host.
func WebsiteHost(s string) string {
	host := strings.ToLower(strings.TrimSpace(s))
	if _, rest, ok := strings.Cut(host, "://"); ok {
		host = rest
	}
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = strings.TrimSpace(host[:i])
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if i := strings.IndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	host = strings.TrimSuffix(host, ".")
	host = strings.TrimPrefix(host, "www.")
	if strings.ContainsFunc(host, unicode.IsSpace) {
		return ""
	}
	return host
}

// sharedHosts are sites on which many unrelated traders have a page of
// their own, so that the host alone says nothing about which trader it is.
// Their subdomains (m.facebook.com, en-gb.facebook.com) count as them.
var sharedHosts = map[string]bool{
	"facebook.com": true, "fb.com": true, "instagram.com": true, "tiktok.com": true,
	"x.com": true, "twitter.com": true, "linkedin.com": true, "youtube.com": true,
	"pinterest.com": true, "pinterest.co.uk": true, "threads.net": true, "snapchat.com": true,
	"linktr.ee": true, "wa.me": true, "whatsapp.com": true, "t.me": true,
	"google.com": true, "google.co.uk": true, "sites.google.com": true, "g.page": true,
	"business.site": true, "ebay.co.uk": true, "ebay.com": true, "etsy.com": true,
	"amazon.co.uk": true, "amazon.com": true, "gumtree.com": true, "gumtree.co.uk": true,
	"vinted.co.uk": true, "depop.com": true, "preloved.co.uk": true, "shpock.com": true,
	"checkatrade.com": true, "trustatrade.com": true, "mybuilder.com": true,
	"ratedpeople.com": true, "yell.com": true, "bark.com": true, "trustpilot.com": true,
	"autotrader.co.uk": true, "rightmove.co.uk": true, "zoopla.co.uk": true,
	"m.me": true, "which.co.uk": true, "gov.uk": true,
}

// shortLinks hide the site they lead to, so they identify no trader;
// their subdomains (maps.app.goo.gl) too.
var shortLinks = map[string]bool{
	"bit.ly": true, "tinyurl.com": true, "t.co": true, "goo.gl": true, "ow.ly": true,
	"is.gd": true, "buff.ly": true, "rebrand.ly": true, "cutt.ly": true, "shorturl.at": true,
	"tiny.cc": true, "lnkd.in": true, "fb.me": true, "youtu.be": true,
	"l.facebook.com": true, "lm.facebook.com": true, "l.instagram.com": true,
}

// notTraderPages are the first path segments of pages on a shared site
// that belong to no one trader: groups, events, searches, redirects.
var notTraderPages = map[string]bool{
	"groups": true, "events": true, "marketplace": true, "hashtag": true, "search": true,
	"share": true, "sharer.php": true, "l.php": true, "watch": true, "explore": true,
	"latest": true, "dialog": true, "login": true, "login.php": true, "help": true,
}

// genericSegments are path segments that many traders' pages share on a
// shared site ("facebook.com/pages/", "ebay.co.uk/str/"): a page whose
// path has nothing else is nobody's in particular.
var genericSegments = map[string]bool{
	"about": true, "biz": true, "business": true, "c": true, "channel": true,
	"company": true, "dp": true, "events": true, "gp": true, "group": true, "groups": true,
	"home": true, "i": true, "in": true, "index.html": true, "index.php": true,
	"itm": true, "listing": true, "listings": true, "maps": true, "marketplace": true,
	"p": true, "page": true, "pages": true, "people": true, "permalink.php": true,
	"photo": true, "photos": true, "place": true, "posts": true, "pro": true,
	"profile": true, "profile.php": true, "reel": true, "reels": true, "reviews": true,
	"s": true, "sch": true, "search": true, "share": true, "sharer.php": true,
	"shop": true, "shops": true, "sp": true, "store": true, "stores": true,
	"str": true, "trader": true, "user": true, "users": true, "usr": true, "watch": true,
}

// WebsiteKey is the match key of a trader's website: its host (see
// WebsiteHost), or, on a site many traders share such as facebook.com or
// ebay.co.uk, the host with the lower-case path of the trader's own page
// ("https://m.facebook.com/RoofCare/?ref=x" gives "facebook.com/roofcare";
// Facebook's "profile.php?id=N" keeps its id). A shared site's home page
// or a page with nothing of its own ("facebook.com/profile.php"), and a
// short link, identify no trader and give "".
func WebsiteKey(s string) string {
	host := WebsiteHost(s)
	if host == "" || siteIn(host, shortLinks) != "" {
		return ""
	}
	site := siteIn(host, sharedHosts)
	if site == "" {
		return host
	}

	page := strings.ToLower(strings.TrimSpace(s))
	if _, rest, ok := strings.Cut(page, "://"); ok {
		page = rest
	}
	page, _, _ = strings.Cut(page, "#")
	i := strings.IndexAny(page, "/?")
	if i < 0 {
		return ""
	}
	path, query, _ := strings.Cut(page[i:], "?")
	var segs []string
	own := false
	for seg := range strings.SplitSeq(path, "/") {
		if seg = strings.TrimSpace(seg); seg != "" {
			segs = append(segs, seg)
			own = own || !genericSegments[seg]
		}
	}
	if len(segs) > 0 && notTraderPages[segs[0]] {
		return ""
	}
	if len(segs) > 0 && segs[len(segs)-1] == "profile.php" {
		if v, err := url.ParseQuery(query); err == nil && v.Get("id") != "" {
			segs = append(segs, "id="+v.Get("id"))
			own = true
		}
	}
	key := site + "/" + strings.Join(segs, "/")
	if !own || strings.ContainsFunc(key, unicode.IsSpace) {
		return ""
	}
	return key
}

// siteIn returns the domain of host, host itself or a parent of it, that
// sites lists, or "".
func siteIn(host string, sites map[string]bool) string {
	for !sites[host] {
		_, parent, ok := strings.Cut(host, ".")
		if !ok {
			return ""
		}
		host = parent
	}
	return host
}

// NormalizePhone keeps the digits of a telephone number and writes a UK
// international prefix as the national 0: "+44 (0)7700 900123" and
// "0044 7700 900123" both give "07700900123", and so does "447700900123",
// the 12 digits of a UK number written without its "+". Other
// international numbers keep their leading "+".
func NormalizePhone(s string) string {
	s = strings.TrimSpace(s)
	plus := strings.HasPrefix(s, "+")
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)

	switch {
	case plus && strings.HasPrefix(digits, "44"):
		digits = digits[2:]
	case !plus && strings.HasPrefix(digits, "0044"):
		digits = digits[4:]
	case !plus && len(digits) == 12 && strings.HasPrefix(digits, "44"):
		// A UK number written internationally without its "+": a
		// national number has 11 digits and starts with 0.
		digits = digits[2:]
	case plus && digits != "":
		return "+" + digits
	default:
		return digits
	}
	// "+44 (0)..." carries the national 0 already.
	return "0" + strings.TrimPrefix(digits, "0")
}

// normalizeWords is the shared rule of NormalizeName, NormalizeAddressLine
// and NormalizeCompanyName.
func normalizeWords(s string) string {
	s = norm.NFC.String(strings.ToLower(s))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	// sep writes the one space owed between two words.
	sep := func() {
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
	}
	for _, r := range s {
		switch {
		case r == '\'' || r == '’' || r == '‘' || r == '`' || r == '.':
			continue
		case r == '&':
			space = true
			sep()
			b.WriteString("and")
			space = true
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			sep()
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}

// compactUpper upper-cases s and takes out all its white space.
func compactUpper(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// foldMarks takes the accents and other combining marks off s ("müller"
// gives "muller"). Matching on names folds them because the same person is
// typed with and without them.
func foldMarks(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsMark(r) {
			return -1
		}
		return r
	}, norm.NFD.String(s))
	return norm.NFC.String(s)
}
