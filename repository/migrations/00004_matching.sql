-- Telephone match keys, and the possible matches an officer confirms or
-- rejects: candidates too weak to merge on.

-- +goose Up

ALTER TABLE contact
    ADD COLUMN phone_norm    text,
    ADD COLUMN anonymised_at timestamptz;

-- The same rule as mapping.NormalizePhone, for contacts stored before.
UPDATE contact SET phone_norm = NULLIF(
    CASE
        WHEN btrim(telephone) LIKE '+%' AND digits LIKE '44%' THEN
            '0' || CASE WHEN substr(digits, 3) LIKE '0%' THEN substr(digits, 4)
                        ELSE substr(digits, 3) END
        WHEN btrim(telephone) LIKE '+%' AND digits <> '' THEN '+' || digits
        WHEN digits LIKE '0044%' THEN
            '0' || CASE WHEN substr(digits, 5) LIKE '0%' THEN substr(digits, 6)
                        ELSE substr(digits, 5) END
        ELSE digits
    END, '')
FROM (SELECT id AS cid, regexp_replace(telephone, '[^0-9]', '', 'g') AS digits
      FROM contact WHERE telephone IS NOT NULL) d
WHERE contact.id = d.cid;

CREATE INDEX contact_phone_norm_idx ON contact (kind, phone_norm)
    WHERE phone_norm IS NOT NULL;
CREATE INDEX contact_surname_postcode_idx ON contact (kind, surname_norm, postcode_norm)
    WHERE surname_norm IS NOT NULL;

-- A pair of contacts that may be one person or business. contact_id is the
-- contact an import created; candidate_contact_id the one it resembles.
CREATE TABLE possible_match (
    id                   bigserial PRIMARY KEY,
    kind                 text NOT NULL CHECK (kind IN ('consumer', 'trader')),
    contact_id           bigint NOT NULL REFERENCES contact (id),
    candidate_contact_id bigint NOT NULL REFERENCES contact (id),
    rule                 text NOT NULL CHECK (rule IN
                             ('surname_postcode', 'telephone', 'name')),
    service_request_id   bigint,
    import_file_id       bigint REFERENCES import_file (id),
    status               text NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'confirmed', 'rejected')),
    decided_by           text,
    decided_at           timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (contact_id, candidate_contact_id),
    CHECK (contact_id <> candidate_contact_id)
);

CREATE INDEX possible_match_candidate_idx ON possible_match (candidate_contact_id);
CREATE INDEX possible_match_open_idx ON possible_match (status) WHERE status = 'open';

-- +goose Down

DROP TABLE possible_match;
DROP INDEX contact_surname_postcode_idx;
DROP INDEX contact_phone_norm_idx;
ALTER TABLE contact DROP COLUMN anonymised_at, DROP COLUMN phone_norm;
