DROP TABLE api_idempotency_keys;
DROP TABLE api_tokens;
