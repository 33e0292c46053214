-- One-time tickets for opening the live stream: only a hash is stored; used once, then gone.
CREATE TABLE stream_tickets (
    ticket_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    expires_at INTEGER NOT NULL
);
CREATE INDEX stream_tickets_expiry_idx ON stream_tickets (expires_at);
