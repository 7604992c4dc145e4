package mapping

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// fullCase has every optional part and list of a case filled in.
func fullCase() *Case {
	at := time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	yes, no := true, false
	addr := func(pc string) *Address {
		return &Address{Lines: []string{"1 High Street", "Flat 2"}, Town: "Leeds",
			County: "West Yorkshire", Postcode: pc, PostcodeValid: true, UPRN: "123"}
	}
	return &Case{
		Reference: "CACS-1", UpdateSequence: 2, Route: RouteReferral,
		CaseType: Code{Code: "C", Label: "Complaint"}, RecipientRole: "Both",
		ReceivedAt: at, Channel: "Phone",
		Consumer: &Consumer{Title: "Ms", Forename: "Ann", Surname: "Bell",
			Address: addr("LS1 1AA"), Telephone: "+441130000000", Email: "a@example.org",
			AgeBand: "25-34", Vulnerable: &yes, VulnerableReason: "age", ContactConsent: &no},
		Trader: &Trader{Name: "Acme", TradingAs: "Acme Roofing", CompanyNumber: "01234567",
			CompanyNumberValid: true, Address: addr("LS2 2BB"), Telephone: "+441130000001",
			Email: "t@example.org", Website: "example.org"},
		Purchase: &Purchase{Date: &day,
			Amount:  &Money{Amount: decimal.RequireFromString("12.50"), Currency: "GBP"},
			Product: &Code{Code: "P1", Label: "Roofing"}, Method: &Code{Code: "M1", Label: "Door"},
			Payment: &Code{Code: "Y1", Label: "Cash"}, Description: "roof"},
		Complaint: &Complaint{Codes: []Code{{Code: "A1", Label: "a"}, {Code: "B2", Label: "b"}},
			Scam: &Code{Code: "S1", Label: "scam"}, Breach: "Civil",
			Detriment: &Money{Amount: decimal.RequireFromString("3"), Currency: "GBP"},
			Summary:   "summary", AdviceGiven: "advice"},
		Agencies: []Agency{{Role: "ReferredTo", Name: "Police"}, {Role: "SignpostedTo", Name: "Ombudsman"}},
		Notes:    []Note{{At: &at, Text: "called"}, {At: &at, Text: "again"}},
		Line:     10, Column: 3,
	}
}

// TestDigestCoversEveryField changes each value of a full case in turn,
// and drops each optional part and list entry, and wants the digest to
// change every time: a field added to the model and not to digest fails
// here. Where the case sat in the file must not change it.
func TestDigestCoversEveryField(t *testing.T) {
	c := fullCase()
	base := digest(c)
	c.Line, c.Column, c.Digest = 99, 98, 97
	if digest(c) != base {
		t.Fatal("digest changed with the case's place in the file")
	}

	changes := 0
	changed := func(path string) {
		t.Helper()
		changes++
		if digest(c) == base {
			t.Errorf("digest unchanged when %s changed", path)
		}
	}
	timeType, decimalType := reflect.TypeOf(time.Time{}), reflect.TypeOf(decimal.Decimal{})
	var visit func(path string, v reflect.Value)
	visit = func(path string, v reflect.Value) {
		old := reflect.ValueOf(v.Interface())
		switch {
		case v.Type() == timeType:
			for _, d := range []time.Duration{time.Second, time.Nanosecond} {
				v.Set(reflect.ValueOf(old.Interface().(time.Time).Add(d)))
				changed(path)
			}
			v.Set(old)
			return
		case v.Type() == decimalType:
			v.Set(reflect.ValueOf(old.Interface().(decimal.Decimal).Add(decimal.New(1, -2))))
			changed(path)
			v.Set(old)
			return
		}
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
			changed(path)
		case reflect.Int:
			v.SetInt(v.Int() + 1)
			changed(path)
		case reflect.Bool:
			v.SetBool(!v.Bool())
			changed(path)
		case reflect.Pointer:
			if v.IsNil() {
				t.Fatalf("%s is nil in fullCase: fill it in", path)
			}
			v.Set(reflect.Zero(v.Type()))
			changed(path + " dropped")
			v.Set(old)
			visit(path, v.Elem())
			return
		case reflect.Slice:
			if v.Len() < 2 {
				t.Fatalf("%s has fewer than 2 entries in fullCase: fill it in", path)
			}
			v.Set(old.Slice(0, v.Len()-1))
			changed(path + " shortened")
			v.Set(old)
			for i := range v.Len() {
				visit(path+"[]", v.Index(i))
			}
			return
		case reflect.Struct:
			for i := range v.NumField() {
				name := v.Type().Field(i).Name
				if v.Type() == reflect.TypeOf(Case{}) &&
					(name == "Line" || name == "Column" || name == "Digest") {
					continue
				}
				visit(path+"."+name, v.Field(i))
			}
			return
		default:
			t.Fatalf("%s: a %s, which this test cannot change: teach it", path, v.Kind())
		}
		v.Set(old)
	}
	visit("Case", reflect.ValueOf(c).Elem())
	if digest(c) != base {
		t.Fatal("the test did not put the case back as it was")
	}
	if changes < 60 {
		t.Errorf("only %d changes tried", changes)
	}
}

// TestDigestSameContent wants equal content to give equal digests, however
// the amounts were written, and adjacent texts not to run into each other.
func TestDigestSameContent(t *testing.T) {
	a, b := fullCase(), fullCase()
	b.Purchase.Amount.Amount = decimal.RequireFromString("12.5")
	if digest(a) != digest(b) {
		t.Error("12.50 and 12.5 give different digests")
	}
	b.Consumer.Title, b.Consumer.Forename = "MsA", "nn"
	if digest(a) == digest(b) {
		t.Error("moving text from one field to the next leaves the digest unchanged")
	}
}

// The digest is keyed per process, so it must stay out of a case encoded
// for keeping (a request's case_version holds the case as JSON).
func TestDigestNotEncoded(t *testing.T) {
	c := fullCase()
	c.Digest = digest(c)
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Digest") {
		t.Errorf("a case encodes its digest: %s", b)
	}
}
