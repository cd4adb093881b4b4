-- The tables of SPEC section 3 (SQLite). Keep in step with migrations/postgres.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    licenses BIGINT NOT NULL CHECK (licenses >= 0),
    time_zone TEXT NOT NULL DEFAULT 'Europe/Stockholm',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE logins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL CHECK (length(email) > 0),
    name TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('contact', 'viewer', 'staff')),
    account_id BIGINT REFERENCES accounts (id),
    disabled BOOLEAN NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until TIMESTAMP,
    language TEXT CHECK (language IN ('en', 'sv')),
    created_at TIMESTAMP NOT NULL,
    CHECK ((role = 'staff' AND account_id IS NULL) OR (role <> 'staff' AND account_id IS NOT NULL))
);
CREATE UNIQUE INDEX logins_email_unique ON logins (lower(email));
CREATE INDEX logins_account ON logins (account_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    employee_number TEXT NOT NULL CHECK (length(employee_number) > 0),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'passive')),
    start_date DATE NOT NULL,
    end_date DATE,
    CHECK (end_date IS NULL OR end_date >= start_date),
    UNIQUE (account_id, employee_number)
);
CREATE INDEX users_counting ON users (account_id, status, end_date);

CREATE TABLE license_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    reference TEXT CHECK (reference IS NULL OR length(reference) <= 64),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    form_token TEXT NOT NULL UNIQUE,
    ordered_by BIGINT NOT NULL REFERENCES logins (id),
    ordered_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES logins (id),
    decided_at TIMESTAMP,
    decision_note TEXT
);
CREATE INDEX license_orders_account ON license_orders (account_id, status);
CREATE INDEX license_orders_queue ON license_orders (status, ordered_at);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    login_id BIGINT REFERENCES logins (id),
    account_id BIGINT REFERENCES accounts (id),
    kind TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX audit_events_account ON audit_events (account_id, id);

CREATE TABLE active_user_snapshots (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    day DATE NOT NULL,
    active_users BIGINT NOT NULL CHECK (active_users >= 0),
    licenses BIGINT NOT NULL CHECK (licenses >= 0),
    PRIMARY KEY (account_id, day)
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    login_id BIGINT REFERENCES logins (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_login ON sessions (login_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

CREATE TABLE portal_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
