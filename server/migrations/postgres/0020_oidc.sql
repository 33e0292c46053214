-- Sign-in through organisations' identity providers (OpenID Connect).

-- The identifier a user has at the organisation's identity provider (the configured claim's
-- value, e.g. an HSA-id); unique within the organisation. Null: signs in with a password only.
ALTER TABLE users ADD COLUMN oidc_identifier TEXT;
CREATE UNIQUE INDEX users_oidc_identifier_key ON users (organisation_id, oidc_identifier);

-- A sign-in started at a provider and not yet come back: its state (the key), nonce and PKCE
-- verifier stay here, never in the browser. Used once (deleted when the user comes back) and
-- short-lived. browser_hash ties it to the browser that started it (a cookie's SHA-256).
CREATE TABLE oidc_logins (
    state TEXT PRIMARY KEY,
    issuer TEXT NOT NULL,
    organisation_id TEXT,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- A finished provider sign-in waiting for the web app to take its session: the one-time
-- code's SHA-256 (the code itself travels in a URL fragment), used once, within a minute.
CREATE TABLE oidc_handoffs (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    issuer TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Which provider a hub session was signed in through, for the provider's end-session.
CREATE TABLE oidc_sessions (
    session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    issuer TEXT NOT NULL
);
