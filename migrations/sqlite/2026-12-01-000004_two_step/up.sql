-- Two-step sign-in (SPEC 8): a login's TOTP secret (base32, kept
-- server-side only; NULL while two-step is off), the last time step it
-- used (a step is accepted once, across instances), and its recovery
-- codes (only their SHA-256). Keep in step with migrations/postgres.
ALTER TABLE logins ADD COLUMN totp_secret TEXT;
ALTER TABLE logins ADD COLUMN totp_last_step BIGINT;

CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    login_id BIGINT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_login ON recovery_codes (login_id, code_hash);
