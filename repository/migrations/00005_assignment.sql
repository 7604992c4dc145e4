-- Officers, team queues and the rules that assign a new request.

-- +goose Up

CREATE TABLE officer (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    email      text,
    team       text,
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A rule matches a new request when every criterion it sets matches; the
-- active rule with the lowest priority (then id) wins. It assigns an
-- officer, a team queue, or both.
CREATE TABLE assignment_rule (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    priority        integer NOT NULL DEFAULT 100,
    route           text CHECK (route IN ('Referral', 'Notification', 'Signposting')),
    case_type_code  text,
    -- A postcode district ('ME1') or area ('ME'), matched against the
    -- consumer's postcode, else the trader's.
    postcode_prefix text,
    custodian_code  text,
    officer_id      bigint REFERENCES officer (id),
    queue           text,
    active          boolean NOT NULL DEFAULT true,
    CHECK (officer_id IS NOT NULL OR queue IS NOT NULL)
);

ALTER TABLE service_request
    ADD COLUMN assigned_officer_id bigint REFERENCES officer (id),
    ADD COLUMN assigned_queue      text NOT NULL DEFAULT 'unassigned',
    ADD COLUMN assignment_rule_id  bigint REFERENCES assignment_rule (id) ON DELETE SET NULL;

CREATE INDEX service_request_assigned_officer_id_idx ON service_request (assigned_officer_id);

INSERT INTO assignment_rule (name, priority, route, case_type_code, queue) VALUES
('criminal referrals to investigations', 10, 'Referral', 'TC-CR', 'investigations'),
('other referrals to the referrals queue', 20, 'Referral', NULL, 'referrals'),
('notifications to intelligence', 30, 'Notification', NULL, 'intelligence')
ON CONFLICT (name) DO NOTHING;

-- +goose Down

ALTER TABLE service_request
    DROP COLUMN assignment_rule_id,
    DROP COLUMN assigned_queue,
    DROP COLUMN assigned_officer_id;
DROP TABLE assignment_rule;
DROP TABLE officer;
