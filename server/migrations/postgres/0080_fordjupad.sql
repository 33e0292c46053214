-- Fördjupad samverkan (WORKFLOWS.md §4). Times are integer microseconds since the epoch, UTC;
-- ids are UUID text; lists are JSON text; dates are 'YYYY-MM-DD' text.

-- A progressionsplan's action carries its category 1-5; NULL for every other kind.
ALTER TABLE plan_actions ADD COLUMN category BIGINT;

-- A case brought to the rehabansvarig, one row per case: its current decision and the dates
-- the follow-up rules and the caseload read (kept current on every write).
CREATE TABLE fordjupad_cases (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    owner_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    social_worker_user_id TEXT NOT NULL REFERENCES users (id),
    brought_on TEXT NOT NULL,
    note TEXT NOT NULL,
    -- NULL until the rehabansvarig decides; then the latest decision's code.
    decision TEXT,
    decided_on TEXT,
    case_manager_until TEXT,
    phase BIGINT,
    last_activity_on TEXT NOT NULL,
    recommendations_on TEXT,
    avstamning_booked_on TEXT,
    next_follow_up_on TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX fordjupad_cases_owner ON fordjupad_cases (owner_organisation_id, decision);

-- Every decision, with who and why.
CREATE TABLE fordjupad_decisions (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES fordjupad_cases (case_id),
    decision TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    criteria TEXT NOT NULL,
    case_manager_until TEXT,
    decided_by_user_id TEXT NOT NULL REFERENCES users (id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX fordjupad_decisions_case ON fordjupad_decisions (case_id, recorded_at);

-- The target-group coding, each change a row; the latest is the caseload's.
CREATE TABLE fordjupad_codings (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES fordjupad_cases (case_id),
    codes TEXT NOT NULL,
    months_on_assistance BIGINT,
    coded_by_user_id TEXT NOT NULL REFERENCES users (id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX fordjupad_codings_case ON fordjupad_codings (case_id, recorded_at);

-- Phase assessments on the configured scale: the case's timeline.
CREATE TABLE fordjupad_phases (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES fordjupad_cases (case_id),
    scale TEXT NOT NULL,
    phase BIGINT NOT NULL,
    assessed_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    assessed_by_user_id TEXT NOT NULL REFERENCES users (id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX fordjupad_phases_case ON fordjupad_phases (case_id, assessed_on);

-- Each follow-up rule fired, once per (case, kind, anchor) across restarts and nodes; an
-- escalation stands until cleared by someone acting on the case.
CREATE TABLE fordjupad_follow_ups (
    case_id TEXT NOT NULL REFERENCES fordjupad_cases (case_id),
    kind TEXT NOT NULL,
    anchor TEXT NOT NULL,
    due_on TEXT NOT NULL,
    fired_at BIGINT NOT NULL,
    cleared_at BIGINT,
    cleared_by_user_id TEXT REFERENCES users (id),
    CONSTRAINT fordjupad_follow_ups_pkey PRIMARY KEY (case_id, kind, anchor)
);
CREATE INDEX fordjupad_follow_ups_open ON fordjupad_follow_ups (kind, cleared_at);
