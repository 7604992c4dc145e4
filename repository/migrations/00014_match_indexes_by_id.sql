-- The look-ups that match an incoming contact take the first (lowest id)
-- contact with the same keys. Their indexes now end in id, so that the
-- index gives that contact directly, whatever the values: a plan made once
-- for a prepared statement (which the import's statements run on) could
-- otherwise read every trader of a common name, in id order, to find the
-- one at a postcode. Likewise a trader's premises and a consumer's and
-- trader's other requests; the index on a request's consumer alone
-- gives way to the one on its consumer and trader, which begins with it.

-- +goose Up

CREATE INDEX contact_surname_initial_postcode_id_idx
    ON contact (kind, surname_norm, initial, postcode_norm, id) WHERE surname_norm IS NOT NULL;
DROP INDEX contact_surname_initial_postcode_idx;
CREATE INDEX contact_company_number_id_idx
    ON contact (kind, company_number, id) WHERE company_number IS NOT NULL;
DROP INDEX contact_company_number_idx;
CREATE INDEX contact_name_postcode_id_idx
    ON contact (kind, name_norm, postcode_norm, id) WHERE name_norm IS NOT NULL;
DROP INDEX contact_name_postcode_idx;
CREATE INDEX contact_website_host_id_idx
    ON contact (kind, website_host, id) WHERE website_host IS NOT NULL;
DROP INDEX contact_website_host_idx;
CREATE INDEX premises_trader_contact_id_id_idx ON premises (trader_contact_id, id);
DROP INDEX premises_trader_contact_id_idx;
CREATE INDEX service_request_consumer_trader_id_idx
    ON service_request (consumer_contact_id, trader_contact_id, id);
DROP INDEX service_request_consumer_contact_id_idx;

-- +goose Down

CREATE INDEX service_request_consumer_contact_id_idx ON service_request (consumer_contact_id);
DROP INDEX service_request_consumer_trader_id_idx;
CREATE INDEX premises_trader_contact_id_idx ON premises (trader_contact_id);
DROP INDEX premises_trader_contact_id_id_idx;
CREATE INDEX contact_website_host_idx ON contact (kind, website_host)
    WHERE website_host IS NOT NULL;
DROP INDEX contact_website_host_id_idx;
CREATE INDEX contact_name_postcode_idx ON contact (kind, name_norm, postcode_norm)
    WHERE name_norm IS NOT NULL;
DROP INDEX contact_name_postcode_id_idx;
CREATE INDEX contact_company_number_idx ON contact (kind, company_number)
    WHERE company_number IS NOT NULL;
DROP INDEX contact_company_number_id_idx;
CREATE INDEX contact_surname_initial_postcode_idx
    ON contact (kind, surname_norm, initial, postcode_norm) WHERE surname_norm IS NOT NULL;
DROP INDEX contact_surname_initial_postcode_id_idx;
