-- Trust level 1 checked against the source chain: one row per trust-level-1 event, keyed by the event and the
-- (sourceChainId, sourceTxHash) it was checked for (an event re-indexed after a reorg with other values joins no
-- row and is checked again). `status`: pending (not yet decided; retried at next_check_at), verified or
-- unverified; `reason` says why.
CREATE TABLE source_checks (
    machine_id BIGINT NOT NULL,
    event_index BIGINT NOT NULL,
    source_chain_id TEXT NOT NULL,
    source_tx_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    checked_at BIGINT NOT NULL,
    next_check_at BIGINT NOT NULL,
    PRIMARY KEY (machine_id, event_index)
);
