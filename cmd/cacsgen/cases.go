package main

import (
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// The export's elements, in the order of the schema. Only what the
// generator fills is here.
type (
	xcase struct {
		XMLName        xml.Name    `xml:"Case"`
		Reference      string      `xml:"CaseReference"`
		UpdateSequence int         `xml:"UpdateSequence"`
		Route          string      `xml:"Route"`
		CaseType       coded       `xml:"CaseType"`
		RecipientRole  string      `xml:"RecipientRole,omitempty"`
		ReceivedAt     string      `xml:"ReceivedAt"`
		Channel        string      `xml:"Channel,omitempty"`
		Consumer       *xconsumer  `xml:"Consumer,omitempty"`
		Trader         *xtrader    `xml:"Trader,omitempty"`
		Purchase       *xpurchase  `xml:"Purchase,omitempty"`
		Complaint      *xcomplaint `xml:"Complaint,omitempty"`
		Notes          []xnote     `xml:"Notes>Note,omitempty"`
	}
	coded struct {
		Code  string `xml:"code,attr"`
		Label string `xml:",chardata"`
	}
	money struct {
		Currency string `xml:"currency,attr"`
		Amount   string `xml:",chardata"`
	}
	xaddress struct {
		Lines    []string `xml:"Line"`
		Town     string   `xml:"Town,omitempty"`
		Postcode string   `xml:"Postcode,omitempty"`
	}
	xconsumer struct {
		Title     string    `xml:"Title,omitempty"`
		Forename  string    `xml:"Forename,omitempty"`
		Surname   string    `xml:"Surname,omitempty"`
		Address   *xaddress `xml:"Address,omitempty"`
		Telephone string    `xml:"Telephone,omitempty"`
		Email     string    `xml:"Email,omitempty"`
		AgeBand   string    `xml:"AgeBand,omitempty"`
	}
	xtrader struct {
		Name          string    `xml:"Name"`
		CompanyNumber string    `xml:"CompanyNumber,omitempty"`
		Address       *xaddress `xml:"Address,omitempty"`
		Website       string    `xml:"Website,omitempty"`
	}
	xpurchase struct {
		Date    string `xml:"Date,omitempty"`
		Amount  *money `xml:"Amount,omitempty"`
		Product *coded `xml:"Product,omitempty"`
		Method  *coded `xml:"Method,omitempty"`
		Payment *coded `xml:"Payment,omitempty"`
	}
	xcomplaint struct {
		Codes       []coded `xml:"Code"`
		Breach      string  `xml:"Breach,omitempty"`
		Detriment   *money  `xml:"Detriment,omitempty"`
		Summary     string  `xml:"Summary,omitempty"`
		AdviceGiven string  `xml:"AdviceGiven,omitempty"`
	}
	xnote struct {
		At   string `xml:"at,attr"`
		Text string `xml:",chardata"`
	}
)

// baseTime is when generated contacts start; cases spread over a year.
var baseTime = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// Invented values to draw from. Postcodes end in a letter no real
// postcode unit uses (C, I, K, M, O or V), company numbers begin with ZX,
// which Companies House does not issue, and names are plainly made up.
// Surnames and trader names are built from parts, so that two people or
// businesses share a name about as rarely as in a real district: a name
// drawn from a handful would make every contact a possible match of
// hundreds of others.
var (
	forenames    = []string{"Ada", "Ben", "Carys", "Dev", "Eilidh", "Finn", "Gita", "Hamza", "Iona", "Jude", "Kemi", "Lior", "Zoë", "Siân", "Ciarán", "Ngozi", "Olek", "Priya", "Quinn", "Rhys", "Saoirse", "Tomasz", "Uma", "Viktor", "Wen", "Yusuf", "Aoife", "Bartek", "Chidi", "Dafydd"}
	surnameRoots = []string{"Example", "Sample", "Testcase", "Madeup", "Fictional", "Placeholder", "Invent", "Dummy", "Notreal", "Mockup", "Pretend", "Standin", "Specimen", "Proxy", "Filler", "Phantom", "Imaginary", "Unreal", "Pseudo", "Fauxe"}
	surnameEnds  = []string{"", "son", "ley", "ford", "ton", "worth", "field", "by", "well", "wood", "ham", "shaw", "more", "dale", "stone", "bridge", "croft", "hurst", "gate", "wick"}
	oddSurnames  = []string{"O'Invent", "Dummy-Jones", "Müller-Notreal", "Mac an tSample"}
	titles       = []string{"Mr", "Mrs", "Ms", "Dr", "Mx", ""}
	streets      = []string{"Orchard Row", "High Street", "Mill Close", "Station Approach", "Bell Yard", "Quarry Lane", "Church Walk"}
	towns        = []struct{ town, area string }{{"Rochester", "ME1"}, {"Chatham", "ME4"}, {"Gillingham", "ME7"}, {"Ashford", "TN23"}, {"Margate", "CT9"}, {"Dartford", "DA1"}}
	unitFirst    = "ABDEFGHJLNPQRSTUWXYZ"
	unitLast     = "CIKMOV"
	traderFirst  = []string{"Roofline", "Speedy", "Quick", "Bell Yard", "Crème", "Apex", "Budget", "Premier", "Kwik", "Elite", "Value", "Express", "Golden", "Royal", "County", "Ace", "Supreme", "Allied", "Metro", "Central", "Direct", "Prime", "Swift", "Total", "United", "Classic", "Smart", "First", "Star", "Trusty", "Rapid", "Driveway", "Orchard", "Quarry", "Harbour", "Meadow", "Beacon", "Summit", "Pioneer", "Heritage"}
	traderSecond = []string{"Example", "Sample", "Madeup", "Notreal", "Placeholder", "Fictional", "Mockup", "Pretend", "Specimen", "Phantom", "Invented", "Imaginary", "Pseudo", "Standin", "Testcase", "Dummy", "Filler", "Proxy", "Unreal", "Fauxe"}
	trades       = []string{"Fixers", "Sofas", "Motors", "Bakery", "Kitchens & Bathrooms", "Vapes", "Roofing", "Builders", "Windows", "Driveways", "Plumbing", "Electrics", "Carpets", "Furniture", "Tyres", "Landscaping", "Boilers", "Solar", "Lofts", "Phones", "Tickets", "Holidays", "Scaffolding", "Locksmiths", "Removals", "Tree Surgeons", "Damp Proofing", "Guttering", "Fencing", "Mobility"}
	legalSuffix  = []string{" Ltd", " Limited", "", " Online", " & Sons", " Services"}
	products     = []coded{{"A02", "Furniture"}, {"A03", "Kitchen units and fitted furniture"}, {"B02", "Roofing and guttering"}, {"C01", "Second-hand cars"}, {"H77", "Disposable vapes (new code)"}}
	methods      = []coded{{"SHP", "On trade premises"}, {"DSU", "Doorstep - uninvited (cold call)"}, {"INT", "Internet - trader website"}, {"TEL", "Telephone"}}
	payments     = []coded{{"CSH", "Cash"}, {"DBC", "Debit card"}, {"CRC", "Credit card"}, {"BTR", "Bank transfer"}}
	complaints   = []coded{{"QD", "Defective goods"}, {"QS", "Substandard service"}, {"NDL", "Non-delivery or late delivery"}, {"AGP", "Aggressive practices or pressure selling"}, {"MIS", "Misleading claims or omissions"}}
	summaries    = []string{"Goods arrived damaged and the trader will not replace them.", "Work left unfinished after payment in full.", "Trader called uninvited and pressed for a quick decision.", "Price charged was higher than quoted.", "Order never delivered; trader does not answer."}
	channels     = []string{"Telephone", "Email", "Webform", "Webchat"}
	ageBands     = []string{"18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"}
	caseTypes    = []struct {
		code, label, route string
		trader             bool
	}{
		{"TC-CR", "Trader complaint - possible criminal breach", "Referral", true},
		{"TC-CB", "Trader complaint - possible civil breach", "Notification", true},
		{"TC-NB", "Trader complaint - no breach identified", "Notification", true},
		{"ENQ", "Consumer law enquiry", "Signposting", false},
	}
)

func pick[T any](r *rand.Rand, from []T) T { return from[r.IntN(len(from))] }

// newCase invents case number n.
func (g *generator) newCase(n int) *xcase {
	r := g.rng
	ct := pick(r, caseTypes)
	received := baseTime.Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
	c := &xcase{
		Reference:  fmt.Sprintf("%s%08d", g.opts.prefix, n),
		Route:      ct.route,
		CaseType:   coded{ct.code, ct.label},
		ReceivedAt: timestamp(r, received),
		Channel:    pick(r, channels),
	}
	if r.IntN(10) > 0 { // one in ten consumers stays anonymous
		c.Consumer = g.consumer()
	}
	if ct.trader {
		c.RecipientRole = "ConsumerArea"
		c.Trader = g.trader()
		c.Purchase = g.purchase(received)
	}
	c.Complaint = g.complaint(ct.trader)
	if r.IntN(3) == 0 {
		c.Notes = []xnote{{At: received.Add(20 * time.Minute).Format(time.RFC3339),
			Text: "Consumer asked to be called back in the afternoon."}}
	}
	return c
}

// timestamp writes t in one of the forms real exports use.
func timestamp(r *rand.Rand, t time.Time) string {
	london, _ := time.LoadLocation("Europe/London")
	switch r.IntN(3) {
	case 0:
		return t.In(london).Format("02/01/2006 15:04")
	case 1:
		return t.In(london).Format("2006-01-02T15:04:05-07:00")
	}
	return t.Format(time.RFC3339)
}

// Shares of cases about a consumer or a trader an earlier case was about:
// people seldom complain twice in a year, but a bad trader draws many
// complaints.
const (
	repeatConsumer = 0.05
	repeatTrader   = 0.35
)

// consumer returns a new consumer, or now and then one sent before, who
// may leave out the email they gave then.
func (g *generator) consumer() *xconsumer {
	r := g.rng
	if len(g.consumers) > 0 && r.Float64() < repeatConsumer {
		c := *pick(r, g.consumers)
		if r.IntN(4) == 0 {
			c.Email = ""
		}
		return &c
	}
	g.people++
	c := &xconsumer{
		Title:    pick(r, titles),
		Forename: pick(r, forenames),
		Surname:  g.surname(),
		Address:  g.address(),
		Email:    fmt.Sprintf("person%d.%s@example.invalid", g.people, g.ns),
		AgeBand:  pick(r, ageBands),
	}
	g.consumers = append(g.consumers, c)
	return c
}

func (g *generator) surname() string {
	r := g.rng
	if r.IntN(50) == 0 {
		return pick(r, oddSurnames)
	}
	return pick(r, surnameRoots) + pick(r, surnameEnds)
}

func (g *generator) address() *xaddress {
	r := g.rng
	t := pick(r, towns)
	return &xaddress{
		Lines: []string{fmt.Sprintf("%d %s", 1+r.IntN(200), pick(r, streets))},
		Town:  t.town,
		Postcode: fmt.Sprintf("%s %d%c%c", t.area, r.IntN(10),
			unitFirst[r.IntN(len(unitFirst))], unitLast[r.IntN(len(unitLast))]),
	}
}

// trader returns a new trader, or often one sent before, which may come
// without its company number or website this time.
func (g *generator) trader() *xtrader {
	r := g.rng
	if len(g.traders) > 0 && r.Float64() < repeatTrader {
		t := *pick(r, g.traders)
		if r.IntN(5) == 0 {
			t.CompanyNumber = ""
		}
		if r.IntN(4) == 0 {
			t.Website = ""
		}
		return &t
	}
	g.businesses++
	t := &xtrader{
		Name: pick(r, traderFirst) + " " + pick(r, traderSecond) + " " + pick(r, trades) +
			pick(r, legalSuffix),
		Address: g.address(),
	}
	if r.IntN(2) == 0 {
		t.CompanyNumber = g.companyNumber()
	}
	if r.IntN(3) == 0 {
		t.Website = fmt.Sprintf("www.trader%d-%s.example", g.businesses, g.ns)
	}
	g.traders = append(g.traders, t)
	return t
}

// companyNumber is the number of the newest trader: ZX, which Companies
// House does not issue, then six base-36 digits from 13 bits of the
// prefix's hash and 18 of the trader's serial number. Exports made with
// two different prefixes share numbers about once in 8,000 pairs of
// prefixes, and one export repeats a number only past 262,144 traders.
func (g *generator) companyNumber() string {
	v := uint64(g.prefixHash&(1<<13-1))<<18 | uint64(g.businesses&(1<<18-1))
	n := strings.ToUpper(strconv.FormatUint(v, 36))
	return "ZX" + strings.Repeat("0", 6-len(n)) + n
}

func (g *generator) purchase(received time.Time) *xpurchase {
	r := g.rng
	p := pick(r, products)
	m := pick(r, methods)
	pay := pick(r, payments)
	return &xpurchase{
		Date:    received.AddDate(0, 0, -r.IntN(60)).Format("2006-01-02"),
		Amount:  &money{"GBP", amount(r)},
		Product: &p, Method: &m, Payment: &pay,
	}
}

// amount is a sum of money in one of the forms real exports use.
func amount(r *rand.Rand) string {
	pounds, pence := 5+r.IntN(20000), r.IntN(100)
	if pounds >= 1000 && r.IntN(2) == 0 {
		return fmt.Sprintf("£%d,%03d.%02d", pounds/1000, pounds%1000, pence)
	}
	return fmt.Sprintf("%d.%02d", pounds, pence)
}

func (g *generator) complaint(trader bool) *xcomplaint {
	r := g.rng
	c := &xcomplaint{Summary: pick(r, summaries),
		AdviceGiven: "Explained the consumer's rights and next steps."}
	if trader {
		c.Codes = []coded{pick(r, complaints)}
		c.Breach = pick(r, []string{"None", "Civil", "Criminal"})
		c.Detriment = &money{"GBP", amount(r)}
	}
	return c
}
