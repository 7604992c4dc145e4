-- The first actions a request gets, from templates, with due dates in
-- working days (England and Wales bank holidays excluded).

-- +goose Up

-- A template applies when every criterion it sets matches the request.
CREATE TABLE action_template (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL UNIQUE,
    title            text NOT NULL,
    route            text CHECK (route IN ('Referral', 'Notification', 'Signposting')),
    case_type_code   text,
    breach           text CHECK (breach IN ('None', 'Civil', 'Criminal')),
    vulnerable       boolean,
    -- Working days from the day the request arrived; NULL for no due date.
    due_working_days integer CHECK (due_working_days >= 0),
    position         integer NOT NULL DEFAULT 100,
    active           boolean NOT NULL DEFAULT true
);

CREATE TABLE action (
    id                 bigserial PRIMARY KEY,
    service_request_id bigint NOT NULL REFERENCES service_request (id) ON DELETE CASCADE,
    action_template_id bigint REFERENCES action_template (id) ON DELETE SET NULL,
    title              text NOT NULL,
    due_date           date,
    status             text NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'done', 'cancelled')),
    officer_id         bigint REFERENCES officer (id),
    import_file_id     bigint REFERENCES import_file (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz
);

-- An update to a case does not add a second open action of a template.
CREATE UNIQUE INDEX action_open_template_key ON action (service_request_id, action_template_id)
    WHERE status = 'open';
CREATE INDEX action_due_date_idx ON action (due_date) WHERE status = 'open';

INSERT INTO action_template (name, title, route, breach, vulnerable, due_working_days, position)
VALUES
('review-referral', 'Review referral', 'Referral', NULL, NULL, 5, 10),
('assess-investigation', 'Assess for investigation', NULL, 'Criminal', NULL, 2, 20),
('safeguarding-contact', 'Consider safeguarding contact', NULL, NULL, true, 1, 30),
('record-intelligence', 'Record as intelligence', 'Notification', NULL, NULL, NULL, 40)
ON CONFLICT (name) DO NOTHING;

-- +goose Down

DROP TABLE action;
DROP TABLE action_template;
