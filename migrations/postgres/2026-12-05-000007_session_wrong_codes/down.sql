ALTER TABLE sessions DROP COLUMN wrong_codes;
