package repository

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"cacsd/mapping"
)

// stmtBuilder builds a statement of WITH parts and its arguments together,
// numbering the parameters as it goes. The same shape of case builds the
// same text, so the statement is prepared once per shape.
type stmtBuilder struct {
	parts []string
	args  []any
}

// arg adds v as the next parameter and returns its placeholder.
func (b *stmtBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// list adds values as parameters, each followed by its SQL type, and
// returns their placeholders with casts, separated by commas.
func (b *stmtBuilder) list(valuesAndTypes ...any) string {
	var out []string
	for i := 0; i+1 < len(valuesAndTypes); i += 2 {
		out = append(out, b.arg(valuesAndTypes[i])+"::"+valuesAndTypes[i+1].(string))
	}
	return strings.Join(out, ", ")
}

// fill replaces each {name} in query that keys holds with a parameter for
// its value, one parameter per name however often it appears, numbered in
// the order the names first appear. Braces around other text are left.
func (b *stmtBuilder) fill(query string, keys map[string]any) string {
	var out strings.Builder
	placed := map[string]string{}
	for {
		i := strings.IndexByte(query, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(query[i:], '}')
		if j < 0 {
			break
		}
		name := query[i+1 : i+j]
		v, ok := keys[name]
		if !ok {
			out.WriteString(query[:i+j+1])
			query = query[i+j+1:]
			continue
		}
		ph, done := placed[name]
		if !done {
			ph = b.arg(v)
			placed[name] = ph
		}
		out.WriteString(query[:i])
		out.WriteString(ph)
		query = query[i+j+1:]
	}
	out.WriteString(query)
	return out.String()
}

// with adds the WITH part name AS (query).
func (b *stmtBuilder) with(name, query string) {
	b.parts = append(b.parts, name+" AS ("+query+"\n)")
}

// sql is the statement: the WITH parts, then main.
func (b *stmtBuilder) sql(main string) string {
	return "WITH " + strings.Join(b.parts, ",\n") + "\n" + main
}

// linked is what a case's statement returns (see linkCase).
type linked struct {
	Consumer  []byte `db:"consumer"` // JSON of a matched, or NULL
	Trader    []byte `db:"trader"`
	Premises  []byte `db:"premises"` // JSON of a foundPremises, or NULL
	RequestID *int64 `db:"request_id"`
}

// requestValuesSQL inserts a new request's row, named parameters for its
// fields and {marks} for its links to the consumer, trader and premises.
const requestValuesSQL = `
    INSERT INTO service_request (
        source, case_reference, update_sequence, route, case_type_code,
        case_type_label, case_type_known, recipient_role, received_at, channel,
        custodian_code, consumer_contact_id, consumer_match_rule,
        trader_contact_id, trader_match_rule, premises_id,
        purchase_date, purchase_amount, purchase_currency,
        product_code, product_label, product_known,
        purchase_method_code, purchase_method_label, purchase_method_known,
        payment_method_code, payment_method_label, payment_method_known,
        purchase_description, breach, detriment_amount, detriment_currency,
        scam_code, scam_label, scam_known, summary, advice_given,
        vulnerable, vulnerable_reason, contact_consent, age_band,
        assigned_officer_id, assigned_queue, assignment_rule_id,
        created_import_id, last_import_id)
    VALUES (
        'CACS', :case_reference, :update_sequence, :route, :case_type_code,
        :case_type_label, :case_type_known, :recipient_role, :received_at, :channel,
        :custodian_code, {consumer_id}, {consumer_rule},
        {trader_id}, {trader_rule}, {premises_id},
        :purchase_date, :purchase_amount, :purchase_currency,
        :product_code, :product_label, :product_known,
        :purchase_method_code, :purchase_method_label, :purchase_method_known,
        :payment_method_code, :payment_method_label, :payment_method_known,
        :purchase_description, :breach, :detriment_amount, :detriment_currency,
        :scam_code, :scam_label, :scam_known, :summary, :advice_given,
        :vulnerable, :vulnerable_reason, :contact_consent, :age_band,
        :assigned_officer_id, :assigned_queue, :assignment_rule_id,
        :import_id, :import_id)
    RETURNING id`

// linkCase links r to the case's consumer and trader and the trader's
// premises, finding or creating each, and, with insert, inserts r as a new
// request and sets r.ID. Contacts it creates are added to created; matches
// are recorded in log.
//
// It takes one statement, one round trip, where the four parts once took
// one each: the parts are WITH parts of the statement, and the request
// row points at what they found or made. What the statement found is then
// settled in Go: contacts and premises get what they lacked, and the
// matches are audited, in the order the parts once ran.
func (im *Import) linkCase(ctx context.Context, r *request, consumer *mapping.Consumer,
	trader *mapping.Trader, insert bool, log *auditLog, created *[]*contact) error {
	var b stmtBuilder
	ids := map[string]string{
		"{consumer_id}": "NULL::bigint", "{consumer_rule}": "NULL::text",
		"{trader_id}": "NULL::bigint", "{trader_rule}": "NULL::text",
		"{premises_id}": "NULL::bigint",
	}
	cin := consumerContact(consumer)
	if cin != nil {
		consumerMatch.findOrCreate(&b, "c", cin)
		ids["{consumer_id}"], ids["{consumer_rule}"] = "(SELECT id FROM c)", "(SELECT rule FROM c)"
	}
	var tin *contact
	if trader != nil {
		tin = traderContact(trader)
	}
	if tin != nil {
		traderMatch.findOrCreate(&b, "t", tin)
		ids["{trader_id}"], ids["{trader_rule}"] = "(SELECT id FROM t)", "(SELECT rule FROM t)"
	}
	// Premises from the trader's address; without one that can identify
	// them, the trader's own "address unknown" premises.
	var pin *premises
	linkPremises := false
	if trader != nil {
		pin = newPremises(trader.Address, nil)
		switch {
		case pin != nil:
			findOrCreatePremises(&b, "p", pin, ids["{trader_id}"])
			linkPremises = true
		case tin != nil:
			addressUnknownPremises(&b, "p", trader.Address, ids["{trader_id}"])
			linkPremises = true
		}
	}
	if linkPremises {
		ids["{premises_id}"] = "(SELECT id FROM p)"
	}
	if insert {
		if err := b.insertRequest(r, ids); err != nil {
			return err
		}
	}
	if len(b.parts) == 0 {
		return nil // a case with no consumer, no trader, and a request to update
	}

	part := func(present bool, table, column string) string {
		if !present {
			return "NULL::json AS " + column
		}
		return "(SELECT row_to_json(x) FROM " + table + " x) AS " + column
	}
	request := "NULL::bigint AS request_id"
	if insert {
		request = "(SELECT id FROM r) AS request_id"
	}
	main := "SELECT " + strings.Join([]string{part(cin != nil, "c", "consumer"),
		part(tin != nil, "t", "trader"), part(linkPremises, "p", "premises"), request}, ", ")

	var got linked
	if err := im.tx.GetContext(ctx, &got, b.sql(main), b.args...); err != nil {
		return fmt.Errorf("link case: %w", err)
	}
	if insert {
		if got.RequestID == nil {
			return fmt.Errorf("link case: no request id returned")
		}
		r.ID = *got.RequestID
	}

	// Settled in the order the parts were once looked up one by one, so
	// that the audit trail reads the same: consumer, trader, premises.
	for _, c := range []struct {
		in   *contact
		data []byte
		id   **int64
		rule **string
	}{
		{cin, got.Consumer, &r.ConsumerContactID, &r.ConsumerMatchRule},
		{tin, got.Trader, &r.TraderContactID, &r.TraderMatchRule},
	} {
		if c.in == nil {
			continue
		}
		var m matched
		if err := json.Unmarshal(c.data, &m); err != nil {
			return fmt.Errorf("link case: read %s: %w", c.in.Kind, err)
		}
		id, rule, err := im.settleContact(ctx, c.in, &m, log, created)
		if err != nil {
			return err
		}
		*c.id, *c.rule = id, rule
	}
	if linkPremises {
		var fp foundPremises
		if err := json.Unmarshal(got.Premises, &fp); err != nil {
			return fmt.Errorf("link case: read premises: %w", err)
		}
		if pin != nil {
			pin.TraderContactID = r.TraderContactID
		}
		id, err := im.settlePremises(ctx, pin, &fp)
		if err != nil {
			return err
		}
		r.PremisesID = id
	}
	return nil
}

// insertRequest adds to b the part r that inserts the new request r, its
// links to consumer, trader and premises given by ids as SQL.
func (b *stmtBuilder) insertRequest(r *request, ids map[string]string) error {
	q, args, err := sqlx.Named(requestValuesSQL, r)
	if err != nil {
		return fmt.Errorf("insert request: %w", err)
	}
	// sqlx.Named writes ? for each parameter: number them on from the
	// parts before.
	parts := strings.Split(q, "?")
	if len(parts) != len(args)+1 {
		return fmt.Errorf("insert request: %d parameters for %d values", len(parts)-1, len(args))
	}
	var out strings.Builder
	for i, part := range parts {
		if i > 0 {
			out.WriteString(b.arg(args[i-1]))
		}
		out.WriteString(part)
	}
	pairs := make([]string, 0, 2*len(ids))
	for k, v := range ids {
		pairs = append(pairs, k, v)
	}
	b.with("r", strings.NewReplacer(pairs...).Replace(out.String()))
	return nil
}
