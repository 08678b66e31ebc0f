-- peaqOS MCR index. One schema for SQLite and PostgreSQL: only BIGINT and TEXT columns.
-- Every chain-derived row carries (block, log_index) so a reorg rollback is `DELETE ... WHERE block > ancestor`.
CREATE TABLE IF NOT EXISTS machines (
    machine_id BIGINT PRIMARY KEY,
    address TEXT NOT NULL,
    operator TEXT NOT NULL,
    bond TEXT NOT NULL,
    registered_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS machines_address ON machines (address);
CREATE INDEX IF NOT EXISTS machines_operator ON machines (operator);
CREATE INDEX IF NOT EXISTS machines_block ON machines (registered_block);

CREATE TABLE IF NOT EXISTS machine_status (
    machine_id BIGINT NOT NULL,
    status BIGINT NOT NULL,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS machine_status_machine ON machine_status (machine_id);

CREATE TABLE IF NOT EXISTS stakes (
    machine_id BIGINT NOT NULL,
    amount TEXT NOT NULL,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS stakes_machine ON stakes (machine_id);

CREATE TABLE IF NOT EXISTS nfts (
    machine_id BIGINT NOT NULL,
    token_id BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS nfts_machine ON nfts (machine_id);
CREATE INDEX IF NOT EXISTS nfts_token ON nfts (token_id);

CREATE TABLE IF NOT EXISTS events (
    machine_id BIGINT NOT NULL,
    event_index BIGINT NOT NULL,
    submitter TEXT NOT NULL,
    event_type BIGINT NOT NULL,
    value TEXT NOT NULL,
    currency TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    data_hash TEXT NOT NULL,
    trust_level BIGINT NOT NULL,
    source_chain_id TEXT NOT NULL,
    source_tx_hash TEXT NOT NULL,
    metadata TEXT NOT NULL,
    block BIGINT NOT NULL,
    block_timestamp BIGINT,
    tx_hash TEXT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (machine_id, event_index)
);
CREATE INDEX IF NOT EXISTS events_block ON events (block);

-- one row per flag / clear (cleared = 1 for FlagCleared); the latest row is the state
CREATE TABLE IF NOT EXISTS flags (
    machine_id BIGINT NOT NULL,
    flagged_at BIGINT NOT NULL,
    cleared BIGINT NOT NULL,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS flags_machine ON flags (machine_id);

-- one row per set / clear (value NULL = cleared); the latest row is the state
CREATE TABLE IF NOT EXISTS trust_overrides (
    machine_id BIGINT NOT NULL,
    value BIGINT,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS trust_overrides_machine ON trust_overrides (machine_id);

-- trusted DID attribute changes only (sender == did_account); value NULL = removed
CREATE TABLE IF NOT EXISTS did_attributes (
    did_account TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT,
    sender TEXT NOT NULL,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS did_attributes_account ON did_attributes (did_account, name);

CREATE TABLE IF NOT EXISTS cursor (
    id BIGINT PRIMARY KEY,
    block BIGINT NOT NULL,
    hash TEXT NOT NULL,
    block_timestamp BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS block_hashes (
    block BIGINT PRIMARY KEY,
    hash TEXT NOT NULL
);
