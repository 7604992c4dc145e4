-- A trader's total detriment adds up pounds only: an amount in another
-- currency is counted apart rather than added as if it were pounds. A
-- custodian code not in the custodian list (kept as given) is reported
-- with the other unknown codes.

-- +goose Up

CREATE OR REPLACE VIEW report_top_traders AS
SELECT t.id AS trader_contact_id,
       coalesce(t.name, t.trading_as) AS trader,
       t.company_number,
       count(*) AS complaints,
       coalesce(sum(r.detriment_amount)
                FILTER (WHERE coalesce(r.detriment_currency, 'GBP') = 'GBP'), 0)::numeric(14, 2)
           AS total_detriment,
       count(*) FILTER (WHERE r.detriment_amount IS NOT NULL
                          AND coalesce(r.detriment_currency, 'GBP') <> 'GBP')
           AS other_currency_detriments
FROM service_request r
JOIN contact t ON t.id = r.trader_contact_id
WHERE r.received_at >= now() - interval '12 months'
GROUP BY t.id, t.name, t.trading_as, t.company_number;

CREATE OR REPLACE VIEW report_unknown_codes AS
SELECT kind, code, min(label) AS label, count(DISTINCT service_request_id) AS requests
FROM (
    SELECT 'case_type' AS kind, case_type_code AS code, case_type_label AS label,
           id AS service_request_id
    FROM service_request WHERE NOT case_type_known
    UNION ALL
    SELECT 'product', product_code, product_label, id
    FROM service_request WHERE product_known = false
    UNION ALL
    SELECT 'purchase_method', purchase_method_code, purchase_method_label, id
    FROM service_request WHERE purchase_method_known = false
    UNION ALL
    SELECT 'payment_method', payment_method_code, payment_method_label, id
    FROM service_request WHERE payment_method_known = false
    UNION ALL
    SELECT 'scam', scam_code, scam_label, id
    FROM service_request WHERE scam_known = false
    UNION ALL
    SELECT 'complaint', code, label, service_request_id
    FROM service_request_code WHERE NOT known
    UNION ALL
    SELECT 'custodian', r.custodian_code, NULL, r.id
    FROM service_request r
    WHERE r.custodian_code IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM custodian c WHERE c.custodian_code = r.custodian_code)
) u
GROUP BY kind, code;

-- +goose Down

CREATE OR REPLACE VIEW report_unknown_codes AS
SELECT kind, code, min(label) AS label, count(DISTINCT service_request_id) AS requests
FROM (
    SELECT 'case_type' AS kind, case_type_code AS code, case_type_label AS label,
           id AS service_request_id
    FROM service_request WHERE NOT case_type_known
    UNION ALL
    SELECT 'product', product_code, product_label, id
    FROM service_request WHERE product_known = false
    UNION ALL
    SELECT 'purchase_method', purchase_method_code, purchase_method_label, id
    FROM service_request WHERE purchase_method_known = false
    UNION ALL
    SELECT 'payment_method', payment_method_code, payment_method_label, id
    FROM service_request WHERE payment_method_known = false
    UNION ALL
    SELECT 'scam', scam_code, scam_label, id
    FROM service_request WHERE scam_known = false
    UNION ALL
    SELECT 'complaint', code, label, service_request_id
    FROM service_request_code WHERE NOT known
) u
GROUP BY kind, code;

DROP VIEW report_top_traders;
CREATE VIEW report_top_traders AS
SELECT t.id AS trader_contact_id,
       coalesce(t.name, t.trading_as) AS trader,
       t.company_number,
       count(*) AS complaints,
       coalesce(sum(r.detriment_amount), 0)::numeric(14, 2) AS total_detriment
FROM service_request r
JOIN contact t ON t.id = r.trader_contact_id
WHERE r.received_at >= now() - interval '12 months'
GROUP BY t.id, t.name, t.trading_as, t.company_number;
