-- peaqOS MCR index on peaq's published contract ABIs. The rows of 0001 came from the earlier contracts' event
-- layout (the full event record in the log, the wallet and bond in `Registered`), which no deployment emits any
-- more: every table is rebuilt and the indexer starts again from its start block.
-- One schema for SQLite and PostgreSQL: only BIGINT and TEXT columns. Every chain-derived row carries
-- (block, log_index) so a reorg rollback is `DELETE ... WHERE block > ancestor`.
DROP TABLE IF EXISTS machines;
DROP TABLE IF EXISTS machine_status;
DROP TABLE IF EXISTS stakes;
DROP TABLE IF EXISTS nfts;
DROP TABLE IF EXISTS events;
DROP TABLE IF EXISTS flags;
DROP TABLE IF EXISTS trust_overrides;
DROP TABLE IF EXISTS did_attributes;
DROP TABLE IF EXISTS cursor;
DROP TABLE IF EXISTS block_hashes;

-- `Registered(machineId, machineURI, owner)`; `address` is `machineWalletOf(machineId)` read at the log's block
CREATE TABLE machines (
    machine_id BIGINT PRIMARY KEY,
    address TEXT NOT NULL,
    owner TEXT NOT NULL,
    registered_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL
);
CREATE INDEX machines_address ON machines (address);
CREATE INDEX machines_owner ON machines (owner);
CREATE INDEX machines_block ON machines (registered_block);

-- `OperatorSet(machineId, operator)`; the latest row is the operator, else the registering owner
CREATE TABLE operators (
    machine_id BIGINT NOT NULL,
    operator TEXT NOT NULL,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX operators_machine ON operators (machine_id);
CREATE INDEX operators_operator ON operators (operator);

-- MachineVerified / MachineRejected / MachineDeactivated / MachineReactivated: the status after the event
CREATE TABLE machine_status (
    machine_id BIGINT NOT NULL,
    status BIGINT NOT NULL,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX machine_status_machine ON machine_status (machine_id);

CREATE TABLE stakes (
    machine_id BIGINT NOT NULL,
    amount TEXT NOT NULL,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX stakes_machine ON stakes (machine_id);

CREATE TABLE nfts (
    machine_id BIGINT NOT NULL,
    token_id BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX nfts_machine ON nfts (machine_id);
CREATE INDEX nfts_token ON nfts (token_id);

-- the record of `getEvents(machineId, offset, limit)`, located by its `EventSubmitted` log
CREATE TABLE events (
    machine_id BIGINT NOT NULL,
    event_index BIGINT NOT NULL,
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
CREATE INDEX events_block ON events (block);

-- one row per flag / clear (cleared = 1 for FlagCleared); the latest row is the state
CREATE TABLE flags (
    machine_id BIGINT NOT NULL,
    flagged_at BIGINT NOT NULL,
    cleared BIGINT NOT NULL,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX flags_machine ON flags (machine_id);

-- one row per set / clear (value NULL = cleared); the latest row is the state
CREATE TABLE trust_overrides (
    machine_id BIGINT NOT NULL,
    value BIGINT,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX trust_overrides_machine ON trust_overrides (machine_id);

-- trusted DID attribute changes only (sender == did_account); value NULL = removed
CREATE TABLE did_attributes (
    did_account TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT,
    sender TEXT NOT NULL,
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX did_attributes_account ON did_attributes (did_account, name);

-- what the indexer could not take as it came: logs it could not decode (kind 'undecodable') and event
-- records whose type, value or currency disagree with their log (kind 'mismatch')
CREATE TABLE anomalies (
    block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    tx_hash TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (block, log_index, kind)
);

CREATE TABLE cursor (
    id BIGINT PRIMARY KEY,
    block BIGINT NOT NULL,
    hash TEXT NOT NULL,
    block_timestamp BIGINT NOT NULL
);

CREATE TABLE block_hashes (
    block BIGINT PRIMARY KEY,
    hash TEXT NOT NULL
);
