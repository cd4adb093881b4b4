DROP TABLE user_versions;
