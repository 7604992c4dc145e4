-- A trader's total detriment adds up pounds only: an amount in another
-- currency is counted apart rather than added as if it were pounds.

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

-- +goose Down

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
