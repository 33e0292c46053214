-- Fördjupad samverkan, the follow-up rules (issue 15 item 4) and the steps of category 4 and 5
-- actions (item 2). Times are integer microseconds since the epoch, UTC; dates 'YYYY-MM-DD'.

-- Each fired follow-up gets an id (the escalation list's and its clearing's) and, when taken
-- over explicitly, the note of who cleared it.
ALTER TABLE fordjupad_follow_ups ADD COLUMN id TEXT;
ALTER TABLE fordjupad_follow_ups ADD COLUMN cleared_note TEXT;
CREATE UNIQUE INDEX fordjupad_follow_ups_id ON fordjupad_follow_ups (id);

-- The steps of a category 4 (förtroendeläkare) or 5 (AFU) action of a progressionsplan, one
-- row per step done, with its date; changed by the action's responsible.
CREATE TABLE plan_action_steps (
    plan_id TEXT NOT NULL REFERENCES plans (id),
    action_id TEXT NOT NULL,
    step TEXT NOT NULL,
    done_on TEXT NOT NULL,
    recorded_by_user_id TEXT NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL,
    CONSTRAINT plan_action_steps_pkey PRIMARY KEY (plan_id, action_id, step)
);
