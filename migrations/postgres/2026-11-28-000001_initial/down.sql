DROP TABLE portal_settings;
DROP TABLE sessions;
DROP TABLE active_user_snapshots;
DROP TABLE audit_events;
DROP TABLE license_orders;
DROP TABLE users;
DROP TABLE logins;
DROP TABLE accounts;
