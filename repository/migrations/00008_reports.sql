-- The numbers Trading Standards reports, as views a BI tool reads directly.
-- Months and ages are counted in UK time.

-- +goose Up

CREATE VIEW report_requests_by_month AS
SELECT date_trunc('month', received_at AT TIME ZONE 'Europe/London')::date AS month,
       route,
       case_type_code AS case_type,
       count(*) AS requests
FROM service_request
GROUP BY 1, 2, 3;

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

CREATE VIEW report_open_referrals AS
SELECT r.id AS service_request_id,
       r.case_reference,
       r.received_at,
       (now() AT TIME ZONE 'Europe/London')::date
           - (r.received_at AT TIME ZONE 'Europe/London')::date AS age_days,
       o.name AS officer,
       r.assigned_queue AS queue
FROM service_request r
LEFT JOIN officer o ON o.id = r.assigned_officer_id
WHERE r.route = 'Referral' AND r.status = 'open';

CREATE VIEW report_unknown_codes AS
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

-- +goose Down

DROP VIEW report_unknown_codes;
DROP VIEW report_open_referrals;
DROP VIEW report_top_traders;
DROP VIEW report_requests_by_month;
