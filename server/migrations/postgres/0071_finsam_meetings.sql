-- Finsamteam meetings and their agenda of several individuals. The meeting itself is an
-- ordinary meeting (kind finsamteam_mote, no case) booked through the meeting machinery; this
-- names its förbund, when its agenda was published, and the accepted referrals on it with
-- what the team recorded for each. Times are integer microseconds since the epoch, UTC.

CREATE TABLE finsam_meetings (
    meeting_id TEXT PRIMARY KEY REFERENCES meetings (id),
    forbund_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    -- The agenda sent to the participants (in the hub; e-mail says only that it is there).
    published_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX finsam_meetings_forbund_idx ON finsam_meetings (forbund_organisation_id);

CREATE TABLE finsam_agenda_items (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES finsam_meetings (meeting_id),
    referral_id TEXT NOT NULL REFERENCES finsam_referrals (id),
    position BIGINT NOT NULL,
    -- Recorded at the meeting: the decision (code), the next step (never in e-mail).
    decision TEXT,
    next_step TEXT,
    recorded_by_user_id TEXT REFERENCES users (id),
    recorded_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (meeting_id, referral_id)
);
CREATE INDEX finsam_agenda_items_referral_idx ON finsam_agenda_items (referral_id);

-- The organisations that take part in an item's coordinated effort, as recorded.
CREATE TABLE finsam_agenda_parties (
    item_id TEXT NOT NULL REFERENCES finsam_agenda_items (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (item_id, organisation_id)
);
