-- Bursar schema, version 2 (SQLite): what the billing engine keeps beside the
-- ledger. Money is integer cents; dates are UNIX seconds.

-- A package's period is billed once: at most one line per package and
-- period start, and one setup line of a one-time package. Two runs (or a
-- run beside bill_now) that somehow got past the customer lock fail here
-- instead of billing twice.
CREATE UNIQUE INDEX cust_bill_pkg_period ON cust_bill_pkg (pkgnum, sdate)
    WHERE pkgnum <> 0 AND sdate IS NOT NULL;
CREATE UNIQUE INDEX cust_bill_pkg_onetime ON cust_bill_pkg (pkgnum)
    WHERE pkgnum <> 0 AND sdate IS NULL;
-- The newest invoice of a customer (previous_balance).
CREATE INDEX cust_bill_custnum_date ON cust_bill (custnum, _date, invnum);

-- The row every billing transaction on SQLite writes first, so it holds
-- the database's write lock from its first statement (a deferred
-- transaction that read first could not upgrade safely). PostgreSQL locks
-- the customers' rows instead.
CREATE TABLE billing_lock (
    name TEXT PRIMARY KEY,
    locked_at BIGINT NOT NULL DEFAULT 0
);
INSERT INTO billing_lock (name, locked_at) VALUES ('billing', 0);

-- Charges sent (or about to be sent) to the payment gateway. A row is
-- committed as `pending` before the gateway is called, so a crash can never
-- lead to charging twice: the next pass asks the gateway what became of it
-- first. status: pending | approved | declined | unknown | failed.
CREATE TABLE cust_pay_attempt (
    attemptnum INTEGER PRIMARY KEY,
    custnum BIGINT NOT NULL REFERENCES cust_main (custnum),
    _date BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    payby TEXT NOT NULL,
    payinfo TEXT NOT NULL DEFAULT '',
    paymask TEXT NOT NULL DEFAULT '',
    paydate TEXT NOT NULL DEFAULT '',
    order_number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    processor TEXT NOT NULL DEFAULT '',
    auth TEXT NOT NULL DEFAULT '',
    paynum BIGINT REFERENCES cust_pay (paynum),
    resolved_date BIGINT
);
CREATE INDEX cust_pay_attempt_custnum ON cust_pay_attempt (custnum);
CREATE INDEX cust_pay_attempt_status ON cust_pay_attempt (status);

-- What billing did to a customer besides invoicing: dunning suspensions and
-- unsuspensions, expiries, declined charges.
CREATE TABLE cust_event (
    eventnum INTEGER PRIMARY KEY,
    custnum BIGINT NOT NULL REFERENCES cust_main (custnum),
    _date BIGINT NOT NULL,
    event TEXT NOT NULL,
    pkgnum BIGINT,
    invnum BIGINT,
    attemptnum BIGINT,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cust_event_custnum ON cust_event (custnum);

-- Packages that dunning suspended (and at what time), so that a payment
-- unsuspends those and never one the operator suspended.
CREATE TABLE cust_pkg_dunning (
    pkgnum BIGINT PRIMARY KEY REFERENCES cust_pkg (pkgnum),
    custnum BIGINT NOT NULL REFERENCES cust_main (custnum),
    susp BIGINT NOT NULL
);
CREATE INDEX cust_pkg_dunning_custnum ON cust_pkg_dunning (custnum);
