package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// RetainResult counts what one retention pass anonymised.
type RetainResult struct {
	Requests      int // requests whose personal data was removed
	Contacts      int // consumer contacts wiped (no request still needs them)
	EvidenceFiles int // files whose stored bytes were removed
}

// StoredFile identifies a file by content, to find its copies on disk.
type StoredFile struct {
	SHA256 string `db:"sha256"`
	Size   int64  `db:"size_bytes"`
}

const dueForRetentionSQL = `
SELECT id FROM service_request
WHERE status = 'closed' AND closed_at < $1 AND anonymised_at IS NULL
ORDER BY id
FOR UPDATE`

// The consumer contacts of the requests being anonymised: the ones they
// point at, and the ones an earlier version of them pointed at (an update
// can move a request to another contact), found by the match events of
// the audit trail. One is wiped only when no other request still needs
// it: a contact shared with an open request, or with a closed one not yet
// due, now or in an earlier version, keeps its data.
const contactsToWipeSQL = `
WITH mine AS (
    SELECT consumer_contact_id AS id FROM service_request
    WHERE id = ANY($1) AND consumer_contact_id IS NOT NULL
    UNION
    SELECT entity_id FROM audit_event
    WHERE service_request_id = ANY($1) AND action = 'match' AND entity = 'contact'
      AND detail->>'kind' = 'consumer'
)
SELECT c.id FROM contact c JOIN mine ON mine.id = c.id
WHERE c.kind = 'consumer' AND c.anonymised_at IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM service_request o
      WHERE o.consumer_contact_id = c.id AND NOT (o.id = ANY($1)))
  AND NOT EXISTS (
      SELECT 1 FROM audit_event e JOIN service_request o ON o.id = e.service_request_id
      WHERE e.action = 'match' AND e.entity = 'contact' AND e.entity_id = c.id
        AND o.anonymised_at IS NULL AND NOT (o.id = ANY($1)))
ORDER BY c.id`

const wipeContactsSQL = `
UPDATE contact SET
    title = NULL, forename = NULL, surname = NULL, name = NULL, trading_as = NULL,
    company_number = NULL, address_lines = NULL, town = NULL, county = NULL,
    postcode = NULL, postcode_valid = NULL, uprn = NULL, telephone = NULL,
    email = NULL, website = NULL, email_norm = NULL, surname_norm = NULL,
    initial = NULL, postcode_norm = NULL, name_norm = NULL, website_host = NULL,
    phone_norm = NULL, forename_norm = NULL, company_number_valid = NULL,
    anonymised_at = now(), updated_at = now()
WHERE id = ANY($1)`

// The request keeps what the reports count (dates, route, codes, amounts,
// the trader, age band and whether the consumer was vulnerable) and loses
// the consumer link, the free text, notes and agencies.
const anonymiseRequestsSQL = `
WITH notes AS (
    DELETE FROM service_request_note WHERE service_request_id = ANY($1)
), agencies AS (
    DELETE FROM service_request_agency WHERE service_request_id = ANY($1)
), versions AS (
    UPDATE case_version SET content = content - 'Consumer' - 'Notes' - 'Agencies'
        #- '{Complaint,Summary}' #- '{Complaint,AdviceGiven}' #- '{Purchase,Description}'
    WHERE service_request_id = ANY($1)
)
UPDATE service_request SET
    consumer_contact_id = NULL, consumer_match_rule = NULL,
    purchase_description = NULL, summary = NULL, advice_given = NULL,
    vulnerable_reason = NULL, contact_consent = NULL,
    anonymised_at = now(), updated_at = now()
WHERE id = ANY($1)`

// A file's bytes go when every request it touched is anonymised: those of
// this pass, and also a file that arrived after its requests were
// anonymised (a late update, which changed nothing).
const filesToRemoveSQL = `
SELECT f.id FROM import_file f
WHERE f.evidence_removed_at IS NULL
  AND EXISTS (SELECT 1 FROM service_request_file l WHERE l.import_file_id = f.id)
  AND NOT EXISTS (SELECT 1 FROM service_request_file l
                  JOIN service_request r ON r.id = l.service_request_id
                  WHERE l.import_file_id = f.id AND r.anonymised_at IS NULL)`

const removeEvidenceSQL = `
WITH chunks AS (
    DELETE FROM import_file_content WHERE import_file_id = ANY($1)
)
UPDATE import_file SET evidence_removed_at = now() WHERE id = ANY($1)`

// Retain anonymises the requests closed before before: it removes their
// personal data, wipes consumer contacts that no other request needs, and
// removes the stored bytes of files that touched only anonymised requests.
// Each request gets an audit event naming actor. Imports wait while it
// runs, so that none links a contact being wiped.
func (s *Store) Retain(ctx context.Context, before time.Time,
	actor string) (RetainResult, error) {
	var res RetainResult
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("retain: %w", err)
	}
	defer tx.Rollback()
	// As in an import, a row an officer's tool holds locked is waited for
	// only so long, never with the merge lock held past the client's
	// I/O timeout; the next run tries again.
	if _, err := tx.ExecContext(ctx, `SELECT set_config('lock_timeout', $1, true)`,
		rowLockTimeout); err != nil {
		return res, fmt.Errorf("retain: %w", err)
	}
	if err := xactLock(ctx, tx, mergeLockID); err != nil {
		return res, fmt.Errorf("retain: %w", err)
	}

	var requests, contacts, files []int64
	if err := tx.SelectContext(ctx, &requests, dueForRetentionSQL, before); err != nil {
		return res, fmt.Errorf("find requests due: %w", err)
	}
	ids := pq.Array(requests)
	if err := tx.SelectContext(ctx, &contacts, contactsToWipeSQL, ids); err != nil {
		return res, fmt.Errorf("find contacts to wipe: %w", err)
	}
	steps := []struct {
		name  string
		query string
		arg   any
	}{
		{"wipe contacts", wipeContactsSQL, pq.Array(contacts)},
		{"anonymise requests", anonymiseRequestsSQL, ids},
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.query, st.arg); err != nil {
			return res, fmt.Errorf("%s: %w", st.name, err)
		}
	}
	if err := tx.SelectContext(ctx, &files, filesToRemoveSQL); err != nil {
		return res, fmt.Errorf("find evidence to remove: %w", err)
	}
	if _, err := tx.ExecContext(ctx, removeEvidenceSQL, pq.Array(files)); err != nil {
		return res, fmt.Errorf("remove evidence: %w", err)
	}

	if len(requests)+len(files) == 0 {
		return res, nil
	}
	if err := auditRetention(ctx, tx, requests, contacts, files, before, actor); err != nil {
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("retain: %w", err)
	}
	return RetainResult{len(requests), len(contacts), len(files)}, nil
}

// auditRetention writes one event per request anonymised, naming the
// contacts wiped and evidence removed with it.
func auditRetention(ctx context.Context, tx *sqlx.Tx, requests, contacts, files []int64,
	before time.Time, actor string) error {
	for _, id := range requests {
		log := &auditLog{requestID: id}
		log.add(auditAnonymise, "service_request", id, map[string]any{
			"closed_before": before.UTC().Format(time.RFC3339),
		})
		if err := writeAudit(ctx, tx, log, nil, actor); err != nil {
			return err
		}
	}
	log := &auditLog{}
	for _, id := range contacts {
		log.add(auditAnonymise, "contact", id, nil)
	}
	for _, id := range files {
		log.add(auditAnonymise, "import_file", id, map[string]any{"evidence": "removed"})
	}
	return writeAudit(ctx, tx, log, nil, actor)
}

// RemovedEvidence lists every file whose stored bytes retention removed,
// so that copies left on disk can be found and removed too.
func (s *Store) RemovedEvidence(ctx context.Context) ([]StoredFile, error) {
	var files []StoredFile
	err := s.db.SelectContext(ctx, &files,
		`SELECT sha256, size_bytes FROM import_file WHERE evidence_removed_at IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("list removed evidence: %w", err)
	}
	return files, nil
}
