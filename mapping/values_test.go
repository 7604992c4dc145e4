package mapping

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestParseTimestamp(t *testing.T) {
	utc := func(mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(2026, mo, d, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		name, in string
		want     time.Time
		wantErr  bool
	}{
		{"zulu", "2026-11-29T14:02:00Z", utc(11, 29, 14, 2, 0, 0), false},
		{"offset", "2026-11-29T14:02:00+01:00", utc(11, 29, 13, 2, 0, 0), false},
		{"negative offset", "2026-11-29T14:02:00-05:00", utc(11, 29, 19, 2, 0, 0), false},
		{"fraction", "2026-11-29T14:02:00.250Z", utc(11, 29, 14, 2, 0, 250e6), false},
		{"no seconds", "2026-11-29T14:02Z", utc(11, 29, 14, 2, 0, 0), false},
		{"no zone winter", "2026-01-15T10:00:00", utc(1, 15, 10, 0, 0, 0), false},
		{"no zone summer", "2026-07-15T10:00:00", utc(7, 15, 9, 0, 0, 0), false},
		{"no zone no seconds", "2026-07-15T10:00", utc(7, 15, 9, 0, 0, 0), false},
		{"uk winter", "29/11/2026 14:02", utc(11, 29, 14, 2, 0, 0), false},
		{"uk summer seconds", "15/07/2026 10:00:30", utc(7, 15, 9, 0, 30, 0), false},
		{"uk no such day", "31/02/2026 10:00", time.Time{}, true},
		{"no such hour", "2026-11-29T25:00:00Z", time.Time{}, true},
		{"date only", "2026-11-29", time.Time{}, true},
		{"uk date only", "29/11/2026", time.Time{}, true},
		{"one-digit hour", "2026-11-29T9:02:00Z", time.Time{}, true},
		{"offset without colon", "2026-11-29T14:02:00+0100", time.Time{}, true},
		{"words", "yesterday", time.Time{}, true},
		{"empty", "", time.Time{}, true},
		{"year 0", "0000-01-01T00:00:00Z", time.Time{}, true},
		{"year 1899", "31/12/1899 23:59", time.Time{}, true},
		{"1899 in UTC", "1900-01-01T00:30:00+01:00", time.Time{}, true},
		{"year 10000 in UTC", "9999-12-31T23:59:00-01:00", time.Time{}, true},
		{"last minute of 9999", "9999-12-31T23:59:00Z", time.Date(9999, 12, 31, 23, 59, 0, 0, time.UTC), false},
		{"nanoseconds cut, not rounded", "9999-12-31T23:59:59.9999999Z",
			time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTimestamp(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseTimestamp(%q): got error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !got.Equal(tt.want) || (err == nil && got.Location() != time.UTC) {
				t.Errorf("parseTimestamp(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	day := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		wantErr  bool
	}{
		{"iso", "2026-11-29", false},
		{"uk", "29/11/2026", false},
		{"no such day", "31/02/2026", true},
		{"no such iso day", "2026-02-30", true},
		{"words", "yesterday", true},
		{"timestamp", "2026-11-29T00:00:00Z", true},
		{"slashes iso order", "2026/11/29", true},
		{"short uk", "29/11/26", true},
		{"year 0", "0000-01-01", true},
		{"year 1026", "29/11/1026", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDate(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseDate(%q): got error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && !got.Equal(day) {
				t.Errorf("parseDate(%q): got %v, want %v", tt.in, got, day)
			}
		})
	}
}

func TestParseMoney(t *testing.T) {
	tests := []struct {
		name, in, want string // want "" means an error
	}{
		{"pound and separator", "£1,250.00", "1250.00"},
		{"separator no pence", "12,500", "12500"},
		{"plain", "899.99", "899.99"},
		{"one place", "£0.5", "0.50"},
		{"zero", "0", "0"},
		{"millions", "£1,234,567.89", "1234567.89"},
		{"no separators", "1234567", "1234567"},
		{"surrounding space", "  12.30 ", "12.30"},
		{"three places", "1.234", ""},
		{"negative", "-5", ""},
		{"negative after pound", "£-5", ""},
		{"bad grouping", "1,25", ""},
		{"trailing point", "12.", ""},
		{"exponent", "1e3", ""},
		{"pound only", "£", ""},
		{"inner space", "1 250", ""},
		{"dollar", "$5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMoney(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("parseMoney(%q): got %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || !got.Equal(decimal.RequireFromString(tt.want)) {
				t.Errorf("parseMoney(%q): got %v, %v, want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseMoneyNegativeSaysSo(t *testing.T) {
	if _, err := parseMoney("99999999999999999999.00"); err != errTooLarge {
		t.Errorf("parseMoney(huge) error = %v, want errTooLarge", err)
	}
	if d, err := parseMoney("999,999,999,999.99"); err != nil || d.String() != "999999999999.99" {
		t.Errorf("parseMoney(largest) = %v, %v; want 999999999999.99", d, err)
	}
	if _, err := parseMoney("-5"); err != errNegative {
		t.Errorf("parseMoney(-5): got %v, want %v", err, errNegative)
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{"true", true, false}, {"false", false, false}, {"1", true, false},
		{"0", false, false}, {"yes", false, true}, {"TRUE", false, true},
		{"2", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseBool(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("parseBool(%q): got %v, %v, want %v (error %v)",
					tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseSequence(t *testing.T) {
	tests := []struct {
		name, in string
		want     int
		wantErr  bool
	}{
		{"zero", "0", 0, false}, {"seven", "7", 7, false}, {"leading zero", "007", 7, false},
		{"negative", "-1", 0, true}, {"letter", "x", 0, true}, {"decimal", "1.0", 0, true},
		{"huge", "99999999999", 0, true}, {"plus", "+1", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSequence(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("parseSequence(%q): got %d, %v, want %d (error %v)",
					tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
