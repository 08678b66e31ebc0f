//! The CLI's integration tests, one binary (`cargo test -p peaqos-cli --test it`), driving the
//! real `peaqos` binary:
//!
//! - [`cli`]: demo, up, devnet, usage errors;
//! - [`bench_load`]: `peaqos bench --target mcr|gas-station` answers every request;
//! - [`activate`]: `init`, `whoami`, `activate` (self, proxy, re-runs) against a stack;
//! - [`fleet`]: `activate --fleet` from a CSV (25 machines on chain, a resumed journal, bad rows);
//! - [`qualify`]: `qualify event|events|mcr` and `show` against a stack, with every exit code;
//! - [`stack`]: the in-process stack's tokenURI points at the MCR service that is listening;
//! - [`account`]: `peaqos account ...` and `peaqos bundler` against a stack and a bundler;
//! - [`shipped`]: the binary under test carries no test-only code (fault injection);
//! - [`bridge`]: `devnet --bridge` on both chains, `relayer run|status`, `bridge send|wait|status`;
//! - [`secrets`]: the whole demo at debug level prints and logs none of its secrets;
//! - [`skill`]: the agent skill names only real commands, flags and exit codes; `skill install`.

mod account;
mod activate;
mod bench_load;
mod bridge;
mod cli;
mod common;
mod fleet;
mod qualify;
mod secrets;
mod shipped;
mod skill;
mod stack;
