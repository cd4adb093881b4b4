DROP INDEX users_by_name;
DROP TRIGGER users_count ON users;
DROP FUNCTION users_count_change();
DROP TABLE user_counts;
