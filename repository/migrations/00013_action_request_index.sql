-- A request's actions, whatever their status, found by the request: an
-- import checks which templates a request already had actions from, and
-- officers list a request's actions. Without it, each such look-up read
-- the whole action table, and an import slowed as the table grew.

-- +goose Up

CREATE INDEX action_service_request_template_idx
    ON action (service_request_id, action_template_id);

-- +goose Down

DROP INDEX action_service_request_template_idx;
