package mapping

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London must load on hosts without zoneinfo

	"github.com/shopspring/decimal"
)

// london is the zone of timestamps written without one.
var london = mustLoadLocation("Europe/London")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Unreachable: time/tzdata embeds the zone database.
		panic(fmt.Sprintf("load time zone %s: %v", name, err))
	}
	return loc
}

// The shapes of structured values. They are checked before time.Parse,
// which on its own would accept one-digit hours and other slack.
var (
	isoTimestamp = regexp.MustCompile(
		`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$`)
	ukTimestamp      = regexp.MustCompile(`^\d{2}/\d{2}/\d{4} \d{2}:\d{2}(:\d{2})?$`)
	isoDate          = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	ukDate           = regexp.MustCompile(`^\d{2}/\d{2}/\d{4}$`)
	moneyPattern     = regexp.MustCompile(`^£?\d{1,3}(,?\d{3})*(\.\d{1,2})?$`)
	currencyPattern  = regexp.MustCompile(`^[A-Z]{3}$`)
	referencePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9/-]{5,31}$`)
	companyPattern   = regexp.MustCompile(`^[A-Z0-9]{8}$`)
)

// Errors of the value parsers; the caller adds the field and the value.
var (
	errTimestamp = errors.New("not a timestamp (want 2026-11-29T14:02:00Z or 29/11/2026 14:02)")
	errNoSuchDay = errors.New("no such date or time")
	errYear      = errors.New("year before 1900 or after 9999 (in UTC)")
	errDate      = errors.New("not a date (want 2026-11-29 or 29/11/2026)")
	errMoney     = errors.New("not an amount (want e.g. 1250.00 or £1,250.00)")
	errNegative  = errors.New("negative amount")
	errTooLarge  = errors.New("amount too large (at most 999,999,999,999.99)")
	errBoolean   = errors.New("not a boolean (want true or false)")
	errSequence  = errors.New("not a non-negative integer")
)

// minYear and maxYear bound the year of a date or time, in UTC. An earlier
// one is a typing error (1026 for 2026), and year 0, which PostgreSQL's
// calendar lacks, would otherwise fail the file in the database, not here;
// a later one (9999-12-31T23:59-01:00 is in year 10000 in UTC) cannot be
// written in a case's stored version.
const (
	minYear = 1900
	maxYear = 9999
)

// inYears reports whether t's year in UTC is within minYear to maxYear.
func inYears(t time.Time) bool {
	y := t.UTC().Year()
	return y >= minYear && y <= maxYear
}

// parseTimestamp reads an ISO 8601 or UK-style timestamp and returns it in
// UTC. One written without a zone is Europe/London time.
func parseTimestamp(s string) (time.Time, error) {
	var t time.Time
	var err error
	switch {
	case isoTimestamp.MatchString(s):
		layout := "2006-01-02T15:04"
		if len(s) > 16 && s[16] == ':' {
			layout += ":05" // time.Parse takes a fraction after it unasked
		}
		if zone := s[16:]; strings.HasSuffix(zone, "Z") || strings.ContainsAny(zone, "+-") {
			t, err = time.Parse(layout+"Z07:00", s)
		} else {
			t, err = time.ParseInLocation(layout, s, london)
		}
	case ukTimestamp.MatchString(s):
		layout := "02/01/2006 15:04"
		if len(s) > len(layout) {
			layout += ":05"
		}
		t, err = time.ParseInLocation(layout, s, london)
	default:
		return time.Time{}, errTimestamp
	}
	if err != nil {
		return time.Time{}, errNoSuchDay // 31/02, 25:00
	}
	// PostgreSQL keeps microseconds and would round the rest, perhaps
	// into another day or year; cut them here, where the year is checked.
	t = t.Truncate(time.Microsecond)
	if !inYears(t) {
		return time.Time{}, errYear
	}
	return t.UTC(), nil
}

// parseDate reads a calendar date, ISO or UK style, as 00:00 UTC.
func parseDate(s string) (time.Time, error) {
	layout := ""
	switch {
	case isoDate.MatchString(s):
		layout = "2006-01-02"
	case ukDate.MatchString(s):
		layout = "02/01/2006"
	default:
		return time.Time{}, errDate
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, errNoSuchDay
	}
	if !inYears(t) {
		return time.Time{}, errYear
	}
	return t, nil
}

// moneyLimit is the first amount the database's numeric(14,2) cannot hold.
var moneyLimit = decimal.New(1, 12)

// parseMoney reads an amount with at most two decimal places, an optional
// leading pound sign and optional thousands separators. Never a float.
func parseMoney(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.TrimPrefix(s, "£"), "-") {
		return decimal.Decimal{}, errNegative
	}
	if !moneyPattern.MatchString(s) {
		return decimal.Decimal{}, errMoney
	}
	digits := strings.ReplaceAll(strings.TrimPrefix(s, "£"), ",", "")
	d, err := decimal.NewFromString(digits)
	if err != nil {
		return decimal.Decimal{}, errMoney
	}
	if d.GreaterThanOrEqual(moneyLimit) {
		return decimal.Decimal{}, errTooLarge
	}
	return d, nil
}

// parseBool reads an xs:boolean: true, false, 1 or 0.
func parseBool(s string) (bool, error) {
	switch s {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, errBoolean
}

// parseSequence reads an UpdateSequence: a non-negative integer.
func parseSequence(s string) (int, error) {
	if !isDigits(s) || len(s) > 9 {
		return 0, errSequence
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errSequence
	}
	return n, nil
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
