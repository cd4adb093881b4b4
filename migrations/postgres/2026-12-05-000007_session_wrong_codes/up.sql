-- Wrong two-step codes of a half-signed-in session, counted in the row
-- itself by one conditional update each, so parallel codes are each
-- counted once (SPEC 8.2: five wrong codes end the half session).
ALTER TABLE sessions ADD COLUMN wrong_codes INTEGER NOT NULL DEFAULT 0;
