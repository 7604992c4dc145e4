-- Which authority a case is for when the file names none and the daemon runs
-- with --custodian auto: the postcode districts each authority covers.
-- Councils fill in their own; the seed is an example for Medway.

-- +goose Up

CREATE TABLE authority_district (
    custodian_code text NOT NULL REFERENCES custodian (custodian_code),
    -- A postcode district (outward code) in upper case, e.g. 'ME1'.
    district       text NOT NULL CHECK (district ~ '^[A-Z]{1,2}[0-9][A-Z0-9]?$'),
    PRIMARY KEY (custodian_code, district)
);

CREATE INDEX authority_district_district_idx ON authority_district (district);

INSERT INTO authority_district (custodian_code, district) VALUES
('2280', 'ME1'), ('2280', 'ME2'), ('2280', 'ME3'), ('2280', 'ME4'),
('2280', 'ME5'), ('2280', 'ME7'), ('2280', 'ME8')
ON CONFLICT DO NOTHING;

-- +goose Down

DROP TABLE authority_district;
