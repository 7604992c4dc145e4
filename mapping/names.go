package mapping

// Element and attribute names of the export format, matched by local name
// whatever the namespace or prefix. This file is the only place in the
// package that spells them.
const (
	elemCaseExport     = "CaseExport"
	attrVersion        = "version"
	attrExportID       = "exportId"
	attrGenerated      = "generated"
	elemRecipient      = "Recipient"
	attrCustodianCode  = "custodianCode"
	elemCase           = "Case"
	elemCaseReference  = "CaseReference"
	elemUpdateSequence = "UpdateSequence"
	elemRoute          = "Route"
	elemCaseType       = "CaseType"
	elemRecipientRole  = "RecipientRole"
	elemReceivedAt     = "ReceivedAt"
	elemChannel        = "Channel"
	attrCode           = "code"
	attrCurrency       = "currency"

	elemConsumer       = "Consumer"
	elemTitle          = "Title"
	elemForename       = "Forename"
	elemSurname        = "Surname"
	elemTelephone      = "Telephone"
	elemEmail          = "Email"
	elemAgeBand        = "AgeBand"
	elemVulnerable     = "Vulnerable"
	attrReason         = "reason"
	elemContactConsent = "ContactConsent"

	elemTrader        = "Trader"
	elemName          = "Name"
	elemTradingAs     = "TradingAs"
	elemCompanyNumber = "CompanyNumber"
	elemWebsite       = "Website"

	elemAddress  = "Address"
	elemLine     = "Line"
	elemTown     = "Town"
	elemCounty   = "County"
	elemPostcode = "Postcode"
	elemUPRN     = "UPRN"

	elemPurchase    = "Purchase"
	elemDate        = "Date"
	elemAmount      = "Amount"
	elemProduct     = "Product"
	elemMethod      = "Method"
	elemPayment     = "Payment"
	elemDescription = "Description"

	elemComplaint   = "Complaint"
	elemCode        = "Code"
	elemScam        = "Scam"
	elemBreach      = "Breach"
	elemDetriment   = "Detriment"
	elemSummary     = "Summary"
	elemAdviceGiven = "AdviceGiven"

	elemAgencies = "Agencies"
	elemAgency   = "Agency"
	attrRole     = "role"
	elemNotes    = "Notes"
	elemNote     = "Note"
	attrAt       = "at"
)

// knownElements are the format's element names: the only ones a problem
// message may quote from a tag. Any other "element" may be a word of free
// text that followed an unescaped "<", a person's name among them.
var knownElements = map[string]bool{
	elemCaseExport: true, elemRecipient: true, elemCase: true, elemCaseReference: true,
	elemUpdateSequence: true, elemRoute: true, elemCaseType: true, elemRecipientRole: true,
	elemReceivedAt: true, elemChannel: true, elemConsumer: true, elemTitle: true,
	elemForename: true, elemSurname: true, elemTelephone: true, elemEmail: true,
	elemAgeBand: true, elemVulnerable: true, elemContactConsent: true, elemTrader: true,
	elemName: true, elemTradingAs: true, elemCompanyNumber: true, elemWebsite: true,
	elemAddress: true, elemLine: true, elemTown: true, elemCounty: true, elemPostcode: true,
	elemUPRN: true, elemPurchase: true, elemDate: true, elemAmount: true, elemProduct: true,
	elemMethod: true, elemPayment: true, elemDescription: true, elemComplaint: true,
	elemCode: true, elemScam: true, elemBreach: true, elemDetriment: true,
	elemSummary: true, elemAdviceGiven: true, elemAgencies: true, elemAgency: true,
	elemNotes: true, elemNote: true,
}

// knownAttributes are the format's attribute names, as knownElements are
// its element names.
var knownAttributes = map[string]bool{
	attrVersion: true, attrExportID: true, attrGenerated: true, attrCustodianCode: true,
	attrCode: true, attrCurrency: true, attrReason: true, attrRole: true, attrAt: true,
}

// Values of the enumerated fields, as the format spells them.
var (
	routes = []string{
		string(RouteReferral), string(RouteNotification), string(RouteSignposting),
	}
	recipientRoles = []string{"ConsumerArea", "TraderArea", "Both"}
	channels       = []string{"Telephone", "Email", "Webform", "Webchat", "Letter", "Visit"}
	ageBands       = []string{
		"Under 18", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+",
	}
	breaches    = []string{"None", "Civil", "Criminal"}
	agencyRoles = []string{"ReferredTo", "ReferredFrom", "SignpostedTo"}
)

// traderCaseTypePrefix marks the case types that complain about a business
// and so must carry a Trader.
const traderCaseTypePrefix = "TC-"

// defaultCurrency applies to money with no currency attribute.
const defaultCurrency = "GBP"
