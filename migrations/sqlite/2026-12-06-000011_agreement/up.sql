-- SPEC 15: the agreement, and what orders cost. Money as whole hundredths
-- of the currency, never floating point. Keep in step with
-- migrations/postgres.
-- Null price: no prices anywhere for the account.
ALTER TABLE accounts ADD COLUMN price_minor BIGINT CHECK (price_minor IS NULL OR price_minor >= 0);
ALTER TABLE accounts ADD COLUMN currency TEXT CHECK (currency IS NULL OR length(currency) = 3);
ALTER TABLE accounts ADD COLUMN billing TEXT CHECK (billing IS NULL OR billing IN ('monthly', 'annual'));
ALTER TABLE accounts ADD COLUMN renews_on DATE;
-- The renewal day whose renewal_coming mail went out (once per renewal day).
ALTER TABLE accounts ADD COLUMN renewal_mailed_for DATE;
-- An order keeps the price and currency as they stood when it was placed,
-- and the cost shown then.
ALTER TABLE license_orders ADD COLUMN price_minor BIGINT CHECK (price_minor IS NULL OR price_minor >= 0);
ALTER TABLE license_orders ADD COLUMN currency TEXT;
ALTER TABLE license_orders ADD COLUMN cost_minor BIGINT CHECK (cost_minor IS NULL OR cost_minor >= 0);
