-- Matching and officers' decisions, as the case handling rules ask:
-- - a consumer's forename takes part in matching by email, and a company
--   number that is not 8 letters or digits is kept as written but never
--   matched on; the same email under another name is a possible match;
-- - officers' decisions on possible matches and possible duplicates, and
--   changes to a closed request's closing date, are audited by the
--   database itself, whatever tool makes them: a plain UPDATE from the
--   council's case system is recorded like one from cacsd. The actor is
--   the setting cacsd.actor when set, else the database user. A decision
--   is stamped each time it is made, can only be made through its status,
--   and covers both rows of a duplicate pair;
-- - closing a request stamps the time it closed; an open request has none.

-- +goose Up

ALTER TABLE contact
    ADD COLUMN forename_norm        text,
    ADD COLUMN company_number_valid boolean;
UPDATE contact SET company_number_valid = company_number ~ '^[A-Z0-9]{8}$'
WHERE company_number IS NOT NULL;

ALTER TABLE possible_match DROP CONSTRAINT possible_match_rule_check;
ALTER TABLE possible_match ADD CONSTRAINT possible_match_rule_check
    CHECK (rule IN ('email', 'surname_postcode', 'telephone', 'name'));

ALTER TABLE possible_duplicate
    ADD COLUMN decided_by text,
    ADD COLUMN decided_at timestamptz;

-- Possible matches take each rule's most recent candidates, so their
-- indexes end in id: a switchboard number or a chain's name shared by
-- thousands of contacts is read ten rows deep, not in full.
CREATE INDEX contact_email_id_idx ON contact (kind, email_norm, id)
    WHERE email_norm IS NOT NULL;
DROP INDEX contact_email_norm_idx;
CREATE INDEX contact_phone_id_idx ON contact (kind, phone_norm, id)
    WHERE phone_norm IS NOT NULL;
DROP INDEX contact_phone_norm_idx;
CREATE INDEX contact_surname_postcode_id_idx ON contact (kind, surname_norm, postcode_norm, id)
    WHERE surname_norm IS NOT NULL;
DROP INDEX contact_surname_postcode_idx;
CREATE INDEX contact_name_id_idx ON contact (kind, name_norm, id)
    WHERE name_norm IS NOT NULL;

-- Retention looks up the requests that matched a contact.
CREATE INDEX audit_event_entity_idx ON audit_event (entity, entity_id);

-- +goose StatementBegin
CREATE FUNCTION cacsd_actor() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('cacsd.actor', true), ''), 'db:' || session_user)
$$;
-- +goose StatementEnd

-- Closing stamps now() unless the same UPDATE gives closed_at; an open
-- request has none, and a closed one always has one. An import that
-- reopens a request names itself in cacsd.actor and cacsd.import_file_id.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION service_request_status_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'closed' THEN
        IF NEW.closed_at IS NOT DISTINCT FROM OLD.closed_at THEN
            NEW.closed_at := now();
        END IF;
    ELSE
        NEW.closed_at := NULL;
    END IF;
    INSERT INTO audit_event (action, entity, entity_id, service_request_id,
        import_file_id, actor, detail)
    VALUES (CASE NEW.status WHEN 'closed' THEN 'close' ELSE 'reopen' END,
            'service_request', NEW.id, NEW.id,
            nullif(current_setting('cacsd.import_file_id', true), '')::bigint,
            cacsd_actor(), jsonb_build_object('closed_at', NEW.closed_at));
    RETURN NEW;
END
$$;
-- +goose StatementEnd

UPDATE service_request SET closed_at = NULL WHERE status = 'open' AND closed_at IS NOT NULL;
UPDATE service_request SET closed_at = updated_at WHERE status = 'closed' AND closed_at IS NULL;
ALTER TABLE service_request ADD CONSTRAINT service_request_closed_at_check
    CHECK ((status = 'closed') = (closed_at IS NOT NULL));

-- An officer's decision, on a possible match or a possible duplicate, is
-- stamped with who made it and when, whatever the UPDATE says, and the
-- stamp changes no other way. One function serves both tables.
-- +goose StatementBegin
CREATE FUNCTION decision_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = NEW.status THEN
        RAISE EXCEPTION '%: decided_by and decided_at change only with status', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status = 'open' THEN
        NEW.decided_by := NULL;
        NEW.decided_at := NULL;
    ELSE
        NEW.decided_by := cacsd_actor();
        NEW.decided_at := now();
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER possible_match_stamp
    BEFORE UPDATE OF status, decided_by, decided_at ON possible_match
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.decided_by IS DISTINCT FROM NEW.decided_by
                       OR OLD.decided_at IS DISTINCT FROM NEW.decided_at)
    EXECUTE FUNCTION decision_stamp();
CREATE TRIGGER possible_duplicate_stamp
    BEFORE UPDATE OF status, decided_by, decided_at ON possible_duplicate
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.decided_by IS DISTINCT FROM NEW.decided_by
                       OR OLD.decided_at IS DISTINCT FROM NEW.decided_at)
    EXECUTE FUNCTION decision_stamp();

-- +goose StatementBegin
CREATE FUNCTION possible_match_decision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_event (action, entity, entity_id, service_request_id, actor, detail)
    VALUES ('match_decision', 'possible_match', NEW.id, NEW.service_request_id,
            cacsd_actor(),
            jsonb_build_object('kind', NEW.kind, 'contact_id', NEW.contact_id,
                               'candidate_contact_id', NEW.candidate_contact_id,
                               'rule', NEW.rule, 'from', OLD.status, 'to', NEW.status));
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER possible_match_decision
    AFTER UPDATE OF status ON possible_match
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION possible_match_decision();

-- A duplicate pair is two rows, one each way; a decision on either is made
-- on both (after the UPDATE, so that one UPDATE of both rows works too)
-- and audited once per row the UPDATE named.
-- +goose StatementBegin
CREATE FUNCTION possible_duplicate_decision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() = 1 THEN
        INSERT INTO audit_event (action, entity, entity_id, service_request_id, actor, detail)
        VALUES ('duplicate_decision', 'possible_duplicate', NEW.other_request_id,
                NEW.service_request_id, cacsd_actor(),
                jsonb_build_object('other_request_id', NEW.other_request_id,
                                   'from', OLD.status, 'to', NEW.status));
        UPDATE possible_duplicate SET status = NEW.status
        WHERE service_request_id = NEW.other_request_id
          AND other_request_id = NEW.service_request_id
          AND status IS DISTINCT FROM NEW.status;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER possible_duplicate_decision
    AFTER UPDATE OF status ON possible_duplicate
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
DROP TRIGGER possible_duplicate_stamp ON possible_duplicate;
DROP TRIGGER possible_match_stamp ON possible_match;
DROP FUNCTION decision_stamp();
ALTER TABLE service_request DROP CONSTRAINT service_request_closed_at_check;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION service_request_status_change() RETURNS trigger
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
DROP FUNCTION cacsd_actor();
DROP INDEX audit_event_entity_idx;
DROP INDEX contact_name_id_idx;
CREATE INDEX contact_surname_postcode_idx ON contact (kind, surname_norm, postcode_norm)
    WHERE surname_norm IS NOT NULL;
DROP INDEX contact_surname_postcode_id_idx;
CREATE INDEX contact_phone_norm_idx ON contact (kind, phone_norm)
    WHERE phone_norm IS NOT NULL;
DROP INDEX contact_phone_id_idx;
CREATE INDEX contact_email_norm_idx ON contact (kind, email_norm)
    WHERE email_norm IS NOT NULL;
DROP INDEX contact_email_id_idx;
ALTER TABLE possible_duplicate DROP COLUMN decided_at, DROP COLUMN decided_by;
DELETE FROM possible_match WHERE rule = 'email';
ALTER TABLE possible_match DROP CONSTRAINT possible_match_rule_check;
ALTER TABLE possible_match ADD CONSTRAINT possible_match_rule_check
    CHECK (rule IN ('surname_postcode', 'telephone', 'name'));
ALTER TABLE contact DROP COLUMN company_number_valid, DROP COLUMN forename_norm;
