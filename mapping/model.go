package mapping

import (
	"time"

	"github.com/shopspring/decimal"
)

// Export is the header of one CACS export file: the attributes of the
// CaseExport root and its optional Recipient.
type Export struct {
	Version       string    // format version as sent, "1.x"
	ExportID      string    // the sender's id for this export
	Generated     time.Time // when the export was produced, UTC
	CustodianCode string    // Recipient/@custodianCode; empty when absent
	RecipientName string    // Recipient text; empty when absent
}

// Route says what CACS asks the service to do with a case.
type Route string

// The routes a case can take.
const (
	RouteReferral     Route = "Referral"
	RouteNotification Route = "Notification"
	RouteSignposting  Route = "Signposting"
)

// Case is one complaint as sent by CACS, decoded, checked and normalised.
// Optional parts are nil when the export left them out; optional text is
// empty when absent.
type Case struct {
	Reference      string
	UpdateSequence int
	Route          Route
	CaseType       Code
	RecipientRole  string // ConsumerArea, TraderArea, Both or empty
	ReceivedAt     time.Time
	Channel        string
	Consumer       *Consumer
	Trader         *Trader
	Purchase       *Purchase
	Complaint      *Complaint
	Agencies       []Agency
	Notes          []Note

	// Line and Column locate the Case start tag in the file.
	Line, Column int
	// Digest is a hash of the case's decoded content, used to tell a
	// repeated reference in one file with the same content from a
	// conflicting one. It is keyed per process: compare it only within
	// one, and keep it out of what is stored.
	Digest uint64 `json:"-"`
}

// Code is a coded value: the code as sent and its label (the element text).
type Code struct {
	Code  string
	Label string
}

// Consumer is the person who contacted CACS.
type Consumer struct {
	Title            string
	Forename         string
	Surname          string
	Address          *Address
	Telephone        string
	Email            string
	AgeBand          string
	Vulnerable       *bool
	VulnerableReason string
	ContactConsent   *bool
}

// Trader is the business complained about.
type Trader struct {
	Name      string
	TradingAs string
	// CompanyNumber is normalised (see NormalizeCompanyNumber) when it has
	// the shape of one (CompanyNumberValid true); otherwise it is kept as
	// written, and never matched on.
	CompanyNumber      string
	CompanyNumberValid bool
	Address            *Address
	Telephone          string
	Email              string
	Website            string
}

// Address is a postal address. Postcode is normalised when it has the UK
// shape (PostcodeValid true); otherwise it is kept as written.
type Address struct {
	Lines         []string
	Town          string
	County        string
	Postcode      string
	PostcodeValid bool
	UPRN          string
}

// Purchase is what the consumer bought.
type Purchase struct {
	Date        *time.Time // a calendar date at 00:00 UTC
	Amount      *Money
	Product     *Code
	Method      *Code
	Payment     *Code
	Description string
}

// Money is an exact amount in a currency (ISO 4217, default GBP).
type Money struct {
	Amount   decimal.Decimal
	Currency string
}

// Complaint is how CACS classified the case and what it advised.
type Complaint struct {
	Codes       []Code
	Scam        *Code
	Breach      string // None, Civil, Criminal or empty
	Detriment   *Money
	Summary     string
	AdviceGiven string
}

// Agency is another body the case was referred to, from, or signposted to.
type Agency struct {
	Role string // ReferredTo, ReferredFrom or SignpostedTo
	Name string
}

// Note is a free-text note from the CACS adviser.
type Note struct {
	At   *time.Time
	Text string
}
