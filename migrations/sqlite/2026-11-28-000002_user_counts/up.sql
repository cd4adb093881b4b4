-- How many active users each account has per end date ('9999-12-31' for
-- none), kept by triggers in the same transaction as every change of users.
-- counted(account, day) = SUM(active_users) WHERE end_date >= day: the SQL
-- form of domain::counting, a few rows per account instead of every user.
CREATE TABLE user_counts (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    end_date DATE NOT NULL,
    active_users INTEGER NOT NULL CHECK (active_users >= 0),
    PRIMARY KEY (account_id, end_date)
);

INSERT INTO user_counts (account_id, end_date, active_users)
SELECT account_id, coalesce(end_date, '9999-12-31'), count(*)
FROM users WHERE status = 'active'
GROUP BY account_id, coalesce(end_date, '9999-12-31');

CREATE TRIGGER users_count_insert AFTER INSERT ON users
WHEN NEW.status = 'active'
BEGIN
    INSERT INTO user_counts (account_id, end_date, active_users)
    VALUES (NEW.account_id, coalesce(NEW.end_date, '9999-12-31'), 1)
    ON CONFLICT (account_id, end_date) DO UPDATE SET active_users = active_users + 1;
END;

CREATE TRIGGER users_count_delete AFTER DELETE ON users
WHEN OLD.status = 'active'
BEGIN
    UPDATE user_counts SET active_users = active_users - 1
    WHERE account_id = OLD.account_id AND end_date = coalesce(OLD.end_date, '9999-12-31');
END;

CREATE TRIGGER users_count_update AFTER UPDATE OF status, end_date, account_id ON users
BEGIN
    UPDATE user_counts SET active_users = active_users - 1
    WHERE OLD.status = 'active'
      AND account_id = OLD.account_id AND end_date = coalesce(OLD.end_date, '9999-12-31');
    INSERT INTO user_counts (account_id, end_date, active_users)
    SELECT NEW.account_id, coalesce(NEW.end_date, '9999-12-31'), 1
    WHERE NEW.status = 'active'
    ON CONFLICT (account_id, end_date) DO UPDATE SET active_users = active_users + 1;
END;

-- The users list and the report sort by name within an account.
CREATE INDEX users_by_name ON users (account_id, name, id);
