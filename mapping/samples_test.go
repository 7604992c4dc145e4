package mapping

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func refs(cases []*Case) []string {
	var out []string
	for _, c := range cases {
		out = append(out, c.Reference)
	}
	return out
}

func amountIs(m *Money, want string) bool {
	return m != nil && m.Amount.Equal(decimal.RequireFromString(want)) && m.Currency == "GBP"
}

func codesOf(codes []Code) []string {
	var out []string
	for _, c := range codes {
		out = append(out, c.Code)
	}
	return out
}

// goodSamples says, for each file in testdata/good, what it must decode to
// (samples/README.md).
var goodSamples = map[string]func(t *testing.T, exp *Export, cases []*Case){
	"referral-single.xml": func(t *testing.T, exp *Export, cases []*Case) {
		if exp.CustodianCode != "2280" || exp.ExportID != "EXP-20261129-0001" {
			t.Errorf("header: got %+v", exp)
		}
		c := cases[0]
		if c.Reference != "CACS2611290001" || c.UpdateSequence != 0 {
			t.Errorf("got %s update %d, want CACS2611290001 update 0",
				c.Reference, c.UpdateSequence)
		}
		if c.Route != RouteReferral || c.CaseType.Code != "TC-CR" {
			t.Errorf("got route %q type %q, want Referral TC-CR", c.Route, c.CaseType.Code)
		}
		if c.Consumer == nil || c.Consumer.Vulnerable == nil || !*c.Consumer.Vulnerable ||
			c.Consumer.VulnerableReason != "AGE" {
			t.Errorf("got consumer %+v, want vulnerable (AGE)", c.Consumer)
		}
		if c.Trader == nil || c.Trader.CompanyNumber != "09999991" {
			t.Errorf("got trader %+v, want company number 09999991", c.Trader)
		}
		p := c.Purchase
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		if p == nil || !amountIs(p.Amount, "4800.00") || p.Date == nil || !p.Date.Equal(day) {
			t.Errorf("got purchase %+v, want 4800.00 on 2026-11-20", p)
		}
		cp := c.Complaint
		if cp == nil || len(cp.Codes) != 2 || cp.Scam == nil || cp.Scam.Code != "ROG" {
			t.Errorf("got complaint %+v, want 2 codes and scam ROG", cp)
		}
		if len(c.Notes) != 1 || len(c.Agencies) != 1 {
			t.Errorf("got %d notes %d agencies, want 1 and 1", len(c.Notes), len(c.Agencies))
		}
		at := time.Date(2026, 11, 29, 14, 20, 0, 0, time.UTC)
		if len(c.Notes) == 1 && (c.Notes[0].At == nil || !c.Notes[0].At.Equal(at)) {
			t.Errorf("got note at %v, want %v", c.Notes[0].At, at)
		}
	},
	"batch-mixed.xml": func(t *testing.T, exp *Export, cases []*Case) {
		want := []string{"CACS2611290002", "CACS2611290003", "CACS2611290004",
			"CACS2611290005"}
		if got := refs(cases); !slices.Equal(got, want) {
			t.Fatalf("got cases %v, want %v", got, want)
		}
		for i, hasTrader := range []bool{true, false, true, false} {
			if (cases[i].Trader != nil) != hasTrader {
				t.Errorf("%s: got trader %v, want present=%v",
					cases[i].Reference, cases[i].Trader, hasTrader)
			}
		}
		if cases[2].Consumer != nil {
			t.Errorf("CACS2611290004: got consumer %+v, want none", cases[2].Consumer)
		}
	},
	"referral-update.xml": func(t *testing.T, exp *Export, cases []*Case) {
		c := cases[0]
		if c.Reference != "CACS2611290001" || c.UpdateSequence != 1 {
			t.Errorf("got %s update %d, want CACS2611290001 update 1",
				c.Reference, c.UpdateSequence)
		}
		if c.Complaint == nil || len(c.Complaint.Codes) != 3 ||
			!amountIs(c.Complaint.Detriment, "5600.00") || len(c.Notes) != 2 {
			t.Errorf("got complaint %+v and %d notes, want 3 codes, detriment 5600.00, 2 notes",
				c.Complaint, len(c.Notes))
		}
	},
	"windows-1252.xml": func(t *testing.T, exp *Export, cases []*Case) {
		c := cases[0]
		if c.Consumer == nil || c.Consumer.Forename != "Zoë" ||
			c.Consumer.Surname != "O'Brien-Müller" {
			t.Fatalf("got consumer %+v, want Zoë O'Brien-Müller", c.Consumer)
		}
		a := c.Consumer.Address
		if a == nil || a.Postcode != "ME2 4ZZ" || !a.PostcodeValid {
			t.Errorf("got address %+v, want postcode ME2 4ZZ", a)
		}
		if c.Purchase == nil || !amountIs(c.Purchase.Amount, "1250.00") {
			t.Errorf("got purchase %+v, want 1250.00", c.Purchase)
		}
		want := time.Date(2026, 11, 30, 10, 12, 0, 0, time.UTC)
		if !c.ReceivedAt.Equal(want) || c.ReceivedAt.Location() != time.UTC {
			t.Errorf("got received %v, want %v", c.ReceivedAt, want)
		}
		if c.Trader == nil || c.Trader.Name != "Crème Kitchens & Bathrooms" {
			t.Errorf("got trader %+v, want Crème Kitchens & Bathrooms", c.Trader)
		}
	},
	"utf8-bom-prefixed.xml": func(t *testing.T, exp *Export, cases []*Case) {
		c := cases[0]
		if c.Consumer == nil || c.Consumer.Address == nil ||
			c.Consumer.Address.Postcode != "ME8 7ZZ" {
			t.Errorf("got consumer %+v, want postcode ME8 7ZZ", c.Consumer)
		}
		if c.Purchase == nil || !amountIs(c.Purchase.Amount, "12500.00") {
			t.Errorf("got purchase %+v, want 12500.00", c.Purchase)
		}
		want := time.Date(2026, 11, 30, 11, 40, 5, 0, time.UTC)
		if !c.ReceivedAt.Equal(want) {
			t.Errorf("got received %v, want %v", c.ReceivedAt, want)
		}
		if c.Trader == nil || c.Trader.CompanyNumber != "SC123456" {
			t.Errorf("got trader %+v, want company SC123456", c.Trader)
		}
	},
	"no-namespace-reordered.xml": func(t *testing.T, exp *Export, cases []*Case) {
		if exp.CustodianCode != "" || exp.RecipientName != "" {
			t.Errorf("got recipient %q %q, want none", exp.CustodianCode, exp.RecipientName)
		}
		c := cases[0]
		if c.Reference != "CACS2611300012" || c.Route != RouteNotification {
			t.Errorf("got %s %s, want CACS2611300012 Notification", c.Reference, c.Route)
		}
		if c.Consumer == nil || c.Consumer.Email != "" || c.Consumer.Surname != "Madeup" {
			t.Errorf("got consumer %+v, want surname only, no email", c.Consumer)
		}
		if c.Trader == nil || c.Trader.Name != "Bell Yard Bakery" ||
			c.Trader.Address == nil || c.Trader.Address.Postcode != "BR1 1ZZ" {
			t.Errorf("got trader %+v, want Bell Yard Bakery at BR1 1ZZ", c.Trader)
		}
	},
	"unknown-codes.xml": func(t *testing.T, exp *Export, cases []*Case) {
		c := cases[0]
		p := c.Purchase
		if p == nil || p.Product.Code != "H77" || p.Method.Code != "XYZ" ||
			p.Payment.Code != "QRP" {
			t.Errorf("got purchase %+v, want codes H77 XYZ QRP", p)
		}
		if c.Complaint == nil || !slices.Equal(codesOf(c.Complaint.Codes),
			[]string{"AGE", "NEW1"}) {
			t.Errorf("got complaint %+v, want codes AGE NEW1", c.Complaint)
		}
	},
}

func TestGoodSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "good", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no good samples: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			check, ok := goodSamples[name]
			if !ok {
				t.Fatalf("no expectation for %s: add one to goodSamples", name)
			}
			exp, cases, n, problems, _ := decodeAll(t, readTestdata(t, "good/"+name))
			if problems != nil {
				t.Fatalf("Decode: got problems%s, want none", problemList(problems))
			}
			if len(cases) == 0 || n != len(cases) {
				t.Fatalf("Decode: got %d good of %d cases, want all good", len(cases), n)
			}
			if exp.Version != "1.0" || exp.Generated.IsZero() {
				t.Errorf("got header %+v, want version 1.0 and a generated time", exp)
			}
			check(t, exp, cases)
		})
	}
}

// problemWant is a problem a bad sample must report.
type problemWant struct {
	caseRef, field, substr string
}

// badSamples says, for each file in testdata/bad, what its problems must
// name (samples/README.md).
var badSamples = map[string][]problemWant{
	"not-xml.xml":                {{"", "", "not an XML export"}},
	"truncated.xml":              {{"CACS2611290002", "", "unexpected EOF"}},
	"wrong-root.xml":             {{"", "", "root element"}},
	"version-2.xml":              {{"", "CaseExport/@version", "unsupported major version 2"}},
	"xxe.xml":                    {{"", "", "DOCTYPE"}},
	"entity-expansion.xml":       {{"", "", "DOCTYPE"}},
	"empty.xml":                  {{"", "", "file is empty"}},
	"undeclared-latin1.xml":      {{"CACS2611290002", "", "invalid UTF-8"}},
	"missing-case-reference.xml": {{"", "CaseReference", "missing CaseReference"}},
	"bad-route.xml":              {{"CACS2611290002", "Route", "want one of Referral"}},
	"two-bad-values.xml": {
		{"CACS2611290002", "ReceivedAt", `"31/02/2026 10:00"`},
		{"CACS2611290002", "Purchase/Date", "not a date"},
	},
	"duplicate-reference-conflict.xml": {{"CACS2611290003", "CaseReference", "appears again"}},
	"complaint-without-trader.xml":     {{"CACS2611290002", "Trader", "TC-CB"}},
}

func TestBadSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad samples: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			wants, ok := badSamples[name]
			if !ok {
				t.Fatalf("no expectation for %s: add one to badSamples", name)
			}
			_, _, _, problems, _ := decodeAll(t, readTestdata(t, "bad/"+name))
			if problems == nil {
				t.Fatalf("Decode: got no problems, want %v", wants)
			}
			for _, w := range wants {
				if !hasCaseProblem(problems, w) {
					t.Errorf("Decode: got problems%s\nwant one in case %q field %q with %q",
						problemList(problems), w.caseRef, w.field, w.substr)
				}
			}
			for _, p := range problems {
				if p.Line == 0 && name != "empty.xml" {
					t.Errorf("Decode: got problem %q with no line, want its position", p)
				}
			}
		})
	}
}

// TestTwoBadValues checks that every problem of a case is reported, not only
// the first, and that the good case beside it does not hide the failure.
func TestTwoBadValues(t *testing.T) {
	_, _, n, problems, _ := decodeAll(t, readTestdata(t, "bad/two-bad-values.xml"))
	if n != 2 || len(problems) != 2 {
		t.Fatalf("Decode: got %d cases and problems%s, want 2 cases and 2 problems",
			n, problemList(problems))
	}
	for _, p := range problems {
		if p.CaseRef != "CACS2611290002" || p.Line == 0 || p.Column == 0 {
			t.Errorf("got problem %+v, want case CACS2611290002 with a position", p)
		}
	}
}

func hasCaseProblem(problems []Problem, w problemWant) bool {
	for _, p := range problems {
		if p.CaseRef == w.caseRef && (w.field == "" || p.Field == w.field) &&
			strings.Contains(p.Message, w.substr) {
			return true
		}
	}
	return false
}
