-- A mail account suspended on its own (`bursar service suspend`), not with
-- its package: when, or NULL. A package unsuspension leaves such services
-- suspended.
ALTER TABLE svc_acct ADD COLUMN susp BIGINT;
