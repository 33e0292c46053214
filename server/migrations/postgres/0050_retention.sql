-- Retention (gallring): when each closed case was closed, legal holds, and where the audit
-- chain starts once its oldest rows have been purged.

-- A case's closing time; the row goes when the case is reopened. Retention periods count
-- from here.
CREATE TABLE case_closures (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    closed_at BIGINT NOT NULL
);
INSERT INTO case_closures (case_id, closed_at) SELECT id, updated_at FROM cases WHERE status = 'closed';

-- Legal hold (bevarande trots gallringsbeslut): nothing of a held case is purged.
CREATE TABLE case_legal_holds (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    reason TEXT NOT NULL,
    set_by_user_id TEXT NOT NULL REFERENCES users (id),
    set_at BIGINT NOT NULL
);

-- The last purged audit row's sequence number and hash: verification starts after it.
CREATE TABLE audit_checkpoint (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
