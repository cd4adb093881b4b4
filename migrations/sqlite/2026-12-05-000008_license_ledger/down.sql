DELETE FROM outbox WHERE kind NOT IN ('invitation', 'password_reset', 'password_changed', 'order_placed', 'order_cancelled', 'order_decided', 'over_licenses');
CREATE TABLE outbox_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('invitation', 'password_reset', 'password_changed', 'order_placed', 'order_cancelled', 'order_decided', 'over_licenses')),
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
INSERT INTO outbox_old SELECT * FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
ALTER TABLE license_orders DROP COLUMN ends_on;
ALTER TABLE license_orders DROP COLUMN starts_on;
ALTER TABLE license_orders DROP COLUMN kind;
ALTER TABLE accounts DROP COLUMN licenses_ahead;
ALTER TABLE accounts DROP COLUMN licenses_until;
DROP TABLE license_ledger;
