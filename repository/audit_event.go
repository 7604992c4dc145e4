package repository

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The actions recorded in audit_event.
const (
	auditCreate        = "create"         // a request was created from a case
	auditUpdate        = "update"         // a request took a higher update sequence
	auditUnchanged     = "unchanged"      // a case was not newer than the request: ignored
	auditMatch         = "match"          // a case's contact was linked, with the rule
	auditPossibleMatch = "possible_match" // two contacts may be one: left for an officer
	auditDuplicate     = "duplicate"      // two requests may be one complaint: flagged
	auditAssign        = "assign"         // a new request was assigned by a rule
	auditAction        = "action"         // a first action was created from a template
	auditAnonymise     = "anonymise"      // retention removed personal data
	auditEvidence      = "evidence"       // evidence bytes were read out
)

// auditEvent is one row for audit_event. Detail holds ids, codes and rule
// names, never personal data.
type auditEvent struct {
	Action   string
	Entity   string
	EntityID int64
	Detail   map[string]any
}

// auditLog gathers the events of one request so that they are written in
// one statement.
type auditLog struct {
	requestID int64
	events    []auditEvent
}

func (l *auditLog) add(action, entity string, id int64, detail map[string]any) {
	l.events = append(l.events, auditEvent{action, entity, id, detail})
}

const insertAuditSQL = `
INSERT INTO audit_event (action, entity, entity_id, service_request_id, import_file_id,
    actor, detail)
SELECT u.action, u.entity, u.entity_id, $4, $5, $6, u.detail::jsonb
FROM unnest($1::text[], $2::text[], $3::bigint[], $7::text[])
    AS u(action, entity, entity_id, detail)`

// writeAudit appends the log's events, made by actor (an import or a user),
// to audit_event.
func writeAudit(ctx context.Context, q sqlx.ExecerContext, l *auditLog, importID *int64,
	actor string) error {
	if len(l.events) == 0 {
		return nil
	}
	args, err := l.args(importID, actor)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, insertAuditSQL, args...); err != nil {
		return fmt.Errorf("write audit events: %w", err)
	}
	return nil
}

// args are the parameters $1 to $7 of insertAuditSQL for the log's events.
func (l *auditLog) args(importID *int64, actor string) ([]any, error) {
	n := len(l.events)
	actions, entities, details := make([]string, n), make([]string, n), make([]string, n)
	ids := make([]int64, n)
	for i, e := range l.events {
		actions[i], entities[i], ids[i] = e.Action, e.Entity, e.EntityID
		if ids[i] == 0 {
			// Recorded before the request had its id.
			ids[i] = l.requestID
		}
		d := e.Detail
		if d == nil {
			d = map[string]any{}
		}
		js, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("encode audit detail: %w", err)
		}
		details[i] = string(js)
	}
	var requestID *int64
	if l.requestID != 0 {
		requestID = &l.requestID
	}
	return []any{pq.Array(actions), pq.Array(entities), pq.Array(ids), requestID,
		importID, actor, pq.Array(details)}, nil
}

// importActor names an import as the actor of what it did.
func importActor(fileID int64) string {
	return fmt.Sprintf("import:%d", fileID)
}
