-- Finsamteam referrals (anmälan till Finsam-team): the team's member organisations per
-- samordningsförbund, and each referral from its draft to the coordinator's decision and
-- onwards. Times are integer microseconds since the epoch, UTC; ids are UUID text.

-- The organisations that take part in a förbund's Finsamteam (AF, FK, Jobbtorg, social
-- services, the region's units). A referral's consent must cover each of them.
CREATE TABLE finsam_team_members (
    forbund_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (forbund_organisation_id, organisation_id)
);

CREATE TABLE finsam_referrals (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    individual_id TEXT NOT NULL REFERENCES individuals (id),
    -- The case's owning organisation, which refers, and its caseworker.
    referrer_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    referrer_user_id TEXT NOT NULL REFERENCES users (id),
    -- The samordningsförbund whose team is asked.
    forbund_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    state TEXT NOT NULL,
    -- The referral's content (never in e-mail).
    why_coordination TEXT NOT NULL,
    tried_so_far TEXT NOT NULL,
    parties_today TEXT NOT NULL,
    own_goal TEXT NOT NULL,
    practical_needs TEXT NOT NULL,
    -- The written consent the referral was sent under.
    consent_id TEXT REFERENCES consents (id),
    -- The coordinator's question when returned for completion, and the referrer's answer.
    question TEXT,
    answer TEXT,
    decision_by_user_id TEXT REFERENCES users (id),
    decided_at BIGINT,
    decline_reason TEXT,
    other_route TEXT,
    decision_text TEXT,
    -- Later steps: the team meeting, the plan (kind finsam), the outcome.
    meeting_id TEXT,
    plan_id TEXT,
    outcome TEXT,
    outcome_effort TEXT,
    sent_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX finsam_referrals_case_idx ON finsam_referrals (case_id);
CREATE INDEX finsam_referrals_forbund_idx ON finsam_referrals (forbund_organisation_id, state);
CREATE INDEX finsam_referrals_referrer_idx ON finsam_referrals (referrer_organisation_id, state);
