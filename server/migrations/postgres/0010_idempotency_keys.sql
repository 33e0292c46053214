-- Idempotency keys (the IETF httpapi Idempotency-Key header): written in the keyed write's
-- own transaction with the response it gave, so a retry either replays that response or finds
-- that nothing was written. Kept until expires_at (idempotency.key_lifetime_hours).
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    idempotency_key TEXT NOT NULL,
    -- SHA-256 of the method, the path with its query and the body.
    fingerprint TEXT NOT NULL,
    status BIGINT NOT NULL,
    content_type TEXT,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);
