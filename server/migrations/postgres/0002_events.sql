-- The event log: thin events (type, ids, sequence, time), appended in the same transaction
-- as the change. Sequence numbers are gapless and in commit order (the head row is locked
-- until commit), so a client that resumes from N misses nothing.
CREATE TABLE events (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    case_id TEXT,
    individual_id TEXT,
    subject_id TEXT,
    purpose TEXT,
    -- 'case': whoever may see the case for the purpose; 'organisations': those of
    -- audience_organisations that may; 'revoked': audience_organisations, no case check.
    audience TEXT NOT NULL,
    audience_organisations TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_case_idx ON events (case_id, seq);

CREATE TABLE event_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL
);
INSERT INTO event_head (id, last_seq) VALUES (1, 0);
