//! Local nonce allocation for one signing account.
//!
//! Nonces are handed out under an async mutex that is held across signing and
//! `eth_sendRawTransaction`: a nonce is consumed only when the node accepted the transaction,
//! so concurrent callers never collide and a failed send never leaves a gap. After a failed
//! send the next allocation re-reads `eth_getTransactionCount(pending)`.

use std::future::Future;

use tokio::sync::Mutex;

/// The nonce state of one account: `None` means "re-read from the node's pending count".
#[derive(Debug, Default)]
pub(crate) struct NonceManager {
    next: Mutex<Option<u64>>,
}

/// What the send closure reports back to the manager.
#[derive(Debug)]
pub(crate) enum SendOutcome<T, E> {
    /// The node accepted the transaction: the nonce is consumed.
    Accepted(T),
    /// The send failed: the nonce is not consumed and the state re-syncs from the node.
    Failed(E),
}

impl NonceManager {
    /// A manager that reads the pending count on first use.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Forgets the local state; the next allocation re-reads the pending count.
    pub(crate) async fn reset(&self) {
        *self.next.lock().await = None;
    }

    /// The nonce the next transaction will get, if known locally (tests).
    #[cfg(test)]
    async fn peek(&self) -> Option<u64> {
        *self.next.lock().await
    }

    /// Reserves `count` consecutive nonces for transactions signed now and sent later; returns
    /// the first. The counter moves past them at once, so other sends never reuse them; if
    /// some are never sent, [`NonceManager::reset`] re-syncs from the node.
    pub(crate) async fn reserve<P, PF, E>(&self, count: u64, pending: P) -> Result<u64, E>
    where
        P: FnOnce() -> PF,
        PF: Future<Output = Result<u64, E>>,
    {
        let mut guard = self.next.lock().await;
        let first = match *guard {
            Some(n) => n,
            None => pending().await?,
        };
        *guard = Some(first + count);
        Ok(first)
    }

    /// Runs `send(nonce)` with the next nonce while holding the lock.
    ///
    /// `pending` reads `eth_getTransactionCount(address, "pending")` when the local state is
    /// unknown. On [`SendOutcome::Accepted`] the counter advances; on [`SendOutcome::Failed`]
    /// it is cleared so the next caller re-syncs.
    pub(crate) async fn with_next<P, PF, S, SF, T, E>(&self, pending: P, send: S) -> Result<T, E>
    where
        P: FnOnce() -> PF,
        PF: Future<Output = Result<u64, E>>,
        S: FnOnce(u64) -> SF,
        SF: Future<Output = SendOutcome<T, E>>,
    {
        let mut guard = self.next.lock().await;
        let nonce = match *guard {
            Some(n) => n,
            None => pending().await?,
        };
        match send(nonce).await {
            SendOutcome::Accepted(t) => {
                *guard = Some(nonce + 1);
                Ok(t)
            }
            SendOutcome::Failed(e) => {
                *guard = None;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[tokio::test]
    async fn sequential_allocation_starts_from_pending() {
        let m = NonceManager::new();
        let reads = AtomicU64::new(0);
        for expected in 7..12u64 {
            let n: Result<u64, ()> = m
                .with_next(
                    || async {
                        reads.fetch_add(1, Ordering::SeqCst);
                        Ok(7)
                    },
                    |n| async move { SendOutcome::Accepted(n) },
                )
                .await;
            assert_eq!(n, Ok(expected));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1, "pending read once");
        assert_eq!(m.peek().await, Some(12));
    }

    #[tokio::test]
    async fn failure_does_not_consume_and_resyncs() {
        let m = NonceManager::new();
        let _: Result<u64, ()> = m
            .with_next(
                || async { Ok(3) },
                |n| async move { SendOutcome::Accepted(n) },
            )
            .await;
        let r: Result<u64, &str> = m
            .with_next(
                || async { Ok(99) },
                |_| async move { SendOutcome::Failed("boom") },
            )
            .await;
        assert_eq!(r, Err("boom"));
        assert_eq!(m.peek().await, None);
        // The node says 4 is pending next: no gap.
        let n: Result<u64, ()> = m
            .with_next(
                || async { Ok(4) },
                |n| async move { SendOutcome::Accepted(n) },
            )
            .await;
        assert_eq!(n, Ok(4));
    }

    #[tokio::test]
    async fn reserved_nonces_are_skipped_by_later_sends() {
        let m = NonceManager::new();
        let first: Result<u64, ()> = m.reserve(5, || async { Ok(10) }).await;
        assert_eq!(first, Ok(10));
        let n: Result<u64, ()> = m
            .with_next(
                || async { Ok(0) },
                |n| async move { SendOutcome::Accepted(n) },
            )
            .await;
        assert_eq!(n, Ok(15));
        let again: Result<u64, ()> = m.reserve(2, || async { Ok(0) }).await;
        assert_eq!(again, Ok(16));
        m.reset().await;
        let resynced: Result<u64, ()> = m.reserve(1, || async { Ok(12) }).await;
        assert_eq!(resynced, Ok(12));
    }

    #[tokio::test]
    async fn concurrent_callers_get_distinct_contiguous_nonces() {
        let m = Arc::new(NonceManager::new());
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let m = m.clone();
            tasks.push(tokio::spawn(async move {
                m.with_next(
                    || async { Ok::<u64, ()>(0) },
                    |n| async move {
                        tokio::task::yield_now().await;
                        SendOutcome::Accepted(n)
                    },
                )
                .await
                .unwrap()
            }));
        }
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.unwrap());
        }
        got.sort_unstable();
        assert_eq!(got, (0..100).collect::<Vec<_>>());
    }
}
