ALTER TABLE logins DROP COLUMN warnings_by_mail;
ALTER TABLE accounts DROP COLUMN short_warned_for;
ALTER TABLE accounts DROP COLUMN threshold_warned;
ALTER TABLE accounts DROP COLUMN look_ahead_days;
ALTER TABLE accounts DROP COLUMN threshold_percent;
DROP INDEX users_number_trgm;
DROP INDEX users_name_trgm;
CREATE OR REPLACE FUNCTION users_count_change() RETURNS trigger AS $$
BEGIN
    IF current_setting('portal.bulk_users', true) = 'on' THEN
        RETURN NULL;
    END IF;
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
DROP TABLE unit_counts;
DROP INDEX users_by_start;
DROP INDEX users_by_unit;
ALTER TABLE user_versions DROP COLUMN unit;
ALTER TABLE users DROP COLUMN unit;
