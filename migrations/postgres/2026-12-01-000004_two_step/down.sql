DROP TABLE recovery_codes;
ALTER TABLE logins DROP COLUMN totp_last_step;
ALTER TABLE logins DROP COLUMN totp_secret;
