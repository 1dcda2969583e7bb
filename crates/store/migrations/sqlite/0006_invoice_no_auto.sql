-- An invoice of `no_auto` packages (`Y`): never charged to the customer's
-- card or account automatically (backend spec 9.6).
ALTER TABLE cust_bill ADD COLUMN no_auto TEXT NOT NULL DEFAULT '';
