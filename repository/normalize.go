package repository

import (
	"strings"
	"unicode"
)

// The match keys. They are private here until mapping offers its own
// normalisers; a change to any of them changes which contacts match, so
// stored keys are recomputed whenever a contact is touched.

// emailKey is an email address in lower case.
func emailKey(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// nameKey keeps only the letters and digits of s, in lower case, so that
// "O'Brien-Müller" and "obrien müller" meet.
func nameKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// initialKey is the first letter of a forename, in lower case.
func initialKey(forename string) string {
	for _, r := range forename {
		if unicode.IsLetter(r) {
			return string(unicode.ToLower(r))
		}
	}
	return ""
}

// postcodeKey is a postcode in upper case without spaces.
func postcodeKey(s string) string {
	return strings.Join(strings.Fields(strings.ToUpper(s)), "")
}

// postcodeText is a postcode in upper case with single spaces, the form
// mapping gives a valid postcode.
func postcodeText(s string) string {
	return strings.Join(strings.Fields(strings.ToUpper(s)), " ")
}

// words lower-cases s, turns "&" into "and", and splits it into runs of
// letters and digits; punctuation separates words, except apostrophes and
// full stops, which vanish ("Bob's" → "bobs", "B.T." → "bt").
func words(s string) []string {
	s = strings.ToLower(strings.ReplaceAll(s, "&", " and "))
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case r == '\'' || r == '’' || r == '.':
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}

// companyNameKey normalises a trader's name: lower case, punctuation
// removed, "&" as "and", and the words "ltd" and "limited" dropped.
func companyNameKey(s string) string {
	var kept []string
	for _, w := range words(s) {
		if w != "ltd" && w != "limited" {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

// line1Key normalises the first line of an address for premises matching.
func line1Key(s string) string {
	return strings.Join(words(s), " ")
}

// companyNumber is a Companies House number in upper case without spaces,
// with an all-digit number padded to its eight digits ("1234567" →
// "01234567").
func companyNumber(s string) string {
	s = strings.Join(strings.Fields(strings.ToUpper(s)), "")
	if s == "" || len(s) >= 8 || strings.IndexFunc(s, notDigit) >= 0 {
		return s
	}
	return strings.Repeat("0", 8-len(s)) + s
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// websiteHost reduces a website to its host name: no scheme, user, port,
// path, leading "www." or trailing dot, in lower case.
func websiteHost(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, ".")
	return strings.TrimPrefix(s, "www.")
}
