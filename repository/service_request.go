package repository

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"cacsd/mapping"
)

// Action says what Merge did with a case.
type Action string

// The actions Merge reports.
const (
	// ActionCreated: the reference was new; a service request was created.
	ActionCreated Action = "created"
	// ActionUpdated: the case had a higher update sequence than the stored
	// request, which now holds the new version.
	ActionUpdated Action = "updated"
	// ActionUnchanged: the case's sequence was not higher than the stored
	// one (a late or repeated delivery); nothing was written.
	ActionUnchanged Action = "unchanged"
)

// sourceCACS is the source of every request this package writes.
const sourceCACS = "CACS"

// request is a row of the service_request table.
type request struct {
	ID             int64     `db:"id"`
	ImportID       int64     `db:"import_id"`
	CaseReference  string    `db:"case_reference"`
	UpdateSequence int       `db:"update_sequence"`
	Route          string    `db:"route"`
	CaseTypeCode   string    `db:"case_type_code"`
	CaseTypeLabel  *string   `db:"case_type_label"`
	CaseTypeKnown  bool      `db:"case_type_known"`
	RecipientRole  *string   `db:"recipient_role"`
	ReceivedAt     time.Time `db:"received_at"`
	Channel        *string   `db:"channel"`
	CustodianCode  *string   `db:"custodian_code"`

	ConsumerContactID *int64  `db:"consumer_contact_id"`
	ConsumerMatchRule *string `db:"consumer_match_rule"`
	TraderContactID   *int64  `db:"trader_contact_id"`
	TraderMatchRule   *string `db:"trader_match_rule"`
	PremisesID        *int64  `db:"premises_id"`

	PurchaseDate        *string             `db:"purchase_date"` // YYYY-MM-DD
	PurchaseAmount      decimal.NullDecimal `db:"purchase_amount"`
	PurchaseCurrency    *string             `db:"purchase_currency"`
	ProductCode         *string             `db:"product_code"`
	ProductLabel        *string             `db:"product_label"`
	ProductKnown        *bool               `db:"product_known"`
	PurchaseMethodCode  *string             `db:"purchase_method_code"`
	PurchaseMethodLabel *string             `db:"purchase_method_label"`
	PurchaseMethodKnown *bool               `db:"purchase_method_known"`
	PaymentMethodCode   *string             `db:"payment_method_code"`
	PaymentMethodLabel  *string             `db:"payment_method_label"`
	PaymentMethodKnown  *bool               `db:"payment_method_known"`
	PurchaseDescription *string             `db:"purchase_description"`

	Breach            *string             `db:"breach"`
	DetrimentAmount   decimal.NullDecimal `db:"detriment_amount"`
	DetrimentCurrency *string             `db:"detriment_currency"`
	ScamCode          *string             `db:"scam_code"`
	ScamLabel         *string             `db:"scam_label"`
	ScamKnown         *bool               `db:"scam_known"`
	Summary           *string             `db:"summary"`
	AdviceGiven       *string             `db:"advice_given"`

	Vulnerable       *bool   `db:"vulnerable"`
	VulnerableReason *string `db:"vulnerable_reason"`
	ContactConsent   *bool   `db:"contact_consent"`
	AgeBand          *string `db:"age_band"`

	// Set when the request is created, by the assignment rules.
	AssignedOfficerID *int64 `db:"assigned_officer_id"`
	AssignedQueue     string `db:"assigned_queue"`
	AssignmentRuleID  *int64 `db:"assignment_rule_id"`
}

// Merge folds one case into the service requests: a new reference creates
// a request, a higher update sequence updates it, anything else changes
// nothing. Every stored version is kept in case_version. exp is the
// header of the file the case came from and custodian the authority the
// caller decided the case is for.
//
// Merges of different files are serialised (see mergeLockID): Merge waits
// for any other file's merge to commit.
func (im *Import) Merge(ctx context.Context, exp *mapping.Export, custodian string,
	c *mapping.Case) (Action, error) {
	acts, err := im.MergeAll(ctx, exp, custodian, []*mapping.Case{c})
	if err != nil {
		return "", err
	}
	return acts[0], nil
}

// MaxMergeAll is the number of cases worth passing to MergeAll at once: the
// number of cases whose rows are written together.
const MaxMergeAll = maxPendingCases

// MergeAll folds cases into the service requests in order, as Merge does
// one at a time, but looks up the requests of all of them at once. It
// returns what it did with each case.
func (im *Import) MergeAll(ctx context.Context, exp *mapping.Export, custodian string,
	cases []*mapping.Case) ([]Action, error) {
	if im.finished {
		return nil, errFinished
	}
	refs := make([]string, len(cases))
	for i, c := range cases {
		if c == nil || c.Reference == "" {
			return nil, errors.New("merge case: no case reference")
		}
		refs[i] = c.Reference
	}
	if len(cases) == 0 {
		return nil, nil
	}
	if !im.merging {
		if err := xactLock(ctx, im.tx.Tx, mergeLockID); err != nil {
			return nil, fmt.Errorf("merge case %s: %w", refs[0], err)
		}
		im.merging = true
	}
	stored, err := im.lockRequests(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("merge case %s: %w", refs[0], err)
	}

	acts := make([]Action, len(cases))
	for i, c := range cases {
		cur, exists := stored[c.Reference]
		act, after, err := im.merge(ctx, custodian, c, cur, exists)
		var batch *WriteCasesError
		if errors.As(err, &batch) {
			return nil, err // names the cases whose rows it could not write
		}
		if err != nil {
			return nil, &MergeCaseError{Reference: c.Reference, err: err}
		}
		stored[c.Reference] = after

		im.sum.Cases++
		im.sum.UnknownCodes += im.codes.unknownIn(c)
		switch act {
		case ActionCreated:
			im.sum.Created++
		case ActionUpdated:
			im.sum.Updated++
		case ActionUnchanged:
			im.sum.Unchanged++
		}
		acts[i] = act
	}
	return acts, im.analyzeGrowth(ctx)
}

// minAnalyzeAt is the fewest cases an import merges before it analyses the
// tables it writes (see analyzeGrowth).
var minAnalyzeAt int64 = 2000

// analyzeGrowth brings the planner's statistics up to date once an import
// has merged as many cases as the database held requests when it began
// (and at least minAnalyzeAt), and again each time that count doubles. The
// import's statements keep the plans made for the tables as they were; on
// a new database those are plans for empty tables, which read whole tables
// once they are large. Run in the transaction, ANALYZE sees the import's
// own rows, and the plans are made afresh.
//
// ANALYZE takes a lock that VACUUM and CREATE INDEX CONCURRENTLY take too,
// and holds it to the end of the import. SKIP_LOCKED passes over a table
// one of them holds rather than waiting, with the merge lock held, behind
// a VACUUM, or deadlocking with an index build that waits for the import.
// A table the database role does not own is passed over with a warning
// too; either way the import goes on with the plans it has.
func (im *Import) analyzeGrowth(ctx context.Context) error {
	if int64(im.sum.Cases) < im.analyzeAt {
		return nil
	}
	im.analyzeAt = 2 * int64(im.sum.Cases)
	_, err := im.tx.Tx.ExecContext(ctx, analyzeSQL)
	if err != nil {
		return fmt.Errorf("analyze tables: %w", err)
	}
	return nil
}

const analyzeSQL = `ANALYZE (SKIP_LOCKED) contact, premises, service_request, possible_match, action`

// MergeCaseError is a failure to merge the case Reference, a statement of
// its own that the database refused or could not run.
type MergeCaseError struct {
	Reference string
	err       error
}

func (e *MergeCaseError) Error() string {
	return fmt.Sprintf("merge case %s: %v", e.Reference, e.err)
}

func (e *MergeCaseError) Unwrap() error { return e.err }

// storedRequest is what a merge needs to know of a stored request.
type storedRequest struct {
	Reference  string `db:"case_reference"`
	ID         int64  `db:"id"`
	Seq        int    `db:"update_sequence"`
	Anonymised bool   `db:"anonymised"`
	Closed     bool   `db:"closed"`
}

// Locked in the order of their ids, as every import locks them.
const lockRequestsSQL = `
SELECT case_reference, id, update_sequence, anonymised_at IS NOT NULL AS anonymised,
    status = 'closed' AS closed
FROM service_request
WHERE source = $1 AND case_reference = ANY($2)
ORDER BY id
FOR UPDATE`

// lockRequests locks the stored requests of the references refs, and
// returns them by reference.
func (im *Import) lockRequests(ctx context.Context, refs []string) (map[string]storedRequest, error) {
	var rows []storedRequest
	err := im.tx.SelectContext(ctx, &rows, lockRequestsSQL, sourceCACS, pq.StringArray(refs))
	if err != nil {
		return nil, fmt.Errorf("look up requests: %w", err)
	}
	stored := make(map[string]storedRequest, len(refs))
	for _, r := range rows {
		stored[r.Reference] = r
	}
	return stored, nil
}

// merge folds case c into its request, stored as cur when exists, and
// returns what it did and the request as it now stands.
func (im *Import) merge(ctx context.Context, custodian string, c *mapping.Case,
	cur storedRequest, exists bool) (Action, storedRequest, error) {
	act, err := im.mergeCase(ctx, custodian, c, &cur, exists)
	if err == nil && act != ActionUnchanged {
		// Created, or updated (and so reopened); an anonymised request is
		// never updated.
		cur = storedRequest{Reference: c.Reference, ID: cur.ID, Seq: c.UpdateSequence}
	}
	return act, cur, err
}

// mergeCase does merge's work; for a new request, it sets cur.ID.
//
// TODO: a case still takes a round trip of its own (linkCase: its
// consumer, trader, premises and new request row), and one more for each
// contact or premises filled in, an update of a stored request and a
// possible duplicate looked for, so an import runs some thirty times
// slower than reading the file and five times slower than loading its
// rows by COPY. Closing that needs cases merged a batch at a time:
// matching candidates read for the whole batch and matched in memory, and
// new rows inserted together. That moves the matching rules out of SQL
// into Go.
func (im *Import) mergeCase(ctx context.Context, custodian string, c *mapping.Case,
	cur *storedRequest, exists bool) (Action, error) {
	// The same reference earlier in the file: what it wrote must be in
	// place before this case reads or replaces it.
	if exists && im.pending.waiting(cur.ID) {
		if err := im.flush(ctx); err != nil {
			return "", err
		}
	}
	log := &auditLog{requestID: cur.ID}
	// A request retention has anonymised takes no new personal data.
	if exists && (c.UpdateSequence <= cur.Seq || cur.Anonymised) {
		// An earlier version that arrives late (two workers, or a resend)
		// changes nothing, but joins the request's history.
		history := !cur.Anonymised && c.UpdateSequence < cur.Seq
		if history {
			if err := im.insertVersion(ctx, cur.ID, c); err != nil {
				return "", err
			}
		}
		log.add(auditUnchanged, "service_request", cur.ID, map[string]any{
			"update_sequence": c.UpdateSequence, "stored_sequence": cur.Seq,
			"anonymised": cur.Anonymised, "kept_as_history": history,
		})
		return ActionUnchanged, im.finishCase(ctx, cur.ID, ActionUnchanged, nil, log)
	}

	authority, by, err := im.authorities.place(custodian, c)
	if err != nil {
		return "", err
	}
	im.placed[authority] = true

	var created []*contact
	r := im.newRequest(authority, c)
	act := ActionCreated
	if exists {
		err = im.linkCase(ctx, r, c.Consumer, c.Trader, false, log, &created)
		r.ID, act = cur.ID, ActionUpdated
		if err == nil && cur.Closed {
			err = im.reopen(ctx, r.ID)
		}
		if err == nil {
			err = im.updateRequest(ctx, r)
		}
	} else {
		// The assignment is decided before the request's row goes in with
		// its links, and audited after the matches, as it happened.
		var assigned auditLog
		assign(im.rules, c, r, &assigned)
		err = im.linkCase(ctx, r, c.Consumer, c.Trader, true, log, &created)
		log.events = append(log.events, assigned.events...)
	}
	if err != nil {
		return "", err
	}
	log.requestID, cur.ID = r.ID, r.ID
	event := auditCreate
	if exists {
		event = auditUpdate
	}
	log.add(event, "service_request", r.ID, map[string]any{
		"update_sequence": c.UpdateSequence, "custodian_code": authority,
		"authority_from": by,
	})

	if err := im.writeDetails(ctx, r.ID, c, exists); err != nil {
		return "", err
	}
	if err := im.insertVersion(ctx, r.ID, c); err != nil {
		return "", err
	}
	for _, ct := range created {
		im.pending.possibleMatch(ct, r.ID)
	}
	// A contact this case created has no other request, so no duplicate.
	if len(created) == 0 {
		if err := im.flagDuplicates(ctx, r, log); err != nil {
			return "", err
		}
	}
	return act, im.finishCase(ctx, r.ID, act, im.actionsFor(c), log)
}

// newRequest builds the row for c; linkCase links its consumer, trader and
// premises.
func (im *Import) newRequest(custodian string, c *mapping.Case) *request {
	ct := im.codes.lookup(kindCaseType, &c.CaseType)
	r := &request{
		ImportID:       im.fileID,
		CaseReference:  c.Reference,
		UpdateSequence: c.UpdateSequence,
		Route:          string(c.Route),
		CaseTypeCode:   c.CaseType.Code,
		CaseTypeLabel:  ct.Label,
		CaseTypeKnown:  ct.Known != nil && *ct.Known,
		RecipientRole:  optString(c.RecipientRole),
		ReceivedAt:     c.ReceivedAt,
		Channel:        optString(c.Channel),
		CustodianCode:  optString(custodian),
	}
	r.setPurchase(im.codes, c.Purchase)
	r.setComplaint(im.codes, c.Complaint)
	if p := c.Consumer; p != nil {
		r.Vulnerable, r.ContactConsent = p.Vulnerable, p.ContactConsent
		r.VulnerableReason, r.AgeBand = optString(p.VulnerableReason), optString(p.AgeBand)
	}
	return r
}

func (r *request) setPurchase(b codeBook, p *mapping.Purchase) {
	if p == nil {
		return
	}
	if p.Date != nil {
		r.PurchaseDate = optString(p.Date.UTC().Format(time.DateOnly))
	}
	r.PurchaseAmount, r.PurchaseCurrency = money(p.Amount)
	pc := b.lookup(kindProduct, p.Product)
	r.ProductCode, r.ProductLabel, r.ProductKnown = pc.Code, pc.Label, pc.Known
	mc := b.lookup(kindPurchaseMethod, p.Method)
	r.PurchaseMethodCode, r.PurchaseMethodLabel, r.PurchaseMethodKnown =
		mc.Code, mc.Label, mc.Known
	yc := b.lookup(kindPaymentMethod, p.Payment)
	r.PaymentMethodCode, r.PaymentMethodLabel, r.PaymentMethodKnown =
		yc.Code, yc.Label, yc.Known
	r.PurchaseDescription = optString(p.Description)
}

func (r *request) setComplaint(b codeBook, cp *mapping.Complaint) {
	if cp == nil {
		return
	}
	sc := b.lookup(kindScam, cp.Scam)
	r.ScamCode, r.ScamLabel, r.ScamKnown = sc.Code, sc.Label, sc.Known
	r.Breach = optString(cp.Breach)
	r.DetrimentAmount, r.DetrimentCurrency = money(cp.Detriment)
	r.Summary = optString(cp.Summary)
	r.AdviceGiven = optString(cp.AdviceGiven)
}

func money(m *mapping.Money) (decimal.NullDecimal, *string) {
	if m == nil {
		return decimal.NullDecimal{}, nil
	}
	return decimal.NullDecimal{Decimal: m.Amount, Valid: true}, optString(m.Currency)
}

const updateRequestSQL = `
UPDATE service_request SET
    update_sequence = :update_sequence, route = :route,
    case_type_code = :case_type_code, case_type_label = :case_type_label,
    case_type_known = :case_type_known, recipient_role = :recipient_role,
    received_at = :received_at, channel = :channel,
    custodian_code = :custodian_code,
    consumer_contact_id = :consumer_contact_id,
    consumer_match_rule = :consumer_match_rule,
    trader_contact_id = :trader_contact_id,
    trader_match_rule = :trader_match_rule, premises_id = :premises_id,
    purchase_date = :purchase_date, purchase_amount = :purchase_amount,
    purchase_currency = :purchase_currency,
    product_code = :product_code, product_label = :product_label,
    product_known = :product_known,
    purchase_method_code = :purchase_method_code,
    purchase_method_label = :purchase_method_label,
    purchase_method_known = :purchase_method_known,
    payment_method_code = :payment_method_code,
    payment_method_label = :payment_method_label,
    payment_method_known = :payment_method_known,
    purchase_description = :purchase_description, breach = :breach,
    detriment_amount = :detriment_amount,
    detriment_currency = :detriment_currency,
    scam_code = :scam_code, scam_label = :scam_label, scam_known = :scam_known,
    summary = :summary, advice_given = :advice_given,
    vulnerable = :vulnerable, vulnerable_reason = :vulnerable_reason,
    contact_consent = :contact_consent, age_band = :age_band,
    last_import_id = :import_id, updated_at = now()
WHERE id = :id`

// An update from CACS reopens a closed request: it holds news an officer
// has not seen, and retention must not count from the old closing. The
// status trigger audits the reopening, as done by this import.
const reopenRequestSQL = `
UPDATE service_request SET status = 'open'
WHERE id = $1 AND set_config('cacsd.actor', $2, true) IS NOT NULL
  AND set_config('cacsd.import_file_id', $3, true) IS NOT NULL`

func (im *Import) reopen(ctx context.Context, id int64) error {
	_, err := im.tx.ExecContext(ctx, reopenRequestSQL, id, importActor(im.fileID),
		strconv.FormatInt(im.fileID, 10))
	if err != nil {
		return fmt.Errorf("reopen request: %w", err)
	}
	return nil
}

func (im *Import) updateRequest(ctx context.Context, r *request) error {
	if _, err := im.tx.NamedExecContext(ctx, updateRequestSQL, r); err != nil {
		return fmt.Errorf("update request: %w", err)
	}
	return nil
}
