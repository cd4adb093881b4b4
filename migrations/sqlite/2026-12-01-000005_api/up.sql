-- The JSON API (SPEC section 9): bearer tokens, of which only the SHA-256
-- is kept (with the first 8 characters, to tell them apart in lists), and
-- the idempotency keys of orders placed through the API, kept per token
-- with a hash of the request body. Keep in step with migrations/postgres.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'order', 'sync', 'decide')),
    account_id BIGINT REFERENCES accounts (id),
    created_by BIGINT REFERENCES logins (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP,
    last_used_at TIMESTAMP,
    -- Account tokens (read, order) belong to one account; vendor tokens
    -- (sync, decide) to one account or, without one, to every account.
    CHECK (scope IN ('sync', 'decide') OR account_id IS NOT NULL)
);
CREATE INDEX api_tokens_account ON api_tokens (account_id, created_at);

CREATE TABLE api_idempotency_keys (
    token_id BIGINT NOT NULL REFERENCES api_tokens (id),
    idempotency_key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES license_orders (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (token_id, idempotency_key)
);
CREATE INDEX api_idempotency_keys_age ON api_idempotency_keys (created_at);
