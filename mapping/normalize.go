package mapping

import (
	"regexp"
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
	compact := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if !postcodePattern.MatchString(compact) {
		return s, false
	}
	cut := len(compact) - 3
	return compact[:cut] + " " + compact[cut:], true
}

// NormalizeEmail trims and lower-cases an email address, for matching.
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// NormalizeName lower-cases a person's or business's name for matching:
// apostrophes and full stops are dropped ("O'Brien" matches "OBrien"), other
// punctuation separates words, and runs of space become one space.
func NormalizeName(s string) string {
	return normalizeWords(s)
}

// NormalizeAddressLine lower-cases an address line for matching, with the
// same rules as NormalizeName ("Yard 7, Station Approach" gives
// "yard 7 station approach").
func NormalizeAddressLine(s string) string {
	return normalizeWords(s)
}

// companySuffixes are the legal forms dropped from the end of a company
// name, so that "Roofline Fixers Ltd" matches "Roofline Fixers Limited".
var companySuffixes = []string{"ltd", "limited", "plc", "llp"}

// NormalizeCompanyName is NormalizeName for a business: "&" reads as "and"
// and a trailing legal form (Ltd, Limited, PLC, LLP) is dropped.
func NormalizeCompanyName(s string) string {
	name := normalizeWords(strings.ReplaceAll(s, "&", " and "))
	for _, suffix := range companySuffixes {
		if rest, ok := strings.CutSuffix(name, " "+suffix); ok {
			return rest
		}
	}
	return name
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
		host = host[:i]
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

// NormalizePhone keeps the digits of a telephone number and writes a UK
// international prefix as the national 0: "+44 (0)7700 900123" and
// "0044 7700 900123" both give "07700900123". Other international numbers
// keep their leading "+".
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
	case plus && digits != "":
		return "+" + digits
	default:
		return digits
	}
	// "+44 (0)..." carries the national 0 already.
	return "0" + strings.TrimPrefix(digits, "0")
}

// normalizeWords is the shared rule of NormalizeName and
// NormalizeAddressLine.
func normalizeWords(s string) string {
	s = norm.NFC.String(strings.ToLower(s))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\'' || r == '’' || r == '‘' || r == '`' || r == '.':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}
