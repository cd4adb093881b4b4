-- SPEC 13: approval rules, a word on each order.
-- A rule per account: 0 in either turns it off (the default).
ALTER TABLE accounts ADD COLUMN rule_max_quantity BIGINT NOT NULL DEFAULT 0 CHECK (rule_max_quantity >= 0);
ALTER TABLE accounts ADD COLUMN rule_max_per_30_days BIGINT NOT NULL DEFAULT 0 CHECK (rule_max_per_30_days >= 0);
-- An order the account's rule approved when it was placed (decided_by is
-- null then, as for a vendor token made by the command line).
ALTER TABLE license_orders ADD COLUMN by_rule BOOLEAN NOT NULL DEFAULT 0;
-- The rule's 30 days: the account's rule approvals by time.
CREATE INDEX license_orders_by_rule ON license_orders (account_id, decided_at) WHERE by_rule;
-- The median time to a decision: decided orders by when.
CREATE INDEX license_orders_decided ON license_orders (decided_at) WHERE decided_at IS NOT NULL;

CREATE TABLE order_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES license_orders (id),
    -- Null: a vendor token made by the command line, with no login.
    login_id BIGINT REFERENCES logins (id),
    at TIMESTAMP NOT NULL,
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000)
);
CREATE INDEX order_messages_order ON order_messages (order_id, id);
