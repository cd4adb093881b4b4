DROP TABLE order_messages;
DROP INDEX license_orders_decided;
DROP INDEX license_orders_by_rule;
ALTER TABLE license_orders DROP COLUMN by_rule;
ALTER TABLE accounts DROP COLUMN rule_max_per_30_days;
ALTER TABLE accounts DROP COLUMN rule_max_quantity;
