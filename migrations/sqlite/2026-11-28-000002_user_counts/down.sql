DROP INDEX users_by_name;
DROP TRIGGER users_count_update;
DROP TRIGGER users_count_delete;
DROP TRIGGER users_count_insert;
DROP TABLE user_counts;
