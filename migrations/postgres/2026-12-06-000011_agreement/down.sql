ALTER TABLE license_orders DROP COLUMN cost_minor;
ALTER TABLE license_orders DROP COLUMN currency;
ALTER TABLE license_orders DROP COLUMN price_minor;
ALTER TABLE accounts DROP COLUMN renewal_mailed_for;
ALTER TABLE accounts DROP COLUMN renews_on;
ALTER TABLE accounts DROP COLUMN billing;
ALTER TABLE accounts DROP COLUMN currency;
ALTER TABLE accounts DROP COLUMN price_minor;
