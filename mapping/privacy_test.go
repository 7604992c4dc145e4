package mapping

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Personal data planted in the bad files below; none of it may reach a
// problem message.
const (
	secretName    = "Zebedee"
	secretEmail   = "zebedee.private@example.com"
	secretStreet  = "13 Hidden Street"
	secretSummary = "Confided secret"
)

func TestProblemsCarryNoPersonalData(t *testing.T) {
	long := strings.Repeat(secretName, 200)
	variants := map[string]string{
		"entity in name": "<Consumer><Surname>" + secretName + "&" + secretName +
			";</Surname></Consumer>",
		"entity without semicolon": "<Consumer><Surname>A &" + secretName +
			" B</Surname></Consumer>",
		"long forename": "<Consumer><Forename>" + long + "</Forename></Consumer>",
		"long street": "<Consumer><Address><Line>" + strings.Repeat(secretStreet, 100) +
			"</Line></Address></Consumer>",
		"bad uprn": "<Consumer><Address><UPRN>" + secretStreet +
			"</UPRN></Address></Consumer>",
		"bad postcode": "<Consumer><Address><Postcode>" + secretStreet +
			"</Postcode></Address></Consumer><Channel>Fax</Channel>",
		"control char":    "<Consumer><Email>" + secretEmail + "\x01</Email></Consumer>",
		"mismatched tags": "<Consumer><Email>" + secretEmail + "</Surname></Consumer>",
		"summary entity": "<Complaint><Summary>" + secretSummary + " &" +
			secretSummary[:9] + ";</Summary></Complaint>",
		"trader no name": "<Trader><TradingAs>" + secretName + "</TradingAs><Email>" +
			secretEmail + "</Email></Trader>",
		"name as tag": "<Consumer><" + secretName + " " + secretStreet + "/></Consumer>",
		"name as open tag in text": "<Complaint><Summary>Call <" + secretName +
			"> back</Summary></Complaint>",
		"name as end tag in text": "<Notes><Note>met " + secretName + "</" + secretName +
			"></Note></Notes>",
		"name as prefix in text": "<Complaint><Summary>Call <" + secretName +
			":Summary> back</Summary></Complaint>",
		"name as end tag with space": "<Complaint><Summary>x</" + secretName +
			" Smith></Summary></Complaint>",
		"name as tag with a long attribute": "<Purchase><Description><" + secretName +
			" " + secretName + "=\"" + strings.Repeat("x", maxAttrBytes+1) +
			"\"/></Description></Purchase>",
		"name as tag with many attributes": "<Purchase><Description><" + secretName +
			manyAttrs() + "/></Description></Purchase>",
		"latin-1 in name": "<Consumer><Surname>" + secretName + "\xe9</Surname></Consumer>",
		"long summary": "<Complaint><Summary>" + strings.Repeat(secretSummary, 3000) +
			"</Summary></Complaint>",
		"bad amount near name": "<Consumer><Surname>" + secretName + "</Surname></Consumer>" +
			"<Purchase><Amount>-1</Amount><Description>" + secretSummary +
			"</Description></Purchase>",
	}
	files := map[string]string{
		"text before root": secretName + "," + secretEmail + "\n",
		"doctype":          "<!DOCTYPE x [<!ENTITY n \"" + secretName + "\">]>" + oneCase,
		"name in comment": oneCase[:39] + "<!-- " + secretEmail + " " +
			strings.Repeat("x", maxTokenBytes) + " -->",
		"name as second root":        oneCase + "<" + secretName + "/>",
		"name as end tag after root": oneCase + "</" + secretName + ">",
		"name as root":               "<" + secretName + ">" + secretSummary + "</" + secretName + ">",
		"name as version": strings.Replace(oneCase, `version="1.0" exportId`,
			`version="`+secretName+` 07700900123" exportId`, 1),
		"name as encoding": strings.Replace(oneCase, `encoding="UTF-8"`,
			`encoding="`+secretName+`-07700900123"`, 1),
		"name as case reference": strings.Replace(string(export(withCase(""))),
			"CACS0000000001", secretName+" 07700900123", 1),
	}
	for name, extra := range variants {
		files[name] = string(export(withCase(extra)))
	}

	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			_, _, err := Decode(strings.NewReader(data), nil)
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("Decode: got %v, want *InvalidError", err)
			}
			texts := []string{err.Error()}
			for _, p := range ie.Problems {
				texts = append(texts, p.String(), p.Field, p.CaseRef)
			}
			for _, text := range texts {
				for _, secret := range []string{secretName, secretEmail, secretStreet,
					secretSummary, secretSummary[:9]} {
					if strings.Contains(text, secret) {
						t.Errorf("problem %q carries personal data %q", text, secret)
					}
				}
			}
		})
	}
}

func TestQuoteWithholdsPersonalShapes(t *testing.T) {
	for _, tc := range []struct {
		in       string
		withheld bool
	}{
		{"31/02/2026 10:00", false},
		{"2026-11-31T10:00:00Z", false},
		{"2.0", false},
		{"TC-XX", false},
		{"ENQ", false},
		{"£1,250.00", false},
		{"yesterday", true},
		{"Escalation", true},
		{"Example", true},
		{"EXAMPLE", true},
		{"Crème", true},
		{"Margaret Example 14 Orchard Row", true},
		{"Phoned by Margaret", true},
		{"m.example@example.org", true},
		{"07700 900123", true},
		{"01632960001", true},
		{"0770-090-0123", true},
		{"Tom Fox", true},
		{"Tom", true},
		{"Mrs Jo Day", true},
		{"Ann Lee", true},
		{"12 Oak Rd ME4 4ZZ", true},
		{"SMITH", true},
		{"ME4 4ZZ", true},
		{"-1", false},
		{"1,25", false},
		{"GBP", false},
		{"NEW1", false},
		{"29/11/2026 14:02:00", false},
		{"SMITH-07700900123", true},
		{"JOHN-SMITH-12-OAK-RD", true},
		{"ME44ZZ", true},
		{"7700-90-0123", true},
		{"CACS2611290001", true},
		{"H77", false},
		{"12345678", true},
		{"1234567", true},
		{"125000", false},
		{"2280", false},
		{"12-34-56", true},
		{"12.34.56", true},
		{"12/34/56", true},
		{"+12345678", true},
		{"-07700900", true},
		{"2026-11-29T14:02:00.07700900123", true},
		{"2026-11-29T14:02:00.123456Z", false},
		{"29.11.26", false},
		{"2026-13-01", true},
		{"12/34", true},
		{"1.0", false},
		{"2026-11-29", false},
	} {
		got := strings.Contains(quote(tc.in), "withheld")
		if got != tc.withheld {
			t.Errorf("quote(%q) = %s; withheld %v, want %v", tc.in, quote(tc.in), got, tc.withheld)
		}
	}
}

// manyAttrs is more attributes than an element may have.
func manyAttrs() string {
	var b strings.Builder
	for i := range maxAttrs + 1 {
		fmt.Fprintf(&b, " a%d=\"1\"", i)
	}
	return b.String()
}
