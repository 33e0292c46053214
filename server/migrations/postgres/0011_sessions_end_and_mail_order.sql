-- A stream ticket names the sign-in session it was issued in, so the stream closes when
-- that session ends.
ALTER TABLE stream_tickets ADD COLUMN session_id TEXT;

-- Calendar e-mails go out per attendee and meeting (calendar_key) in SEQUENCE order; one
-- that a newer one supersedes while unsent is marked superseded_at and never sent.
ALTER TABLE outbox ADD COLUMN calendar_key TEXT;
ALTER TABLE outbox ADD COLUMN calendar_sequence BIGINT;
ALTER TABLE outbox ADD COLUMN superseded_at BIGINT;
CREATE INDEX outbox_calendar_idx ON outbox (calendar_key) WHERE calendar_key IS NOT NULL;
