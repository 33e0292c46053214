-- The Finsamteam's joint plan (kind finsam) names the referral it was made for, as a SIP plan
-- names its call; the referral's follow-ups (after 6 months by default) with what each
-- recorded. Times are integer microseconds since the epoch, UTC.

ALTER TABLE plans ADD COLUMN finsam_referral_id TEXT REFERENCES finsam_referrals (id);

-- The next follow-up, scheduled at adoption (and again when a follow-up continues).
ALTER TABLE finsam_referrals ADD COLUMN follow_up_due_at BIGINT;
-- When the coordinator and the driver were reminded of that follow-up (once, across nodes).
ALTER TABLE finsam_referrals ADD COLUMN follow_up_reminded_at BIGINT;
ALTER TABLE finsam_referrals ADD COLUMN closed_at BIGINT;

CREATE TABLE finsam_follow_ups (
    id TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES finsam_referrals (id),
    due_at BIGINT NOT NULL,
    done_at BIGINT NOT NULL,
    -- The progress recorded (never in e-mail), and whether it continues or closes.
    progress TEXT NOT NULL,
    continues BIGINT NOT NULL,
    recorded_by_user_id TEXT NOT NULL REFERENCES users (id)
);
CREATE INDEX finsam_follow_ups_referral_idx ON finsam_follow_ups (referral_id);

-- The förbund's insatskatalog: the Finsam efforts its org admin maintains (an outcome
-- `finsam_effort` names one). Inactive efforts stay for the outcomes that name them.
CREATE TABLE finsam_efforts (
    id TEXT PRIMARY KEY,
    forbund_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX finsam_efforts_forbund_idx ON finsam_efforts (forbund_organisation_id);
