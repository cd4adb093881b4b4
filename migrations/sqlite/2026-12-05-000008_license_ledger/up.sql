-- SPEC 12: licenses over time. The ledger is the one record of licenses;
-- accounts.licenses stays today's figure, and licenses_until the last day
-- that figure holds (null: no change is coming), so that a day turning
-- costs nothing for an account without a coming change.
CREATE TABLE license_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    change BIGINT NOT NULL CHECK (change <> 0),
    starts_on DATE NOT NULL,
    ends_on DATE CHECK (ends_on IS NULL OR ends_on >= starts_on),
    kind TEXT NOT NULL CHECK (kind IN ('initial', 'order', 'adjustment')),
    order_id BIGINT REFERENCES license_orders (id),
    login_id BIGINT REFERENCES logins (id),
    reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX license_ledger_account ON license_ledger (account_id, starts_on);
CREATE UNIQUE INDEX license_ledger_order ON license_ledger (order_id);

-- Every account that exists now owns its licenses from today on.
INSERT INTO license_ledger (account_id, change, starts_on, kind, created_at)
SELECT id, licenses, CURRENT_DATE, 'initial', CURRENT_TIMESTAMP FROM accounts WHERE licenses <> 0;

ALTER TABLE accounts ADD COLUMN licenses_until DATE;

ALTER TABLE license_orders ADD COLUMN kind TEXT NOT NULL DEFAULT 'add' CHECK (kind IN ('add', 'reduce'));
ALTER TABLE license_orders ADD COLUMN starts_on DATE;
ALTER TABLE license_orders ADD COLUMN ends_on DATE;
