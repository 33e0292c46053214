-- When each user last signed in (null: never since this column came).
ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT;

-- Why a case was closed: a code from a fixed list and an optional text.
ALTER TABLE cases ADD COLUMN close_reason TEXT;
ALTER TABLE cases ADD COLUMN close_text TEXT;

-- Who has been responsible for a case, from when to when, and the handover note given to
-- each new responsible (continuity across caseworkers). The open period has to_at null.
CREATE TABLE case_responsibility (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    from_at BIGINT NOT NULL,
    to_at BIGINT,
    note TEXT,
    handed_over_by TEXT REFERENCES users (id)
);
CREATE INDEX case_responsibility_case_idx ON case_responsibility (case_id, from_at);

-- Cases opened before this migration get their present responsible as the first period.
INSERT INTO case_responsibility (id, case_id, user_id, from_at)
SELECT id, id, responsible_user_id, created_at FROM cases;
