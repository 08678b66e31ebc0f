-- peaqOS Gas Station schema. Portable between SQLite and PostgreSQL: only TEXT and BIGINT
-- columns; amounts are decimal wei strings; secrets and QR images are AES-GCM sealed (hex).
CREATE TABLE gs_owners (
    owner TEXT PRIMARY KEY,
    active_secret TEXT,
    active_last_step BIGINT,
    pending_secret TEXT,
    pending_last_step BIGINT,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

CREATE TABLE gs_qr (
    token TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    format TEXT NOT NULL,
    image TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX gs_qr_owner ON gs_qr (owner);

CREATE TABLE gs_requests (
    request_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    target TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    amount TEXT NOT NULL,
    day BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    replica TEXT NOT NULL,
    result TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX gs_requests_owner ON gs_requests (owner, chain_id, created_at);
CREATE INDEX gs_requests_owner_day ON gs_requests (owner, chain_id, day);
CREATE INDEX gs_requests_target_day ON gs_requests (target, chain_id, day);

CREATE TABLE gs_journal (
    request_id TEXT PRIMARY KEY,
    chain_id BIGINT NOT NULL,
    wallet TEXT NOT NULL,
    nonce BIGINT NOT NULL,
    tx_hash TEXT NOT NULL,
    raw_tx TEXT NOT NULL,
    status TEXT NOT NULL,
    replica TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX gs_journal_nonce ON gs_journal (chain_id, wallet, nonce);
