package repository

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"

	"cacsd/mapping"
)

// maxPendingCases is how many merged cases' rows wait before they are
// written. A batch is one statement; bigger batches save few round trips
// more and hold more in memory.
const maxPendingCases = 256

// pendingRows are the rows of merged cases that nothing later in the
// import reads back: the file link, first actions, audit events, versions,
// complaint codes, agencies, notes and the new contacts' possible matches.
// They are written together, in one statement, by flush: every
// maxPendingCases cases, before Commit, and before a case whose request
// already has rows waiting, so that the second case sees what the first
// wrote. (The decoder never passes on the same reference twice from one
// file, but a caller merging cases of its own may.)
// Each slice group holds one column per field, as the statement takes them.
type pendingRows struct {
	requests map[int64]bool // the requests with rows waiting
	cases    int
	first    int // the place in the file of the first case waiting, from 1

	linkRequest []int64
	linkAction  []string

	actRequest  []int64
	actTemplate []int64
	actTitle    []string
	actDue      []string

	evAction  []string
	evEntity  []string
	evID      []int64
	evRequest []int64
	evDetail  []string

	verRequest  []int64
	verSeq      []int64
	verContent  []string
	codeRequest []int64
	code        []string
	codeLabel   []string
	codeKnown   []bool

	agRequest  []int64
	agPosition []int64
	agRole     []string
	agName     []string

	noteRequest  []int64
	notePosition []int64
	noteAt       []string
	noteBody     []string

	// The contacts the cases created, with their match keys.
	pmContact  []int64
	pmKind     []string
	pmRequest  []int64
	pmSurname  []sql.NullString
	pmPostcode []sql.NullString
	pmPhone    []sql.NullString
	pmEmail    []sql.NullString
	pmInitial  []sql.NullString
	pmName     []sql.NullString
	pmCompany  []sql.NullString
}

// waiting reports whether request id has rows not yet written.
func (p *pendingRows) waiting(id int64) bool {
	return p.requests[id]
}

func (p *pendingRows) touch(id int64) {
	if p.requests == nil {
		p.requests = map[int64]bool{}
	}
	p.requests[id] = true
}

// The statement that writes the pending rows. Data-modifying parts run
// after the main INSERT, so a request's own events come before the events
// of the actions made for it, as they happened. An action is made only if
// the request never had one from its template, so that an update neither
// doubles an open action nor brings back one an officer has done; the
// partial unique index guards the open ones. A code sent twice in one case
// is stored once, and a version already recorded keeps its first content.
// flushSQL is its WITH part, flushMainSQL its main INSERT; Commit adds the
// file's own row to them (see commitSQL).
const flushSQL = `
WITH link AS (
    INSERT INTO service_request_file (service_request_id, import_file_id, action)
    SELECT u.id, $1, u.action FROM unnest($3::bigint[], $4::text[]) AS u(id, action)
    ON CONFLICT (service_request_id, import_file_id) DO NOTHING
), made AS (
    INSERT INTO action (service_request_id, action_template_id, title, due_date,
        import_file_id, officer_id)
    SELECT u.id, u.template_id, u.title, NULLIF(u.due, '')::date, $1,
        (SELECT assigned_officer_id FROM service_request WHERE id = u.id)
    FROM unnest($5::bigint[], $6::bigint[], $7::text[], $8::text[])
        AS u(id, template_id, title, due)
    WHERE NOT EXISTS (SELECT 1 FROM action a
                      WHERE a.service_request_id = u.id AND a.action_template_id = u.template_id)
    ON CONFLICT (service_request_id, action_template_id) WHERE status = 'open' DO NOTHING
    RETURNING id, service_request_id, action_template_id
), made_events AS (
    INSERT INTO audit_event (action, entity, entity_id, service_request_id,
        import_file_id, actor, detail)
    SELECT 'action', 'action', id, service_request_id, $1, $2,
        jsonb_build_object('template_id', action_template_id)
    FROM made
), versions AS (
    INSERT INTO case_version (service_request_id, update_sequence, import_file_id, content)
    SELECT u.id, u.seq, $1, u.content::jsonb
    FROM unnest($14::bigint[], $15::bigint[], $16::text[]) AS u(id, seq, content)
    ON CONFLICT (service_request_id, update_sequence) DO NOTHING
), codes AS (
    INSERT INTO service_request_code (service_request_id, kind, code, label, known)
    SELECT u.id, 'complaint', u.code, NULLIF(u.label, ''), u.known
    FROM unnest($17::bigint[], $18::text[], $19::text[], $20::boolean[])
        AS u(id, code, label, known)
    ON CONFLICT DO NOTHING
), agencies AS (
    INSERT INTO service_request_agency (service_request_id, position, role, name)
    SELECT u.id, u.position, NULLIF(u.role, ''), u.name
    FROM unnest($21::bigint[], $22::bigint[], $23::text[], $24::text[])
        AS u(id, position, role, name)
), notes AS (
    INSERT INTO service_request_note (service_request_id, position, at, text)
    SELECT u.id, u.position, NULLIF(u.at, '')::timestamptz, u.body
    FROM unnest($25::bigint[], $26::bigint[], $27::text[], $28::text[])
        AS u(id, position, at, body)
), possible AS (
    INSERT INTO possible_match (kind, contact_id, candidate_contact_id, rule,
        service_request_id, import_file_id)
    SELECT kind, contact_id, candidate_contact_id, rule, request_id, $1
    FROM (` + possibleMatchSQL + `) f
    ON CONFLICT (contact_id, candidate_contact_id) DO NOTHING
    RETURNING id, kind, contact_id, candidate_contact_id, rule, service_request_id
), possible_events AS (
    INSERT INTO audit_event (action, entity, entity_id, service_request_id,
        import_file_id, actor, detail)
    SELECT 'possible_match', 'possible_match', id, service_request_id, $1, $2,
        jsonb_build_object('kind', kind, 'contact_id', contact_id,
            'candidate_contact_id', candidate_contact_id, 'rule', rule,
            'decision', 'not merged; left for an officer')
    FROM possible
)`

const flushMainSQL = `
INSERT INTO audit_event (action, entity, entity_id, service_request_id, import_file_id,
    actor, detail)
SELECT u.action, u.entity, u.entity_id, u.request_id, $1, $2, u.detail::jsonb
FROM unnest($9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::text[])
    AS u(action, entity, entity_id, request_id, detail)`

// flush writes the pending rows, if any, and empties them.
func (im *Import) flush(ctx context.Context) error {
	if im.pending.cases == 0 {
		return nil
	}
	_, err := im.tx.ExecContext(ctx, flushSQL+flushMainSQL, im.pending.args(im.fileID)...)
	if err != nil {
		return im.pending.failed(err)
	}
	im.pending = pendingRows{}
	return nil
}

// failed is the error for the failure, err, to write the pending rows.
func (p *pendingRows) failed(err error) error {
	return &WriteCasesError{First: p.first, Last: p.first + p.cases - 1, err: err}
}

// WriteCasesError is a failure to write the rows of cases First to Last,
// numbered by their place in the file from 1. Which of them was at fault,
// the database does not say.
type WriteCasesError struct {
	First, Last int
	err         error
}

// Cases names the cases, as "case 3" or "cases 1 to 256".
func (e *WriteCasesError) Cases() string {
	if e.First == e.Last {
		return fmt.Sprintf("case %d", e.First)
	}
	return fmt.Sprintf("cases %d to %d", e.First, e.Last)
}

func (e *WriteCasesError) Error() string {
	return fmt.Sprintf("write %s of the file: %v", e.Cases(), e.err)
}

func (e *WriteCasesError) Unwrap() error { return e.err }

// args are the parameters $1 to $39 of flushSQL for the pending rows of
// import file fileID.
func (p *pendingRows) args(fileID int64) []any {
	return []any{fileID, importActor(fileID),
		pq.Array(p.linkRequest), pq.Array(p.linkAction),
		pq.Array(p.actRequest), pq.Array(p.actTemplate), pq.Array(p.actTitle),
		pq.Array(p.actDue),
		pq.Array(p.evAction), pq.Array(p.evEntity), pq.Array(p.evID),
		pq.Array(p.evRequest), pq.Array(p.evDetail),
		pq.Array(p.verRequest), pq.Array(p.verSeq), pq.Array(p.verContent),
		pq.Array(p.codeRequest), pq.Array(p.code), pq.Array(p.codeLabel),
		pq.Array(p.codeKnown),
		pq.Array(p.agRequest), pq.Array(p.agPosition), pq.Array(p.agRole),
		pq.Array(p.agName),
		pq.Array(p.noteRequest), pq.Array(p.notePosition), pq.Array(p.noteAt),
		pq.Array(p.noteBody),
		pq.Array(p.pmContact), pq.Array(p.pmKind), pq.Array(p.pmRequest),
		pq.Array(p.pmSurname), pq.Array(p.pmPostcode), pq.Array(p.pmPhone),
		pq.Array(p.pmEmail), pq.Array(p.pmInitial), pq.Array(p.pmName),
		pq.Array(p.pmCompany), maxPossibleMatches}
}

// finishCase records that this import's file delivered a case of request
// id, and what it did to it (the file is evidence of that request), the
// case's first actions for the request's assigned officer, if any (acts
// may be nil), and its audit events. They are written by the next flush.
func (im *Import) finishCase(ctx context.Context, id int64, act Action, acts *actions,
	log *auditLog) error {
	p := &im.pending
	p.touch(id)
	if p.cases == 0 {
		p.first = im.sum.Cases + 1
	}
	p.linkRequest = append(p.linkRequest, id)
	p.linkAction = append(p.linkAction, string(act))
	if acts != nil {
		for i, tid := range acts.templateIDs {
			p.actRequest = append(p.actRequest, id)
			p.actTemplate = append(p.actTemplate, tid)
			p.actTitle = append(p.actTitle, acts.titles[i])
			p.actDue = append(p.actDue, acts.dues[i])
		}
	}
	for _, e := range log.events {
		entityID := e.EntityID
		if entityID == 0 {
			entityID = id // recorded before the request had its id
		}
		d := e.Detail
		if d == nil {
			d = map[string]any{}
		}
		js, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("encode audit detail: %w", err)
		}
		p.evAction = append(p.evAction, e.Action)
		p.evEntity = append(p.evEntity, e.Entity)
		p.evID = append(p.evID, entityID)
		p.evRequest = append(p.evRequest, id)
		p.evDetail = append(p.evDetail, string(js))
	}
	p.cases++
	if p.cases >= maxPendingCases {
		return im.flush(ctx)
	}
	return nil
}

// insertVersion records c, as decoded, as a version of request id.
func (im *Import) insertVersion(ctx context.Context, id int64, c *mapping.Case) error {
	content, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode case version: %w", err)
	}
	p := &im.pending
	p.touch(id)
	p.verRequest = append(p.verRequest, id)
	p.verSeq = append(p.verSeq, int64(c.UpdateSequence))
	p.verContent = append(p.verContent, string(content))
	return nil
}

// insertDetails adds a request's complaint codes, agencies and notes, in
// order, to the pending rows.
func (im *Import) insertDetails(id int64, c *mapping.Case) {
	p := &im.pending
	p.touch(id)
	if c.Complaint != nil {
		for i := range c.Complaint.Codes {
			sc := im.codes.lookup(kindComplaint, &c.Complaint.Codes[i])
			if sc.Code == nil {
				continue
			}
			p.codeRequest = append(p.codeRequest, id)
			p.code = append(p.code, *sc.Code)
			p.codeLabel = append(p.codeLabel, deref(sc.Label))
			p.codeKnown = append(p.codeKnown, *sc.Known)
		}
	}
	for i, a := range c.Agencies {
		p.agRequest = append(p.agRequest, id)
		p.agPosition = append(p.agPosition, int64(i+1))
		p.agRole = append(p.agRole, a.Role)
		p.agName = append(p.agName, a.Name)
	}
	for i, n := range c.Notes {
		at := ""
		if n.At != nil {
			at = n.At.UTC().Format(time.RFC3339Nano)
		}
		p.noteRequest = append(p.noteRequest, id)
		p.notePosition = append(p.notePosition, int64(i+1))
		p.noteAt = append(p.noteAt, at)
		p.noteBody = append(p.noteBody, n.Text)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
