-- Which files touched which request, possible duplicates, the open/closed
-- state that retention needs, and the append-only audit trail.

-- +goose Up

-- Every file that delivered a case of the request, whether it changed it
-- or not: the evidence of that request.
CREATE TABLE service_request_file (
    service_request_id bigint NOT NULL REFERENCES service_request (id) ON DELETE CASCADE,
    import_file_id     bigint NOT NULL REFERENCES import_file (id),
    action             text NOT NULL CHECK (action IN ('created', 'updated', 'unchanged')),
    PRIMARY KEY (service_request_id, import_file_id)
);

CREATE INDEX service_request_file_import_file_id_idx ON service_request_file (import_file_id);

INSERT INTO service_request_file (service_request_id, import_file_id, action)
SELECT v.service_request_id, v.import_file_id,
       CASE WHEN v.import_file_id = r.created_import_id THEN 'created' ELSE 'updated' END
FROM case_version v JOIN service_request r ON r.id = v.service_request_id
ON CONFLICT DO NOTHING;

ALTER TABLE import_file ADD COLUMN evidence_removed_at timestamptz;

-- A request flagged as possibly the same complaint as another; each pair
-- is stored both ways, so each request shows its flag.
CREATE TABLE possible_duplicate (
    service_request_id bigint NOT NULL REFERENCES service_request (id) ON DELETE CASCADE,
    other_request_id   bigint NOT NULL REFERENCES service_request (id) ON DELETE CASCADE,
    import_file_id     bigint REFERENCES import_file (id),
    status             text NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'confirmed', 'rejected')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_request_id, other_request_id),
    CHECK (service_request_id <> other_request_id)
);

ALTER TABLE service_request
    ADD COLUMN status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    ADD COLUMN closed_at     timestamptz,
    ADD COLUMN anonymised_at timestamptz;

CREATE INDEX service_request_closed_at_idx ON service_request (closed_at)
    WHERE status = 'closed' AND anonymised_at IS NULL;

-- What happened to which record, when, and by which import or user. Rows
-- are never changed or removed; detail holds ids and rule names only, never
-- personal data.
CREATE TABLE audit_event (
    id                 bigserial PRIMARY KEY,
    at                 timestamptz NOT NULL DEFAULT now(),
    action             text NOT NULL,
    entity             text NOT NULL,
    entity_id          bigint,
    service_request_id bigint,
    import_file_id     bigint,
    actor              text NOT NULL,
    detail             jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_event_service_request_id_idx ON audit_event (service_request_id);
CREATE INDEX audit_event_at_idx ON audit_event (at);

-- +goose StatementBegin
CREATE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_event_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM PUBLIC;

-- Closing or reopening a request, by cacsd close or by the council's case
-- system with a plain UPDATE, stamps closed_at and writes an audit event.
-- The actor is the setting cacsd.actor when set, else the database user.
-- +goose StatementBegin
CREATE FUNCTION service_request_status_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'closed' THEN
        NEW.closed_at := coalesce(NEW.closed_at, now());
    ELSE
        NEW.closed_at := NULL;
    END IF;
    INSERT INTO audit_event (action, entity, entity_id, service_request_id, actor, detail)
    VALUES (CASE NEW.status WHEN 'closed' THEN 'close' ELSE 'reopen' END,
            'service_request', NEW.id, NEW.id,
            coalesce(nullif(current_setting('cacsd.actor', true), ''),
                     'db:' || session_user),
            jsonb_build_object('closed_at', NEW.closed_at));
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER service_request_status_change
    BEFORE UPDATE OF status ON service_request
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION service_request_status_change();

-- +goose Down

DROP TRIGGER service_request_status_change ON service_request;
DROP FUNCTION service_request_status_change();
DROP TABLE audit_event;
DROP FUNCTION audit_event_append_only();
DROP INDEX service_request_closed_at_idx;
ALTER TABLE service_request
    DROP COLUMN anonymised_at, DROP COLUMN closed_at, DROP COLUMN status;
DROP TABLE possible_duplicate;
ALTER TABLE import_file DROP COLUMN evidence_removed_at;
DROP TABLE service_request_file;
