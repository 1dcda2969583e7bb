-- Export jobs: the durable queue of non-realtime export work and repairs.
-- status: queued | running | done | dead. A running job whose claim is
-- older than its lease is claimable again (the worker died).
CREATE TABLE export_job (
    jobnum INTEGER PRIMARY KEY,
    exportnum BIGINT NOT NULL REFERENCES part_export (exportnum),
    svcnum BIGINT,
    action TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt BIGINT NOT NULL,
    claimed_at BIGINT,
    last_error TEXT NOT NULL DEFAULT '',
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL
);
CREATE INDEX export_job_ready ON export_job (status, next_attempt);
CREATE INDEX export_job_svcnum ON export_job (svcnum);

-- What a remote system calls a provisioned service (MagicMail: the account
-- id confirmed at insert), so later hooks address the same record.
CREATE TABLE svc_export_state (
    svcnum BIGINT NOT NULL,
    exportnum BIGINT NOT NULL REFERENCES part_export (exportnum),
    remote_id TEXT NOT NULL,
    PRIMARY KEY (svcnum, exportnum)
);
