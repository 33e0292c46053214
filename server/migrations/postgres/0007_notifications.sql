-- In-app notifications, each user's e-mail preferences, the e-mail outbox and the
-- scheduler's record of reminders sent. Notifications and e-mails carry kinds and ids only,
-- never content. Times are integer microseconds since the epoch, UTC.

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    case_id TEXT,
    subject_id TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    -- 'none', 'immediate' (in the outbox), 'digest_pending', 'digested'.
    email TEXT NOT NULL
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at);
CREATE INDEX notifications_digest_idx ON notifications (email, user_id);

-- Per user and kind: 'immediate', 'digest' or 'none'. No row: the kind's default.
CREATE TABLE notification_preferences (
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    delivery TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- E-mails to send, written in the transaction of the change that causes them. The
-- Message-ID is fixed here, so a resend after a broken connection carries the same one.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    calendar TEXT,
    calendar_method TEXT,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- A worker's lease: nobody else takes the row before claimed_until.
    claimed_by TEXT,
    claimed_until BIGINT,
    sent_at BIGINT,
    failed_at BIGINT,
    last_error TEXT,
    CONSTRAINT outbox_message_id_key UNIQUE (message_id)
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- Each reminder (and each day's digest) once: inserted in the transaction that notifies.
CREATE TABLE reminders_sent (
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    due TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT reminders_sent_pkey PRIMARY KEY (kind, subject_id, due)
);
