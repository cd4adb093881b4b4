ALTER TABLE license_orders DROP COLUMN ends_on;
ALTER TABLE license_orders DROP COLUMN starts_on;
ALTER TABLE license_orders DROP COLUMN kind;
ALTER TABLE accounts DROP COLUMN licenses_until;
DROP TABLE license_ledger;
