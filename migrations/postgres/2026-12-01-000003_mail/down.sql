ALTER TABLE accounts DROP COLUMN over_licenses_notified;
DROP TABLE login_tokens;
DROP TABLE outbox;
