-- SPEC 14: units on users and in their history; warnings before the
-- licenses run short. Keep in step with migrations/postgres.

-- A user's unit (a store, site or department): null for none.
ALTER TABLE users ADD COLUMN unit TEXT CHECK (unit IS NULL OR length(unit) BETWEEN 1 AND 100);
ALTER TABLE user_versions ADD COLUMN unit TEXT;
-- The users list filtered by unit, by name.
CREATE INDEX users_by_unit ON users (account_id, unit, name, id);
-- The "before you order" panel: future starters by start date (passive
-- users by users_counting; ended and ending soon from user_counts).
CREATE INDEX users_by_start ON users (account_id, status, start_date);

-- Active users per unit ('' for none) and end date, kept by triggers as
-- user_counts is: the report's table by unit today is a group-by over a
-- few rows per unit, not a scan of the users.
CREATE TABLE unit_counts (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    unit TEXT NOT NULL,
    end_date DATE NOT NULL,
    active_users INTEGER NOT NULL CHECK (active_users >= 0),
    PRIMARY KEY (account_id, unit, end_date)
);
INSERT INTO unit_counts (account_id, unit, end_date, active_users)
SELECT account_id, coalesce(unit, ''), coalesce(end_date, '9999-12-31'), count(*)
FROM users WHERE status = 'active'
GROUP BY account_id, coalesce(unit, ''), coalesce(end_date, '9999-12-31');

CREATE TRIGGER unit_count_insert AFTER INSERT ON users
WHEN NEW.status = 'active'
BEGIN
    INSERT INTO unit_counts (account_id, unit, end_date, active_users)
    VALUES (NEW.account_id, coalesce(NEW.unit, ''), coalesce(NEW.end_date, '9999-12-31'), 1)
    ON CONFLICT (account_id, unit, end_date) DO UPDATE SET active_users = active_users + 1;
END;

-- A row that comes to 0 goes, so units emptied long ago cost nothing.
CREATE TRIGGER unit_count_delete AFTER DELETE ON users
WHEN OLD.status = 'active'
BEGIN
    UPDATE unit_counts SET active_users = active_users - 1
    WHERE account_id = OLD.account_id AND unit = coalesce(OLD.unit, '')
      AND end_date = coalesce(OLD.end_date, '9999-12-31');
    DELETE FROM unit_counts
    WHERE account_id = OLD.account_id AND unit = coalesce(OLD.unit, '')
      AND end_date = coalesce(OLD.end_date, '9999-12-31') AND active_users = 0;
END;

CREATE TRIGGER unit_count_update AFTER UPDATE OF status, end_date, account_id, unit ON users
BEGIN
    UPDATE unit_counts SET active_users = active_users - 1
    WHERE OLD.status = 'active'
      AND account_id = OLD.account_id AND unit = coalesce(OLD.unit, '')
      AND end_date = coalesce(OLD.end_date, '9999-12-31');
    DELETE FROM unit_counts
    WHERE account_id = OLD.account_id AND unit = coalesce(OLD.unit, '')
      AND end_date = coalesce(OLD.end_date, '9999-12-31') AND active_users = 0;
    INSERT INTO unit_counts (account_id, unit, end_date, active_users)
    SELECT NEW.account_id, coalesce(NEW.unit, ''), coalesce(NEW.end_date, '9999-12-31'), 1
    WHERE NEW.status = 'active'
    ON CONFLICT (account_id, unit, end_date) DO UPDATE SET active_users = active_users + 1;
END;

-- Search by name or employee number (SPEC 4): an FTS5 index over the
-- users' table, kept by triggers. A search finds the users with a word of
-- the name or the number starting with each word searched ("öst" finds
-- "Åsa Öster"; case folded over all of Unicode, accents kept). The
-- account's id is indexed too, so a search reads its own account's
-- entries only (`account_id : "7" AND ...`).
CREATE VIRTUAL TABLE users_search USING fts5(
    name, employee_number, account_id,
    content = 'users', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO users_search (users_search) VALUES ('rebuild');
CREATE TRIGGER users_search_insert AFTER INSERT ON users
BEGIN
    INSERT INTO users_search (rowid, name, employee_number, account_id)
    VALUES (NEW.id, NEW.name, NEW.employee_number, NEW.account_id);
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users
BEGIN
    INSERT INTO users_search (users_search, rowid, name, employee_number, account_id)
    VALUES ('delete', OLD.id, OLD.name, OLD.employee_number, OLD.account_id);
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF name, employee_number, account_id ON users
WHEN OLD.name IS NOT NEW.name OR OLD.employee_number IS NOT NEW.employee_number
  OR OLD.account_id IS NOT NEW.account_id
BEGIN
    INSERT INTO users_search (users_search, rowid, name, employee_number, account_id)
    VALUES ('delete', OLD.id, OLD.name, OLD.employee_number, OLD.account_id);
    INSERT INTO users_search (rowid, name, employee_number, account_id)
    VALUES (NEW.id, NEW.name, NEW.employee_number, NEW.account_id);
END;

-- Warnings: a usage threshold in percent (null: off) and a look-ahead in
-- days (0: off); the marks that make each warning go out once (set by a
-- conditional update, so of two instances one writes the mails).
ALTER TABLE accounts ADD COLUMN threshold_percent INTEGER DEFAULT 90 CHECK (threshold_percent BETWEEN 1 AND 100);
ALTER TABLE accounts ADD COLUMN look_ahead_days INTEGER NOT NULL DEFAULT 30 CHECK (look_ahead_days BETWEEN 0 AND 365);
ALTER TABLE accounts ADD COLUMN threshold_warned BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN short_warned_for DATE;
-- A login's "Warnings by mail" at /me.
ALTER TABLE logins ADD COLUMN warnings_by_mail BOOLEAN NOT NULL DEFAULT 1;
