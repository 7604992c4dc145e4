package repository

import (
	"database/sql"
)

// maxPossibleMatches bounds the candidates recorded for one new contact, so
// that a common surname or a shared switchboard number cannot flood the
// officers' list.
const maxPossibleMatches = 10

// Each rule looks up its own most recent candidates through an index that
// ends in id, so that a number or name thousands of contacts share (a
// switchboard, a chain) costs no more than a rare one.

// The possible matches of the contacts a batch of cases created are found
// when the batch is written (see flushSQL), in one statement: for each new
// contact, the contacts created before it that it resembles. Under the
// merge lock those are the contacts that existed when its case was merged,
// compared as they stand when the batch is written: what a later case in
// the batch added to a candidate counts, a company number that tells them
// apart or a telephone number they share.
//
// A new consumer resembles an earlier one with the same email (which did
// not merge because a name differs), the same surname and postcode
// (another or no initial, or another email), the same surname and initial
// where either has no postcode, or the same telephone number.
//
// A new trader resembles an earlier one with the same name (legal form,
// "&", punctuation and case aside) that did not merge: at another
// postcode, where either has none, or written differently; unless their
// company numbers say they are different companies. Or with the same
// telephone number.
//
// Its parameters, numbered as in flushSQL, are the new contacts in
// columns: $29 id, $30 kind, $31 the request whose case created it,
// $32 surname_norm, $33 postcode_norm, $34 phone_norm, $35 email_norm,
// $36 initial, $37 name_norm, $38 company number (only a valid one); and
// $39 maxPossibleMatches.
const possibleMatchSQL = `
SELECT n.kind, n.id AS contact_id, c.id AS candidate_contact_id, c.rule, n.request_id
FROM unnest($29::bigint[], $30::text[], $31::bigint[], $32::text[],
        $33::text[], $34::text[], $35::text[], $36::text[], $37::text[],
        $38::text[])
    AS n(id, kind, request_id, surname, postcode, phone, email, initial, name, company)
CROSS JOIN LATERAL (
    SELECT id, rule FROM (
        SELECT DISTINCT ON (id) id, rule FROM (
            (SELECT id, 'email' AS rule, 1 AS rank FROM contact
             WHERE n.kind = 'consumer' AND kind = 'consumer' AND email_norm = n.email
               AND id < n.id AND anonymised_at IS NULL
             ORDER BY id DESC LIMIT $39)
            UNION ALL
            (SELECT id, 'surname_postcode', 2 FROM contact
             WHERE n.kind = 'consumer' AND kind = 'consumer' AND surname_norm = n.surname
               AND postcode_norm = n.postcode AND id < n.id AND anonymised_at IS NULL
             ORDER BY id DESC LIMIT $39)
            UNION ALL
            (SELECT id, 'name', 3 FROM contact
             WHERE n.kind = 'consumer' AND kind = 'consumer' AND surname_norm = n.surname
               AND initial = n.initial AND (postcode_norm IS NULL OR n.postcode IS NULL)
               AND id < n.id AND anonymised_at IS NULL
             ORDER BY id DESC LIMIT $39)
            UNION ALL
            (SELECT id, 'name', 1 FROM contact
             WHERE n.kind = 'trader' AND kind = 'trader' AND name_norm = n.name
               AND id < n.id AND anonymised_at IS NULL
               AND (company_number_valid IS NOT TRUE OR n.company IS NULL
                    OR company_number = n.company)
             ORDER BY id DESC LIMIT $39)
            UNION ALL
            (SELECT id, 'telephone', 4 FROM contact
             WHERE kind = n.kind AND phone_norm = n.phone AND id < n.id
               AND anonymised_at IS NULL
             ORDER BY id DESC LIMIT $39)
        ) u
        ORDER BY id, rank
    ) d
    ORDER BY id DESC
    LIMIT $39
) c`

// possibleMatch adds ct, a contact the case of request requestID created,
// to those whose possible matches the next flush records.
func (p *pendingRows) possibleMatch(ct *contact, requestID int64) {
	null := func(s *string) sql.NullString {
		if s == nil {
			return sql.NullString{}
		}
		return sql.NullString{String: *s, Valid: true}
	}
	p.touch(requestID)
	p.pmContact = append(p.pmContact, ct.ID)
	p.pmKind = append(p.pmKind, ct.Kind)
	p.pmRequest = append(p.pmRequest, requestID)
	p.pmSurname = append(p.pmSurname, null(ct.SurnameNorm))
	p.pmPostcode = append(p.pmPostcode, null(ct.PostcodeNorm))
	p.pmPhone = append(p.pmPhone, null(ct.PhoneNorm))
	p.pmEmail = append(p.pmEmail, null(ct.EmailNorm))
	p.pmInitial = append(p.pmInitial, null(ct.Initial))
	p.pmName = append(p.pmName, null(ct.NameNorm))
	p.pmCompany = append(p.pmCompany, null(ct.companyKey()))
}
