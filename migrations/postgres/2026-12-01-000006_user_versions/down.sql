DROP TABLE user_versions;
DROP INDEX IF EXISTS user_counts_sums;
