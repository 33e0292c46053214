-- The joint plan (samverkansplan) of a case: one engine for every kind (sip,
-- progressionsplan, finsam, rehabplan). The plan row holds its life-cycle state and the open
-- draft; each adopted version is kept as adopted, never changed; the latest adopted
-- version's actions carry their current status in plan_actions (what "Våra åtaganden" lists),
-- and the organisations it names in plan_parties (who may read it, while covered by consent).
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    owner_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    title TEXT,
    sip_call_id TEXT,
    version INTEGER NOT NULL,
    -- The draft's content as JSON while drafting or revising; NULL otherwise.
    draft TEXT,
    -- The latest adopted version's joint follow-up date (YYYY-MM-DD), for its reminders.
    follow_up_on TEXT,
    created_by_user_id TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX plans_case ON plans (case_id);

-- Every adopted version exactly as adopted (content and participation as JSON).
CREATE TABLE plan_versions (
    plan_id TEXT NOT NULL REFERENCES plans (id),
    version INTEGER NOT NULL,
    adopted_at INTEGER NOT NULL,
    adopted_by_user_id TEXT NOT NULL REFERENCES users (id),
    participation TEXT NOT NULL,
    content TEXT NOT NULL,
    CONSTRAINT plan_versions_pkey PRIMARY KEY (plan_id, version)
);

-- The organisations the latest adopted version names (actions, overall, readers).
CREATE TABLE plan_parties (
    plan_id TEXT NOT NULL REFERENCES plans (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    CONSTRAINT plan_parties_pkey PRIMARY KEY (plan_id, organisation_id)
);
CREATE INDEX plan_parties_organisation ON plan_parties (organisation_id);

-- The latest adopted version's actions with their current status.
CREATE TABLE plan_actions (
    plan_id TEXT NOT NULL REFERENCES plans (id),
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    person_id TEXT,
    what TEXT NOT NULL,
    due_on TEXT,
    goal_id TEXT,
    status TEXT NOT NULL,
    status_on TEXT,
    note TEXT,
    taken_by_user_id TEXT,
    updated_at INTEGER NOT NULL,
    CONSTRAINT plan_actions_pkey PRIMARY KEY (plan_id, id)
);
CREATE INDEX plan_actions_organisation ON plan_actions (organisation_id, status);
