-- The daily rating history: one row per machine and completed UTC day (`day` = unix seconds / 86400), the
-- model's answer at the end of that day (peaqos_mcr_model::daily_series). Rows are derived, never chain data:
-- the indexer deletes a machine's rows from the first day a new event touches (all of them on a flag, an
-- override, a stake, a status or an operator change, and every row on a reorg), and the API recomputes what
-- is missing. Today's point is never stored (it moves with the clock). `inputs` is a hash of the model parameters and
-- the FX table a row was computed with: a row of other inputs (a new FX table, other parameters) is not used.
CREATE TABLE mcr_history (
    machine_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    mcr_score BIGINT NOT NULL,
    computed_score BIGINT NOT NULL,
    mcr TEXT NOT NULL,
    revenue_trend TEXT NOT NULL,
    degraded BIGINT NOT NULL,
    revenue_usd_cents BIGINT NOT NULL,
    revenue_events BIGINT NOT NULL,
    activity_events BIGINT NOT NULL,
    cumulative_events BIGINT NOT NULL,
    inputs TEXT NOT NULL,
    PRIMARY KEY (machine_id, day)
);

-- Bumped by the indexer in the transaction that changes a machine's past; a recomputation stores its rows
-- only if the generation it read before loading the events is still current.
CREATE TABLE history_generations (
    machine_id BIGINT PRIMARY KEY,
    generation BIGINT NOT NULL
);

