-- The cacsd schema: imported files and their evidence, service requests with
-- their full version history, contacts, premises and the code lists.

-- +goose Up

CREATE TABLE custodian (
    custodian_code text PRIMARY KEY,
    authority_name text NOT NULL,
    status         text NOT NULL DEFAULT 'current',
    successor_code text
);

CREATE TABLE code_map (
    kind            text NOT NULL CHECK (kind IN ('case_type', 'product', 'purchase_method',
                                                  'payment_method', 'complaint', 'scam')),
    cacs_code       text NOT NULL,
    label           text NOT NULL,
    -- The council's own code; a row inserted without one takes the CACS code.
    local_code      text NOT NULL,
    -- The product/service family (kind 'product' only).
    group_label     text,
    -- Case types only.
    trader_required boolean,
    default_route   text,
    PRIMARY KEY (kind, cacs_code)
);

-- +goose StatementBegin
CREATE FUNCTION code_map_default_local_code() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.local_code IS NULL OR NEW.local_code = '' THEN
        NEW.local_code := NEW.cacs_code;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER code_map_default_local_code
    BEFORE INSERT OR UPDATE ON code_map
    FOR EACH ROW EXECUTE FUNCTION code_map_default_local_code();

-- One row per file the daemon has decided on, keyed by its content hash.
-- imported_at is when the row reached its current status.
CREATE TABLE import_file (
    id                 bigserial PRIMARY KEY,
    sha256             text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    file_name          text NOT NULL,
    size_bytes         bigint NOT NULL CHECK (size_bytes >= 0),
    status             text NOT NULL CHECK (status IN ('imported', 'failed')),
    case_count         integer NOT NULL DEFAULT 0,
    created_count      integer NOT NULL DEFAULT 0,
    updated_count      integer NOT NULL DEFAULT 0,
    unchanged_count    integer NOT NULL DEFAULT 0,
    unknown_code_count integer NOT NULL DEFAULT 0,
    export_id          text,
    generated_at       timestamptz,
    custodian_code     text,
    problems           jsonb,
    imported_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX import_file_imported_at_idx ON import_file (imported_at);

-- The original bytes of an imported file, in chunks, as evidence.
CREATE TABLE import_file_content (
    import_file_id bigint NOT NULL REFERENCES import_file (id) ON DELETE CASCADE,
    chunk_no       integer NOT NULL CHECK (chunk_no >= 0),
    data           bytea NOT NULL,
    PRIMARY KEY (import_file_id, chunk_no)
);

CREATE TABLE contact (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('consumer', 'trader')),
    title          text,
    forename       text,
    surname        text,
    name           text,
    trading_as     text,
    company_number text,
    address_lines  text[],
    town           text,
    county         text,
    postcode       text,
    postcode_valid boolean,
    uprn           text,
    telephone      text,
    email          text,
    website        text,
    -- Match keys, derived from the fields above by the repository package.
    email_norm     text,
    surname_norm   text,
    initial        text,
    postcode_norm  text,
    name_norm      text,
    website_host   text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX contact_email_norm_idx ON contact (kind, email_norm)
    WHERE email_norm IS NOT NULL;
CREATE INDEX contact_surname_initial_postcode_idx
    ON contact (kind, surname_norm, initial, postcode_norm)
    WHERE surname_norm IS NOT NULL;
CREATE INDEX contact_company_number_idx ON contact (kind, company_number)
    WHERE company_number IS NOT NULL;
CREATE INDEX contact_name_postcode_idx ON contact (kind, name_norm, postcode_norm)
    WHERE name_norm IS NOT NULL;
CREATE INDEX contact_website_host_idx ON contact (kind, website_host)
    WHERE website_host IS NOT NULL;

CREATE TABLE premises (
    id                bigserial PRIMARY KEY,
    uprn              text UNIQUE,
    address_lines     text[] NOT NULL DEFAULT '{}',
    town              text,
    county            text,
    postcode          text,
    line1_norm        text,
    trader_contact_id bigint REFERENCES contact (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX premises_line1_postcode_key ON premises (line1_norm, postcode)
    WHERE uprn IS NULL;
-- Matching also finds premises that have a UPRN by first line and postcode.
CREATE INDEX premises_line1_postcode_idx ON premises (line1_norm, postcode);
CREATE INDEX premises_trader_contact_id_idx ON premises (trader_contact_id);

CREATE TABLE service_request (
    id                    bigserial PRIMARY KEY,
    source                text NOT NULL DEFAULT 'CACS',
    case_reference        text NOT NULL,
    update_sequence       integer NOT NULL CHECK (update_sequence >= 0),
    route                 text NOT NULL
                          CHECK (route IN ('Referral', 'Notification', 'Signposting')),
    case_type_code        text NOT NULL,
    case_type_label       text,
    case_type_known       boolean NOT NULL,
    recipient_role        text,
    received_at           timestamptz NOT NULL,
    channel               text,
    custodian_code        text,

    consumer_contact_id   bigint REFERENCES contact (id),
    consumer_match_rule   text CHECK (consumer_match_rule IN ('email', 'name_postcode', 'new')),
    trader_contact_id     bigint REFERENCES contact (id),
    trader_match_rule     text CHECK (trader_match_rule IN
                              ('company_number', 'name_postcode', 'website', 'new')),
    premises_id           bigint REFERENCES premises (id),

    purchase_date         date,
    purchase_amount       numeric(14, 2),
    purchase_currency     text,
    product_code          text,
    product_label         text,
    product_known         boolean,
    purchase_method_code  text,
    purchase_method_label text,
    purchase_method_known boolean,
    payment_method_code   text,
    payment_method_label  text,
    payment_method_known  boolean,
    purchase_description  text,

    breach                text,
    detriment_amount      numeric(14, 2),
    detriment_currency    text,
    scam_code             text,
    scam_label            text,
    scam_known            boolean,
    summary               text,
    advice_given          text,

    -- What the case said about the consumer that is not contact identity.
    vulnerable            boolean,
    vulnerable_reason     text,
    contact_consent       boolean,
    age_band              text,

    created_import_id     bigint NOT NULL REFERENCES import_file (id),
    last_import_id        bigint NOT NULL REFERENCES import_file (id),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, case_reference)
);

CREATE INDEX service_request_received_at_idx ON service_request (received_at);
CREATE INDEX service_request_custodian_code_idx ON service_request (custodian_code);
CREATE INDEX service_request_case_type_code_idx ON service_request (case_type_code);
CREATE INDEX service_request_consumer_contact_id_idx ON service_request (consumer_contact_id);
CREATE INDEX service_request_trader_contact_id_idx ON service_request (trader_contact_id);
CREATE INDEX service_request_premises_id_idx ON service_request (premises_id);
CREATE INDEX service_request_created_import_id_idx ON service_request (created_import_id);
CREATE INDEX service_request_last_import_id_idx ON service_request (last_import_id);

-- Every version of every case ever imported, the current one included.
CREATE TABLE case_version (
    id                 bigserial PRIMARY KEY,
    service_request_id bigint NOT NULL REFERENCES service_request (id) ON DELETE CASCADE,
    update_sequence    integer NOT NULL,
    import_file_id     bigint NOT NULL REFERENCES import_file (id),
    content            jsonb NOT NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (service_request_id, update_sequence)
);

CREATE INDEX case_version_import_file_id_idx ON case_version (import_file_id);

CREATE TABLE service_request_code (
    service_request_id bigint NOT NULL REFERENCES service_request (id) ON DELETE CASCADE,
    kind               text NOT NULL CHECK (kind IN ('complaint')),
    code               text NOT NULL,
    label              text,
    known              boolean NOT NULL,
    PRIMARY KEY (service_request_id, kind, code)
);

CREATE INDEX service_request_code_code_idx ON service_request_code (kind, code);

CREATE TABLE service_request_agency (
    service_request_id bigint NOT NULL REFERENCES service_request (id) ON DELETE CASCADE,
    position           integer NOT NULL,
    role               text,
    name               text NOT NULL,
    PRIMARY KEY (service_request_id, position)
);

CREATE TABLE service_request_note (
    service_request_id bigint NOT NULL REFERENCES service_request (id) ON DELETE CASCADE,
    position           integer NOT NULL,
    at                 timestamptz,
    text               text NOT NULL,
    PRIMARY KEY (service_request_id, position)
);

-- +goose Down

DROP TABLE service_request_note;
DROP TABLE service_request_agency;
DROP TABLE service_request_code;
DROP TABLE case_version;
DROP TABLE service_request;
DROP TABLE premises;
DROP TABLE contact;
DROP TABLE import_file_content;
DROP TABLE import_file;
DROP TABLE code_map;
DROP FUNCTION code_map_default_local_code();
DROP TABLE custodian;
