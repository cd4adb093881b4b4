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
    created_at TIMESTAMP NOT NULL,
    -- When the licenses_ending mail of a row with an end went out.
    ending_mailed_at TIMESTAMP
);
CREATE INDEX license_ledger_account ON license_ledger (account_id, starts_on);
-- The rows ahead of a day (the overview, on every request): those that
-- start after it, or end on it or later, each found by its own index.
CREATE INDEX license_ledger_ends ON license_ledger (account_id, ends_on);
CREATE UNIQUE INDEX license_ledger_order ON license_ledger (order_id);

-- Every account that exists now owns its licenses from today on.
INSERT INTO license_ledger (account_id, change, starts_on, kind, created_at)
SELECT id, licenses, CURRENT_DATE, 'initial', CURRENT_TIMESTAMP FROM accounts WHERE licenses <> 0;

ALTER TABLE accounts ADD COLUMN licenses_until DATE;
-- The rows ahead of licenses_until's day, as JSON [[change, first, last]]:
-- what the overview lists as coming, brought by the session's read.
ALTER TABLE accounts ADD COLUMN licenses_ahead TEXT;

ALTER TABLE license_orders ADD COLUMN kind TEXT NOT NULL DEFAULT 'add' CHECK (kind IN ('add', 'reduce'));
ALTER TABLE license_orders ADD COLUMN starts_on DATE;
ALTER TABLE license_orders ADD COLUMN ends_on DATE;

-- The mails of SPEC 12 to 15: SQLite changes a CHECK by rebuilding the table.
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('invitation', 'password_reset', 'password_changed', 'order_placed', 'order_cancelled', 'order_decided', 'over_licenses', 'licenses_ending', 'order_message', 'usage_threshold', 'forecast_short', 'renewal_coming')),
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    last_error TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed'))
);
INSERT INTO outbox_new (id, kind, to_address, subject, body, created_at, attempts, next_attempt_at, sent_at, last_error, status)
SELECT id, kind, to_address, subject, body, created_at, attempts, next_attempt_at, sent_at, last_error, status FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
