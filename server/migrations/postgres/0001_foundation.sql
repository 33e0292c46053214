-- Foundation: organisations, users, individuals, cases, consents, the audit log.
-- Times are integer microseconds since the Unix epoch, UTC. Ids are UUID text.

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    functional_email TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT organisations_name_key UNIQUE (name)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username)
);
CREATE INDEX users_organisation_idx ON users (organisation_id);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE individuals (
    id TEXT PRIMARY KEY,
    personnummer TEXT NOT NULL,
    name TEXT NOT NULL,
    protected_identity BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    CONSTRAINT individuals_personnummer_key UNIQUE (personnummer)
);

-- Which organisations have registered an individual (and so may open cases for them).
CREATE TABLE individual_registrations (
    individual_id TEXT NOT NULL REFERENCES individuals (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    registered_by TEXT NOT NULL REFERENCES users (id),
    registered_at BIGINT NOT NULL,
    PRIMARY KEY (individual_id, organisation_id)
);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    individual_id TEXT NOT NULL REFERENCES individuals (id),
    owner_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    responsible_user_id TEXT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cases_owner_idx ON cases (owner_organisation_id, status);
CREATE INDEX cases_individual_idx ON cases (individual_id);

CREATE TABLE consents (
    id TEXT PRIMARY KEY,
    individual_id TEXT NOT NULL REFERENCES individuals (id),
    case_id TEXT REFERENCES cases (id),
    recorded_by_user_id TEXT NOT NULL REFERENCES users (id),
    recorded_by_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    form_oral BIGINT NOT NULL,
    form_written BIGINT NOT NULL,
    document_reference TEXT,
    valid_from BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    status TEXT NOT NULL,
    status_changed_at BIGINT,
    status_changed_by TEXT REFERENCES users (id),
    status_reason TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT consents_validity_check CHECK (valid_until > valid_from)
);
CREATE INDEX consents_individual_idx ON consents (individual_id, status);

CREATE TABLE consent_organisations (
    consent_id TEXT NOT NULL REFERENCES consents (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (consent_id, organisation_id)
);
CREATE INDEX consent_organisations_org_idx ON consent_organisations (organisation_id);

CREATE TABLE consent_purposes (
    consent_id TEXT NOT NULL REFERENCES consents (id),
    purpose TEXT NOT NULL,
    PRIMARY KEY (consent_id, purpose)
);

-- Append-only, hash-chained: hash = sha256(prev_hash, this row's fields).
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    user_id TEXT,
    organisation_id TEXT,
    roles TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    individual_id TEXT,
    case_id TEXT,
    purpose TEXT,
    consent_id TEXT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_org_idx ON audit_log (organisation_id, seq);
CREATE INDEX audit_log_individual_idx ON audit_log (individual_id, seq);

-- The chain's head: the last sequence number and hash. Locked by each appending transaction.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
