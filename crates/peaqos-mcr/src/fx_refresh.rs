//! Fresh FX rates: the service refreshes its ECB table from the ECB's XML feeds (the daily and
//! the 90-day one by default), keeps the last good table when a feed is unreachable or answers
//! garbage, and persists it (ECB CSV) so a restart keeps it too. `/ready` reports its age.

use crate::cache::Cache;
use crate::error::McrError;
use parking_lot::{Mutex, RwLock};
use peaqos_mcr_model::FxTable;
use peaqos_types::mcr_wire::ReadyFx;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// The ECB's feed of the latest business day.
pub const ECB_DAILY_URL: &str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml";
/// The ECB's feed of the last 90 days.
pub const ECB_90D_URL: &str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml";
/// Default refresh interval (the ECB publishes once per TARGET business day, around 16:00 CET).
pub const DEFAULT_FX_REFRESH_INTERVAL: Duration = Duration::from_secs(6 * 3600);
/// A failed refresh is retried after this long (or the refresh interval when shorter).
pub const FX_RETRY_INTERVAL: Duration = Duration::from_secs(300);
/// Timeout of one feed request.
const FEED_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest accepted feed body (the 90-day feed is about 40 KiB, the whole history ~8 MiB).
const MAX_FEED_BYTES: usize = 16 * 1024 * 1024;

const SECONDS_PER_DAY: u64 = 86_400;

/// Where the table in use came from (`/ready` `fx.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Shipped,
    File,
    Ecb,
}

#[derive(Debug, Default)]
struct Status {
    refreshed_at: Option<u64>,
    last_error: Option<String>,
}

/// The FX table in use, swapped whole by a refresh.
#[derive(Debug)]
pub struct FxRates {
    table: RwLock<Arc<FxTable>>,
    source: RwLock<Source>,
    status: Mutex<Status>,
    refresh_enabled: bool,
    /// Refresh attempts finished (good or not).
    attempts: watch::Sender<u64>,
}

impl FxRates {
    /// A fixed table (no refresh): tests and benches.
    pub fn fixed(table: FxTable) -> Self {
        Self {
            table: RwLock::new(Arc::new(table)),
            source: RwLock::new(Source::Shipped),
            status: Mutex::new(Status::default()),
            refresh_enabled: false,
            attempts: watch::channel(0).0,
        }
    }

    /// Refresh attempts finished so far (good or not).
    pub fn attempts(&self) -> u64 {
        *self.attempts.borrow()
    }

    /// Waits until `n` refresh attempts have finished (event-driven, bounded by `timeout`).
    pub async fn wait_for_attempts(&self, n: u64, timeout: Duration) -> Result<(), McrError> {
        let mut rx = self.attempts.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|&a| a >= n))
            .await
            .map_err(|_| McrError::Timeout(format!("{n} FX refresh attempts within {timeout:?}")))?
            .map(|_| ())
            .map_err(|_| McrError::Server("the FX refresher stopped".into()))
    }

    /// The table in use now.
    pub fn table(&self) -> Arc<FxTable> {
        Arc::clone(&self.table.read())
    }

    /// `/ready`'s `fx` at scoring time `now` (unix seconds).
    pub fn ready(&self, now: u64) -> ReadyFx {
        let t = self.table();
        let today = i64::try_from(now / SECONDS_PER_DAY).unwrap_or(i64::MAX);
        let status = self.status.lock();
        ReadyFx {
            last_date: t.last_date(),
            age_days: u64::try_from(today - t.last_day()).unwrap_or(0),
            source: match *self.source.read() {
                Source::Shipped => "shipped",
                Source::File => "file",
                Source::Ecb => "ecb",
            }
            .into(),
            refresh_enabled: self.refresh_enabled,
            refreshed_at: status.refreshed_at,
            last_error: status.last_error.clone(),
            pinned: t.is_pinned(),
        }
    }
}

/// How the service keeps its table fresh.
#[derive(Debug, Clone)]
pub(crate) struct FxSettings {
    pub base_path: Option<PathBuf>,
    pub feeds: Vec<String>,
    pub interval: Duration,
    pub cache_path: Option<PathBuf>,
    pub pinned: bool,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn mtime_secs(path: &Path) -> Option<u64> {
    let m = std::fs::metadata(path).ok()?.modified().ok()?;
    m.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// The starting table: the configured history (or the shipped one), extended by the last good
/// table an earlier run persisted. A persisted table that no longer parses is ignored with a
/// warning (the next refresh writes a good one); a configured history that does not parse is
/// an error.
pub(crate) fn load(s: &FxSettings) -> Result<FxRates, McrError> {
    let (mut table, mut source) = match &s.base_path {
        Some(p) => (
            FxTable::from_path(p).map_err(|e| McrError::Fx(e.to_string()))?,
            Source::File,
        ),
        None => (FxTable::embedded().clone(), Source::Shipped),
    };
    let mut status = Status::default();
    if let Some(p) = s.cache_path.as_deref().filter(|p| p.exists()) {
        match FxTable::from_path(p) {
            Ok(saved) => {
                if saved.last_day() > table.last_day() {
                    source = Source::Ecb;
                    status.refreshed_at = mtime_secs(p);
                }
                table = table.merged(&saved);
            }
            Err(e) => {
                tracing::warn!(path = %p.display(), error = %e, "ignoring the saved FX table");
                status.last_error = Some(format!("saved FX table unreadable: {e}"));
            }
        }
    }
    Ok(FxRates {
        table: RwLock::new(Arc::new(table.pinned(s.pinned))),
        source: RwLock::new(source),
        status: Mutex::new(status),
        refresh_enabled: !s.feeds.is_empty(),
        attempts: watch::channel(0).0,
    })
}

async fn fetch_feed(client: &reqwest::Client, url: &str) -> Result<FxTable, String> {
    let mut resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("{url}: {}", e.without_url()))?;
    if !resp.status().is_success() {
        return Err(format!("{url}: HTTP {}", resp.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("{url}: {}", e.without_url()))?
    {
        if body.len() + chunk.len() > MAX_FEED_BYTES {
            return Err(format!("{url}: body exceeds {MAX_FEED_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body).map_err(|_| format!("{url}: body is not UTF-8"))?;
    FxTable::from_ecb_xml(&text).map_err(|e| format!("{url}: {e}"))
}

/// Writes `table` to `path` atomically (a temporary file renamed over it).
fn persist(table: &FxTable, path: &Path) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, table.to_csv())?;
    std::fs::rename(&tmp, path)
}

/// One refresh: every feed fetched and merged into the table in use; a feed that fails leaves
/// the table as it is (the others still count). `Ok(true)` when the table changed.
pub(crate) async fn refresh_once(
    rates: &FxRates,
    s: &FxSettings,
    client: &reqwest::Client,
    cache: &Cache,
) -> Result<bool, McrError> {
    let mut errors = Vec::new();
    let mut fresh: Option<FxTable> = None;
    for url in &s.feeds {
        match fetch_feed(client, url).await {
            Ok(t) => {
                fresh = Some(match fresh {
                    Some(f) => f.merged(&t),
                    None => t,
                });
            }
            Err(e) => errors.push(e),
        }
    }
    let now = unix_now();
    let any_good = fresh.is_some();
    let mut changed = false;
    if let Some(f) = fresh {
        let current = rates.table();
        let next = current.merged(&f);
        changed = next.to_csv() != current.to_csv();
        if changed {
            *rates.table.write() = Arc::new(next.clone());
            cache.clear();
        }
        if let Some(p) = &s.cache_path
            && (changed || !p.exists())
            && let Err(e) = persist(&next, p)
        {
            errors.push(format!("saving the FX table to {}: {e}", p.display()));
        }
        *rates.source.write() = Source::Ecb;
        rates.status.lock().refreshed_at = Some(now);
    }
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    rates.status.lock().last_error.clone_from(&error);
    match error {
        Some(e) if !any_good => Err(McrError::Fx(e)),
        Some(e) => {
            tracing::warn!(error = %e, "FX refresh partly failed");
            Ok(changed)
        }
        None => Ok(changed),
    }
}

/// The refresher: a refresh at start, then every `interval` (after a failure, sooner).
pub(crate) async fn run(
    rates: Arc<FxRates>,
    s: FxSettings,
    cache: Arc<Cache>,
    mut shutdown: watch::Receiver<bool>,
) {
    let client = match reqwest::Client::builder()
        .timeout(FEED_TIMEOUT)
        .no_proxy()
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            rates.status.lock().last_error = Some(format!("HTTP client: {e}"));
            return;
        }
    };
    loop {
        let outcome = refresh_once(&rates, &s, &client, &cache).await;
        rates.attempts.send_modify(|a| *a += 1);
        let wait = match outcome {
            Ok(changed) => {
                tracing::info!(
                    changed,
                    last_date = %rates.table().last_date(),
                    "FX table refreshed"
                );
                s.interval
            }
            Err(e) => {
                tracing::warn!(error = %e, "FX refresh failed; keeping the last good table");
                s.interval.min(FX_RETRY_INTERVAL)
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
    }
}
