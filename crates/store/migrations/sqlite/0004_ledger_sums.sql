-- Covering indexes for the per-customer ledger sums (balance), so that a
-- balance reads index pages only, however many records a customer has.
CREATE INDEX cust_bill_custnum_charged ON cust_bill (custnum, charged);
CREATE INDEX cust_pay_custnum_paid ON cust_pay (custnum, paid);
CREATE INDEX cust_credit_custnum_amount ON cust_credit (custnum, amount);
CREATE INDEX cust_refund_custnum_refund ON cust_refund (custnum, refund);
