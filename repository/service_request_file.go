package repository

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// The last step of a case is one statement, to keep a case to as few round
// trips as possible: link the file, create the first actions for the
// request's assigned officer, if any (only those whose template the
// request never had, so that an update neither doubles an open action nor
// brings back one an officer has done; the partial unique index guards
// the open ones), and write the audit events, the actions' among them.
const finishCaseSQL = `
WITH link AS (
    INSERT INTO service_request_file (service_request_id, import_file_id, action)
    VALUES ($4, $5, $8)
    ON CONFLICT (service_request_id, import_file_id) DO NOTHING
), made AS (
    INSERT INTO action (service_request_id, action_template_id, title, due_date,
        import_file_id, officer_id)
    SELECT $4, u.template_id, u.title, NULLIF(u.due, '')::date, $5,
        (SELECT assigned_officer_id FROM service_request WHERE id = $4)
    FROM unnest($9::bigint[], $10::text[], $11::text[]) AS u(template_id, title, due)
    WHERE NOT EXISTS (SELECT 1 FROM action a
                      WHERE a.service_request_id = $4 AND a.action_template_id = u.template_id)
    ON CONFLICT (service_request_id, action_template_id) WHERE status = 'open' DO NOTHING
    RETURNING id, action_template_id
), made_events AS (
    INSERT INTO audit_event (action, entity, entity_id, service_request_id,
        import_file_id, actor, detail)
    SELECT 'action', 'action', id, $4, $5, $6,
        jsonb_build_object('template_id', action_template_id)
    FROM made
)
` + insertAuditSQL

// finishCase records that this import's file delivered a case of request
// id, and what it did to it (the file is evidence of that request),
// creates the case's first actions (acts may be nil) and writes its audit
// events.
func (im *Import) finishCase(ctx context.Context, id int64, act Action, acts *actions,
	log *auditLog) error {
	if acts == nil {
		acts = &actions{}
	}
	log.requestID = id
	args, err := log.args(&im.fileID, importActor(im.fileID))
	if err != nil {
		return err
	}
	args = append(args, string(act), pq.Array(acts.templateIDs), pq.Array(acts.titles),
		pq.Array(acts.dues))
	if _, err := im.tx.ExecContext(ctx, finishCaseSQL, args...); err != nil {
		return fmt.Errorf("finish case: %w", err)
	}
	return nil
}
