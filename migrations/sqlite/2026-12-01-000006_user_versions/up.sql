-- History (SPEC 11): every change of a user closes its current version
-- (valid_to) and opens a new one, in the same transaction, stamped by the
-- portal's clock in UTC; changed_by says who (a login, an import and its
-- file, an API token). Users that exist now get their first version at
-- this moment. Keep in step with migrations/postgres.
CREATE TABLE user_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    employee_number TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'passive')),
    start_date DATE NOT NULL,
    end_date DATE,
    valid_from TIMESTAMP NOT NULL,
    valid_to TIMESTAMP,
    changed_by TEXT NOT NULL,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
-- The versions of an account (those valid at time T: valid_from < T, then
-- valid_to null or after T), by employee number for a past day's CSV a
-- chunk at a time, and a user's versions for its page. One index for all:
-- a sync writes 100,000 versions at once, and each index costs.
CREATE INDEX user_versions_number ON user_versions (account_id, employee_number, valid_from);
-- One current version a user.
CREATE UNIQUE INDEX user_versions_current ON user_versions (user_id) WHERE valid_to IS NULL;

INSERT INTO user_versions (user_id, account_id, employee_number, name, status, start_date, end_date, valid_from, valid_to, changed_by)
SELECT id, account_id, employee_number, name, status, start_date, end_date, strftime('%Y-%m-%d %H:%M:%f', 'now'), NULL, 'history began'
FROM users;
