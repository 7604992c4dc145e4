package mapping

import (
	"strings"
	"testing"
)

// TestFieldProblems checks each case-level rule in a document: which field
// a bad or missing value is reported under, and what the message says.
func TestFieldProblems(t *testing.T) {
	tests := []struct {
		name, extra string
		drop        []string
		field       string // "" means the case is good
		substr      string
	}{
		{"good minimal", "", nil, "", ""},
		{"missing reference", "", []string{"CaseReference"}, "CaseReference",
			"missing CaseReference"},
		{"bad reference", "<CaseReference>cacs-1</CaseReference>",
			[]string{"CaseReference"}, "CaseReference", "withheld"},
		{"missing route", "", []string{"Route"}, "Route", "missing Route"},
		{"bad route", "<Route>Escalation</Route>", []string{"Route"}, "Route",
			"withheld"},
		{"missing case type", "", []string{"CaseType"}, "CaseType", "missing CaseType"},
		{"case type without code", "<CaseType>Enquiry</CaseType>", []string{"CaseType"},
			"CaseType/@code", "missing code"},
		{"missing received", "", []string{"ReceivedAt"}, "ReceivedAt", "missing ReceivedAt"},
		{"empty received", "<ReceivedAt/>", []string{"ReceivedAt"}, "ReceivedAt",
			"missing ReceivedAt"},
		{"bad received", "<ReceivedAt>31/02/2026 10:00</ReceivedAt>",
			[]string{"ReceivedAt"}, "ReceivedAt", `"31/02/2026 10:00"`},
		{"sequence negative", "<UpdateSequence>-1</UpdateSequence>", nil,
			"UpdateSequence", `"-1"`},
		{"sequence letter", "<UpdateSequence>x</UpdateSequence>", nil, "UpdateSequence",
			"withheld"},
		{"channel", "<Channel>Fax</Channel>", nil, "Channel", "withheld"},
		{"recipient role", "<RecipientRole>Nobody</RecipientRole>", nil, "RecipientRole",
			"withheld"},
		{"age band", "<Consumer><AgeBand>Old</AgeBand></Consumer>", nil,
			"Consumer/AgeBand", "withheld"},
		{"breach", "<Complaint><Breach>Maybe</Breach></Complaint>", nil,
			"Complaint/Breach", "withheld"},
		{"agency role", `<Agencies><Agency role="Helper">X</Agency></Agencies>`, nil,
			"Agencies/Agency/@role", "withheld"},
		{"agency without role", `<Agencies><Agency>X</Agency></Agencies>`, nil,
			"Agencies/Agency/@role", "missing role"},
		{"vulnerable", "<Consumer><Vulnerable>yes</Vulnerable></Consumer>", nil,
			"Consumer/Vulnerable", "withheld"},
		{"consent", "<Consumer><ContactConsent>maybe</ContactConsent></Consumer>", nil,
			"Consumer/ContactConsent", "withheld"},
		{"purchase date", "<Purchase><Date>yesterday</Date></Purchase>", nil,
			"Purchase/Date", "withheld"},
		{"purchase date no such day", "<Purchase><Date>31/02/2026</Date></Purchase>", nil,
			"Purchase/Date", "no such date"},
		{"amount three places", "<Purchase><Amount>1.234</Amount></Purchase>", nil,
			"Purchase/Amount", `"1.234"`},
		{"amount negative", "<Purchase><Amount>-5</Amount></Purchase>", nil,
			"Purchase/Amount", "negative"},
		{"amount bad grouping", "<Purchase><Amount>1,25</Amount></Purchase>", nil,
			"Purchase/Amount", `"1,25"`},
		{"detriment currency", `<Complaint><Detriment currency="pounds">5</Detriment>` +
			`</Complaint>`, nil, "Complaint/Detriment/@currency", "withheld"},
		{"product without code", "<Purchase><Product>Sofas</Product></Purchase>", nil,
			"Purchase/Product/@code", "missing code"},
		{"complaint code without code", "<Complaint><Code>Other</Code></Complaint>", nil,
			"Complaint/Code/@code", "missing code"},
		{"trader without name", "<Trader><Website>x.example</Website></Trader>", nil,
			"Trader/Name", "missing Name"},
		{"trader case type without trader", `<CaseType code="TC-CR">Criminal</CaseType>`,
			[]string{"CaseType"}, "Trader", `"TC-CR"`},
		{"uprn", "<Consumer><Address><UPRN>12a</UPRN></Address></Consumer>", nil,
			"Consumer/Address/UPRN", "not a UPRN"},
		{"uprn too long", "<Trader><Name>T</Name><Address><UPRN>1234567890123</UPRN>" +
			"</Address></Trader>", nil, "Trader/Address/UPRN", "not a UPRN"},
		{"seven lines", "<Consumer><Address>" + strings.Repeat("<Line>x</Line>", 7) +
			"</Address></Consumer>", nil, "Consumer/Address/Line", "more than 6"},
		{"note time", `<Notes><Note at="soon">Called back.</Note></Notes>`, nil,
			"Notes/Note/@at", "withheld"},
		{"two references", "<CaseReference>CACS0000000002</CaseReference>", nil,
			"CaseReference", "second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, problems := decodeCase(t, tt.extra, tt.drop...)
			if tt.field == "" {
				if c == nil || problems != nil {
					t.Fatalf("decode: got problems%s, want a good case", problemList(problems))
				}
				return
			}
			if c != nil {
				t.Errorf("decode: got case %s back, want it withheld", c.Reference)
			}
			if !hasProblem(problems, tt.field, tt.substr) {
				t.Errorf("decode: got problems%s\nwant field %s with %q",
					problemList(problems), tt.field, tt.substr)
			}
			for _, p := range problems {
				if p.Line == 0 || p.Column == 0 {
					t.Errorf("got problem %q, want a line and column", p)
				}
			}
		})
	}
}

// TestFieldValues checks the values a good case carries after decoding.
func TestFieldValues(t *testing.T) {
	tests := []struct {
		name, extra string
		check       func(c *Case) bool
	}{
		{"sequence default", "", func(c *Case) bool { return c.UpdateSequence == 0 }},
		{"sequence", "<UpdateSequence> 3 </UpdateSequence>",
			func(c *Case) bool { return c.UpdateSequence == 3 }},
		{"amount absent when empty", "<Purchase><Amount/><Date>29/11/2026</Date></Purchase>",
			func(c *Case) bool { return c.Purchase.Amount == nil && c.Purchase.Date != nil }},
		{"currency default", "<Purchase><Amount>£1,250.00</Amount></Purchase>",
			func(c *Case) bool {
				return c.Purchase.Amount.Currency == "GBP" &&
					c.Purchase.Amount.Amount.StringFixed(2) == "1250.00"
			}},
		{"currency kept", `<Purchase><Amount currency="EUR">12</Amount></Purchase>`,
			func(c *Case) bool { return c.Purchase.Amount.Currency == "EUR" }},
		{"boolean digits", "<Consumer><Vulnerable>1</Vulnerable>" +
			"<ContactConsent>0</ContactConsent></Consumer>",
			func(c *Case) bool { return *c.Consumer.Vulnerable && !*c.Consumer.ContactConsent }},
		{"codes trimmed as sent", `<Purchase><Product code=" h77 ">New</Product></Purchase>`,
			func(c *Case) bool { return c.Purchase.Product.Code == "h77" }},
		{"code label", `<Complaint><Code code="NDL"> Late </Code></Complaint>`,
			func(c *Case) bool {
				return c.Complaint.Codes[0] == Code{Code: "NDL", Label: "Late"}
			}},
		{"bad postcode kept", "<Consumer><Address><Postcode> not known </Postcode>" +
			"</Address></Consumer>",
			func(c *Case) bool {
				a := c.Consumer.Address
				return a.Postcode == "not known" && !a.PostcodeValid
			}},
		{"postcode normalised", "<Consumer><Address><Postcode>sw1a2aa</Postcode>" +
			"</Address></Consumer>",
			func(c *Case) bool {
				a := c.Consumer.Address
				return a.Postcode == "SW1A 2AA" && a.PostcodeValid
			}},
		{"company number padded", "<Trader><Name>T</Name>" +
			"<CompanyNumber>9999991</CompanyNumber></Trader>",
			func(c *Case) bool { return c.Trader.CompanyNumber == "09999991" }},
		{"company number not shaped like one kept and flagged", "<Trader><Name>T</Name>" +
			"<CompanyNumber> N/A </CompanyNumber></Trader>",
			func(c *Case) bool { return c.Trader.CompanyNumber == "N/A" && !c.Trader.CompanyNumberValid }},
		{"currency in lower case", `<Complaint><Detriment currency=" eur">5</Detriment></Complaint>`,
			func(c *Case) bool { return c.Complaint.Detriment.Currency == "EUR" }},
		{"company number valid", "<Trader><Name>T</Name>" +
			"<CompanyNumber>sc 123456</CompanyNumber></Trader>",
			func(c *Case) bool { return c.Trader.CompanyNumber == "SC123456" && c.Trader.CompanyNumberValid }},
		{"company number of zeros is none", "<Trader><Name>T</Name>" +
			"<CompanyNumber>0</CompanyNumber></Trader>",
			func(c *Case) bool { return c.Trader.CompanyNumber == "" && c.Trader.Name == "T" }},
		{"empty consumer is anonymous", "<Consumer><Email/></Consumer>",
			func(c *Case) bool { return c.Consumer == nil }},
		{"text trimmed", "<Complaint><Summary>\n  Late sofa.\n</Summary></Complaint>",
			func(c *Case) bool { return c.Complaint.Summary == "Late sofa." }},
		{"unknown nested ignored", `<Future x="1"><Deeper><Deepest/></Deeper></Future>`,
			func(c *Case) bool { return c.Reference == "CACS0000000001" }},
		{"prefixed attribute", `<Purchase xmlns:p="urn:x"><Product p:code="A02">F</Product>` +
			`</Purchase>`, func(c *Case) bool { return c.Purchase.Product.Code == "A02" }},
		{"cdata and comment", "<Complaint><Summary><![CDATA[a < b]]><!-- x --> ok" +
			"</Summary></Complaint>",
			func(c *Case) bool { return c.Complaint.Summary == "a < b ok" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, problems := decodeCase(t, tt.extra)
			if c == nil {
				t.Fatalf("decode: got problems%s, want a good case", problemList(problems))
			}
			if !tt.check(c) {
				t.Errorf("decode %s: got %+v, check failed", tt.extra, c)
			}
		})
	}
}

func TestDuplicateReference(t *testing.T) {
	body := withCase("<Complaint><Summary>Same.</Summary></Complaint>")
	other := withCase("<Complaint><Summary>Different.</Summary></Complaint>")

	_, cases, n, problems, _ := decodeAll(t, export(body, body))
	if problems != nil || n != 2 || len(cases) != 1 {
		t.Errorf("same content twice: got %d of %d cases, problems%s; want 1 of 2, none",
			len(cases), n, problemList(problems))
	}

	_, _, _, problems, _ = decodeAll(t, export(body, other))
	if len(problems) != 1 || problems[0].CaseRef != "CACS0000000001" ||
		problems[0].Field != "CaseReference" || problems[0].Line != 10 {
		t.Errorf("different content: got problems%s, want one at the second case, line 10",
			problemList(problems))
	}
}
