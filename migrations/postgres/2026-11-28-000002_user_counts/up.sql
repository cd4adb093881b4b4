-- How many active users each account has per end date ('9999-12-31' for
-- none), kept by a trigger in the same transaction as every change of users.
-- counted(account, day) = SUM(active_users) WHERE end_date >= day: the SQL
-- form of domain::counting, a few rows per account instead of every user.
-- No other instance may change users between the fill and the trigger.
LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE user_counts (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    end_date DATE NOT NULL,
    active_users INTEGER NOT NULL CHECK (active_users >= 0),
    PRIMARY KEY (account_id, end_date)
);

INSERT INTO user_counts (account_id, end_date, active_users)
SELECT account_id, coalesce(end_date, DATE '9999-12-31'), count(*)
FROM users WHERE status = 'active'
GROUP BY account_id, coalesce(end_date, DATE '9999-12-31');

CREATE FUNCTION users_count_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active' THEN
        UPDATE user_counts SET active_users = active_users - 1
        WHERE account_id = OLD.account_id AND end_date = coalesce(OLD.end_date, DATE '9999-12-31');
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'active' THEN
        INSERT INTO user_counts (account_id, end_date, active_users)
        VALUES (NEW.account_id, coalesce(NEW.end_date, DATE '9999-12-31'), 1)
        ON CONFLICT (account_id, end_date) DO UPDATE SET active_users = user_counts.active_users + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_count AFTER INSERT OR UPDATE OR DELETE ON users
FOR EACH ROW EXECUTE FUNCTION users_count_change();

-- The users list and the report sort by name within an account.
CREATE INDEX users_by_name ON users (account_id, name, id);
