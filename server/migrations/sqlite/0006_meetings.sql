-- Meetings (möten) in a case or, with no case, of a partnership; their participants (users,
-- with their answers) and external attendees (the individual, a relative) invited by e-mail.
-- Times are integer microseconds since the epoch, UTC. `sequence` is the iCalendar SEQUENCE:
-- raised on every change an invitation must announce (time, place, attendees, cancellation).

CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    case_id TEXT REFERENCES cases (id),
    individual_id TEXT REFERENCES individuals (id),
    kind TEXT NOT NULL,
    purpose TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    place TEXT,
    video_link TEXT,
    organiser_user_id TEXT NOT NULL REFERENCES users (id),
    organiser_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    status TEXT NOT NULL,
    sequence INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    cancelled_at INTEGER,
    cancelled_by_user_id TEXT REFERENCES users (id),
    CONSTRAINT meetings_time_check CHECK (ends_at > starts_at),
    CONSTRAINT meetings_case_individual_check CHECK ((case_id IS NULL) = (individual_id IS NULL))
);
CREATE INDEX meetings_case_idx ON meetings (case_id, starts_at);
CREATE INDEX meetings_starts_idx ON meetings (starts_at);

-- Users taking part; the organiser is one of them (accepted from the start).
CREATE TABLE meeting_participants (
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    answer TEXT,
    answered_at INTEGER,
    invited_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
);
CREATE INDEX meeting_participants_user_idx ON meeting_participants (user_id, meeting_id);

-- People outside the hub, invited by e-mail; the organiser records their answers.
CREATE TABLE meeting_attendees (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    answer TEXT,
    answered_at INTEGER,
    answer_recorded_by_user_id TEXT REFERENCES users (id),
    invited_at INTEGER NOT NULL
);
CREATE INDEX meeting_attendees_meeting_idx ON meeting_attendees (meeting_id);
