-- SPEC 14: units on users and in their history; warnings before the
-- licenses run short. Keep in step with migrations/sqlite.

-- A user's unit (a store, site or department): null for none.
ALTER TABLE users ADD COLUMN unit TEXT CHECK (unit IS NULL OR length(unit) BETWEEN 1 AND 100);
ALTER TABLE user_versions ADD COLUMN unit TEXT;
-- The users list filtered by unit, by name.
CREATE INDEX users_by_unit ON users (account_id, unit, name, id);
-- The "before you order" panel: future starters by start date (passive
-- users by users_counting; ended and ending soon from user_counts).
CREATE INDEX users_by_start ON users (account_id, status, start_date);

-- No other instance may change users between the fill and the trigger.
LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;

-- Active users per unit ('' for none) and end date, kept by the trigger
-- as user_counts is: the report's table by unit today is a group-by over a
-- few rows per unit, not a scan of the users.
CREATE TABLE unit_counts (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    unit TEXT NOT NULL,
    end_date DATE NOT NULL,
    active_users INTEGER NOT NULL CHECK (active_users >= 0),
    PRIMARY KEY (account_id, unit, end_date)
);
INSERT INTO unit_counts (account_id, unit, end_date, active_users)
SELECT account_id, coalesce(unit, ''), coalesce(end_date, DATE '9999-12-31'), count(*)
FROM users WHERE status = 'active'
GROUP BY account_id, coalesce(unit, ''), coalesce(end_date, DATE '9999-12-31');

-- The trigger keeps both sums; a bulk write (portal.bulk_users) recounts
-- its account's once at the end (models::user::User::in_bulk).
CREATE OR REPLACE FUNCTION users_count_change() RETURNS trigger AS $$
BEGIN
    IF current_setting('portal.bulk_users', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active' THEN
        UPDATE user_counts SET active_users = active_users - 1
        WHERE account_id = OLD.account_id AND end_date = coalesce(OLD.end_date, DATE '9999-12-31');
        UPDATE unit_counts SET active_users = active_users - 1
        WHERE account_id = OLD.account_id AND unit = coalesce(OLD.unit, '')
          AND end_date = coalesce(OLD.end_date, DATE '9999-12-31');
        -- A row that comes to 0 goes, so units emptied long ago cost nothing.
        DELETE FROM unit_counts
        WHERE account_id = OLD.account_id AND unit = coalesce(OLD.unit, '')
          AND end_date = coalesce(OLD.end_date, DATE '9999-12-31') AND active_users = 0;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'active' THEN
        INSERT INTO user_counts (account_id, end_date, active_users)
        VALUES (NEW.account_id, coalesce(NEW.end_date, DATE '9999-12-31'), 1)
        ON CONFLICT (account_id, end_date) DO UPDATE SET active_users = user_counts.active_users + 1;
        INSERT INTO unit_counts (account_id, unit, end_date, active_users)
        VALUES (NEW.account_id, coalesce(NEW.unit, ''), coalesce(NEW.end_date, DATE '9999-12-31'), 1)
        ON CONFLICT (account_id, unit, end_date) DO UPDATE SET active_users = unit_counts.active_users + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- Search by name or employee number (SPEC 4): trigram indexes (pg_trgm,
-- part of PostgreSQL), so a search for any part of a name or a number
-- ("öst" in "Åsa Öster", ILIKE) reads the indexes instead of every user.
-- (One index over `name || ' ' || employee_number` costs a sync less, but
-- the planner then walked users_by_name for a common surname: 1 s at
-- 1,000,000 users, against 22 ms with these two.)
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_name_trgm ON users USING gin (name gin_trgm_ops);
CREATE INDEX users_number_trgm ON users USING gin (employee_number gin_trgm_ops);

-- Warnings: a usage threshold in percent (null: off) and a look-ahead in
-- days (0: off); the marks that make each warning go out once (set by a
-- conditional update, so of two instances one writes the mails).
ALTER TABLE accounts ADD COLUMN threshold_percent INTEGER DEFAULT 90 CHECK (threshold_percent BETWEEN 1 AND 100);
ALTER TABLE accounts ADD COLUMN look_ahead_days INTEGER NOT NULL DEFAULT 30 CHECK (look_ahead_days BETWEEN 0 AND 365);
ALTER TABLE accounts ADD COLUMN threshold_warned BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE accounts ADD COLUMN short_warned_for DATE;
-- A login's "Warnings by mail" at /me.
ALTER TABLE logins ADD COLUMN warnings_by_mail BOOLEAN NOT NULL DEFAULT true;
