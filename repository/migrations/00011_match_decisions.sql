-- Officers' decisions on possible matches and possible duplicates, and
-- changes to a closed request's closing date, are audited by the database
-- itself, whatever tool makes them: a plain UPDATE from the council's case
-- system is recorded like one from cacsd. The actor is the setting
-- cacsd.actor when set, else the database user.

-- +goose Up

-- The same email under another surname is a possible match, not a merge.
ALTER TABLE possible_match DROP CONSTRAINT possible_match_rule_check;
ALTER TABLE possible_match ADD CONSTRAINT possible_match_rule_check
    CHECK (rule IN ('email', 'surname_postcode', 'telephone', 'name'));

ALTER TABLE possible_duplicate
    ADD COLUMN decided_by text,
    ADD COLUMN decided_at timestamptz;

-- +goose StatementBegin
CREATE FUNCTION cacsd_actor() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('cacsd.actor', true), ''), 'db:' || session_user)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION possible_match_decision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'open' THEN
        NEW.decided_by := NULL;
        NEW.decided_at := NULL;
    ELSE
        NEW.decided_by := coalesce(NEW.decided_by, cacsd_actor());
        NEW.decided_at := coalesce(NEW.decided_at, now());
    END IF;
    INSERT INTO audit_event (action, entity, entity_id, service_request_id, actor, detail)
    VALUES ('match_decision', 'possible_match', NEW.id, NEW.service_request_id,
            cacsd_actor(),
            jsonb_build_object('kind', NEW.kind, 'contact_id', NEW.contact_id,
                               'candidate_contact_id', NEW.candidate_contact_id,
                               'rule', NEW.rule, 'from', OLD.status, 'to', NEW.status));
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER possible_match_decision
    BEFORE UPDATE OF status ON possible_match
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION possible_match_decision();

-- +goose StatementBegin
CREATE FUNCTION possible_duplicate_decision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'open' THEN
        NEW.decided_by := NULL;
        NEW.decided_at := NULL;
    ELSE
        NEW.decided_by := coalesce(NEW.decided_by, cacsd_actor());
        NEW.decided_at := coalesce(NEW.decided_at, now());
    END IF;
    INSERT INTO audit_event (action, entity, entity_id, service_request_id, actor, detail)
    VALUES ('duplicate_decision', 'possible_duplicate', NEW.other_request_id,
            NEW.service_request_id, cacsd_actor(),
            jsonb_build_object('other_request_id', NEW.other_request_id,
                               'from', OLD.status, 'to', NEW.status));
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER possible_duplicate_decision
    BEFORE UPDATE OF status ON possible_duplicate
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION possible_duplicate_decision();

-- Retention counts from closed_at, so moving it is audited too.
-- +goose StatementBegin
CREATE FUNCTION service_request_closed_at_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_event (action, entity, entity_id, service_request_id, actor, detail)
    VALUES ('closed_at', 'service_request', NEW.id, NEW.id, cacsd_actor(),
            jsonb_build_object('from', OLD.closed_at, 'to', NEW.closed_at));
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER service_request_closed_at_change
    AFTER UPDATE OF closed_at ON service_request
    FOR EACH ROW WHEN (OLD.status = NEW.status AND OLD.closed_at IS DISTINCT FROM NEW.closed_at)
    EXECUTE FUNCTION service_request_closed_at_change();

-- +goose Down

DROP TRIGGER service_request_closed_at_change ON service_request;
DROP FUNCTION service_request_closed_at_change();
DROP TRIGGER possible_duplicate_decision ON possible_duplicate;
DROP FUNCTION possible_duplicate_decision();
DROP TRIGGER possible_match_decision ON possible_match;
DROP FUNCTION possible_match_decision();
DROP FUNCTION cacsd_actor();
ALTER TABLE possible_duplicate DROP COLUMN decided_at, DROP COLUMN decided_by;
DELETE FROM possible_match WHERE rule = 'email';
ALTER TABLE possible_match DROP CONSTRAINT possible_match_rule_check;
ALTER TABLE possible_match ADD CONSTRAINT possible_match_rule_check
    CHECK (rule IN ('surname_postcode', 'telephone', 'name'));
