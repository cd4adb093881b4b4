-- Mail (SPEC section 7): the outbox every mail is written to in the same
-- transaction as the change it reports, the one-time links of invitations
-- and password resets (only their SHA-256 is kept), and the account's
-- "over its licenses" mark so the warning goes out once per crossing.
-- Keep in step with migrations/postgres.
CREATE TABLE outbox (
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
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE login_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    login_id BIGINT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX login_tokens_login ON login_tokens (login_id, purpose, created_at);

ALTER TABLE accounts ADD COLUMN over_licenses_notified BOOLEAN NOT NULL DEFAULT 0;
