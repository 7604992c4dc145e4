package repository

import (
	"context"
	"fmt"
)

// maxPossibleMatches bounds the candidates recorded for one new contact, so
// that a common surname or a shared switchboard number cannot flood the
// officers' list.
const maxPossibleMatches = 10

// Each rule looks up its own most recent candidates through an index that
// ends in id, so that a number or name thousands of contacts share (a
// switchboard, a chain) costs no more than a rare one.

// A new consumer resembles an existing one with the same email (which did
// not merge because a name differs), the same surname and postcode
// (another or no initial, or another email), the same surname and initial
// where either has no postcode, or the same telephone number.
const consumerPossibleSQL = `
INSERT INTO possible_match (kind, contact_id, candidate_contact_id, rule,
    service_request_id, import_file_id)
SELECT 'consumer', $1, id, rule, $5, $6
FROM (
    SELECT DISTINCT ON (id) id, rule FROM (
        (SELECT id, 'email' AS rule, 1 AS rank FROM contact
         WHERE kind = 'consumer' AND email_norm = $8 AND id <> $1 AND anonymised_at IS NULL
         ORDER BY id DESC LIMIT $7)
        UNION ALL
        (SELECT id, 'surname_postcode', 2 FROM contact
         WHERE kind = 'consumer' AND surname_norm = $2 AND postcode_norm = $3
           AND id <> $1 AND anonymised_at IS NULL
         ORDER BY id DESC LIMIT $7)
        UNION ALL
        (SELECT id, 'name', 3 FROM contact
         WHERE kind = 'consumer' AND surname_norm = $2 AND initial = $9
           AND (postcode_norm IS NULL OR $3::text IS NULL)
           AND id <> $1 AND anonymised_at IS NULL
         ORDER BY id DESC LIMIT $7)
        UNION ALL
        (SELECT id, 'telephone', 4 FROM contact
         WHERE kind = 'consumer' AND phone_norm = $4 AND id <> $1 AND anonymised_at IS NULL
         ORDER BY id DESC LIMIT $7)
    ) u
    ORDER BY id, rank
) c
ORDER BY id DESC
LIMIT $7
ON CONFLICT (contact_id, candidate_contact_id) DO NOTHING
RETURNING id, candidate_contact_id, rule`

// A new trader resembles an existing one with the same name (legal form,
// "&", punctuation and case aside) that did not merge: at another
// postcode, where either has none, or written differently; unless their
// company numbers say they are different companies. Or with the same
// telephone number.
const traderPossibleSQL = `
INSERT INTO possible_match (kind, contact_id, candidate_contact_id, rule,
    service_request_id, import_file_id)
SELECT 'trader', $1, id, rule, $4, $5
FROM (
    SELECT DISTINCT ON (id) id, rule FROM (
        (SELECT id, 'name' AS rule, 1 AS rank FROM contact
         WHERE kind = 'trader' AND name_norm = $2 AND id <> $1 AND anonymised_at IS NULL
           AND (company_number_valid IS NOT TRUE OR $6::text IS NULL OR company_number = $6)
         ORDER BY id DESC LIMIT $7)
        UNION ALL
        (SELECT id, 'telephone', 2 FROM contact
         WHERE kind = 'trader' AND phone_norm = $3 AND id <> $1 AND anonymised_at IS NULL
         ORDER BY id DESC LIMIT $7)
    ) u
    ORDER BY id, rank
) c
ORDER BY id DESC
LIMIT $7
ON CONFLICT (contact_id, candidate_contact_id) DO NOTHING
RETURNING id, candidate_contact_id, rule`

// recordPossibleMatches records, for a contact the import just created,
// the existing contacts it resembles too weakly to merge with.
func (im *Import) recordPossibleMatches(ctx context.Context, ct *contact, requestID int64,
	log *auditLog) error {
	query, args := consumerPossibleSQL, []any{ct.ID, ct.SurnameNorm, ct.PostcodeNorm,
		ct.PhoneNorm, requestID, im.fileID, maxPossibleMatches, ct.EmailNorm, ct.Initial}
	if ct.Kind == kindTrader {
		query, args = traderPossibleSQL, []any{ct.ID, ct.NameNorm, ct.PhoneNorm,
			requestID, im.fileID, ct.companyKey(), maxPossibleMatches}
	}
	var found []struct {
		ID          int64  `db:"id"`
		CandidateID int64  `db:"candidate_contact_id"`
		Rule        string `db:"rule"`
	}
	if err := im.tx.SelectContext(ctx, &found, query, args...); err != nil {
		return fmt.Errorf("record possible matches: %w", err)
	}
	for _, f := range found {
		log.add(auditPossibleMatch, "possible_match", f.ID, map[string]any{
			"kind": ct.Kind, "contact_id": ct.ID, "candidate_contact_id": f.CandidateID,
			"rule": f.Rule, "decision": "not merged; left for an officer",
		})
	}
	return nil
}
