-- Rehab inquiries (rehabiliteringsförfrågan), their follow-up thread, and secure case
-- messages with read receipts. Times are integer microseconds since the epoch, UTC; ids are
-- UUID text; lists are JSON text. Dates (answer_by) are 'YYYY-MM-DD' text, which sorts.

CREATE TABLE inquiries (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    individual_id TEXT NOT NULL REFERENCES individuals (id),
    sender_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    sender_user_id TEXT NOT NULL REFERENCES users (id),
    recipient_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    state TEXT NOT NULL,
    -- The sender's part.
    activities TEXT NOT NULL,
    questions TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT,
    contact_email TEXT,
    -- Set when sent if the sender named none: sending day + inquiry.default_answer_days.
    answer_by TEXT,
    -- The life cycle.
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT,
    received_at BIGINT,
    received_by_user_id TEXT REFERENCES users (id),
    assignee_user_id TEXT REFERENCES users (id),
    assigned_at BIGINT,
    assigned_by_user_id TEXT REFERENCES users (id),
    declined_at BIGINT,
    declined_by_user_id TEXT REFERENCES users (id),
    decline_reason TEXT,
    decline_text TEXT,
    withdrawn_at BIGINT,
    withdrawn_by_user_id TEXT REFERENCES users (id),
    closed_at BIGINT,
    closed_by_user_id TEXT REFERENCES users (id)
);
CREATE INDEX inquiries_recipient_idx ON inquiries (recipient_organisation_id, state);
CREATE INDEX inquiries_sender_idx ON inquiries (sender_organisation_id, state);
CREATE INDEX inquiries_case_idx ON inquiries (case_id);

-- The clinic's part, written once when the inquiry is answered.
CREATE TABLE inquiry_answers (
    inquiry_id TEXT PRIMARY KEY REFERENCES inquiries (id),
    has_rehab_plan BIGINT NOT NULL,
    investigation_treatment TEXT,
    -- JSON: [{"text": "...", "icd10": "F32.1" | null}]
    diagnoses TEXT NOT NULL,
    funktionsnedsattning TEXT,
    aktivitetsbegransning TEXT,
    what_works TEXT,
    adaptations TEXT,
    extent_percent BIGINT,
    extent_hours_per_week BIGINT,
    avoid TEXT,
    prognosis TEXT,
    recommendation TEXT,
    answered_by_user_id TEXT NOT NULL REFERENCES users (id),
    treating_doctor_name TEXT,
    answered_at BIGINT NOT NULL,
    CONSTRAINT inquiry_answers_extent_check
        CHECK ((extent_percent IS NULL) <> (extent_hours_per_week IS NULL))
);

-- Follow-up questions and answers between the two organisations.
CREATE TABLE inquiry_posts (
    id TEXT PRIMARY KEY,
    inquiry_id TEXT NOT NULL REFERENCES inquiries (id),
    author_user_id TEXT NOT NULL REFERENCES users (id),
    author_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX inquiry_posts_inquiry_idx ON inquiry_posts (inquiry_id, created_at);

-- When an organisation last read an inquiry's thread, for unread counts.
CREATE TABLE inquiry_thread_seen (
    inquiry_id TEXT NOT NULL REFERENCES inquiries (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (inquiry_id, organisation_id)
);

-- Secure messages in a case, between the organisations that may see it.
CREATE TABLE case_messages (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    author_user_id TEXT NOT NULL REFERENCES users (id),
    author_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX case_messages_case_idx ON case_messages (case_id, created_at);

-- Who read a message, for which organisation, when. One receipt per user.
CREATE TABLE message_reads (
    message_id TEXT NOT NULL REFERENCES case_messages (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    read_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
