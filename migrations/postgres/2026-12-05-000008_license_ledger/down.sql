DELETE FROM outbox WHERE kind NOT IN ('invitation', 'password_reset', 'password_changed', 'order_placed', 'order_cancelled', 'order_decided', 'over_licenses');
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('invitation', 'password_reset', 'password_changed', 'order_placed', 'order_cancelled', 'order_decided', 'over_licenses'));
ALTER TABLE license_orders DROP COLUMN ends_on;
ALTER TABLE license_orders DROP COLUMN starts_on;
ALTER TABLE license_orders DROP COLUMN kind;
ALTER TABLE accounts DROP COLUMN licenses_ahead;
ALTER TABLE accounts DROP COLUMN licenses_until;
DROP TABLE license_ledger;
