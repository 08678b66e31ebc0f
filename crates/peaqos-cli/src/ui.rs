//! Terminal output: progress on stderr (silenced by `-q`), data on stdout.
//!
//! Spinners and progress bars are [`indicatif`]'s, drawn on stderr only when stderr is a
//! terminal and `-q` is off; in pipes, CI and tests they get a hidden draw target and print
//! nothing, so the stderr step lines and the stdout data stay plain text.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Spinner template: spinner, label, elapsed time.
pub const SPINNER_TEMPLATE: &str = "  {spinner} {msg} ({elapsed})";
/// Progress bar template: label, bar, position/length, rate, ETA.
pub const BAR_TEMPLATE: &str = "  {msg} [{wide_bar}] {human_pos}/{human_len} ({rate}, ETA {eta})";
/// Redraw interval of spinners and bars.
pub const TICK: Duration = Duration::from_millis(120);

/// Output settings shared by the commands.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    /// `-q`: only errors on stderr.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
}

/// `[n/total] text`, the step line the multi-step commands print on stderr.
pub fn step_line(n: u32, total: u32, text: &str) -> String {
    format!("[{n}/{total}] {text}")
}

/// The spinner style ([`SPINNER_TEMPLATE`], ASCII frames).
pub fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template(SPINNER_TEMPLATE)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .tick_chars("|/-\\ ")
}

/// Items per second for the bars' `{rate}`: whole numbers from 10/s up, one decimal below.
pub fn format_rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "0/s".to_string()
    } else if per_sec < 10.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{per_sec:.0}/s")
    }
}

/// The progress bar style ([`BAR_TEMPLATE`], `{rate}` from [`format_rate`]).
pub fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(BAR_TEMPLATE)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&format_rate(s.per_sec()));
            },
        )
        .progress_chars("=> ")
}

impl Ui {
    /// New settings.
    pub fn new(quiet: bool, verbose: u8) -> Self {
        Self { quiet, verbose }
    }
    /// Whether spinners and bars are drawn: stderr is a terminal and `-q` is off.
    pub fn draws(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
    fn target(&self) -> ProgressDrawTarget {
        if self.draws() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        }
    }
    /// A progress line on stderr.
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", msg.as_ref());
        }
    }
    /// A detail line on stderr with `-v`.
    pub fn detail(&self, msg: impl AsRef<str>) {
        if !self.quiet && self.verbose > 0 {
            eprintln!("  {}", msg.as_ref());
        }
    }
    /// `[n/total] text` on stderr.
    pub fn step(&self, n: u32, total: u32, text: impl AsRef<str>) {
        self.info(step_line(n, total, text.as_ref()));
    }
    /// A ticking spinner labelled `label` (hidden unless [`Ui::draws`]); call
    /// `finish_and_clear` when the wait is over.
    pub fn spinner(&self, label: impl Into<String>) -> ProgressBar {
        let pb = ProgressBar::with_draw_target(None, self.target())
            .with_style(spinner_style())
            .with_message(label.into());
        if !pb.is_hidden() {
            pb.enable_steady_tick(TICK);
        }
        pb
    }
    /// A progress bar over `len` items (position/length, rate, ETA), hidden unless
    /// [`Ui::draws`]; advance it with `inc`, end it with `finish_and_clear`.
    pub fn progress(&self, len: u64, label: impl Into<String>) -> ProgressBar {
        let pb = ProgressBar::with_draw_target(Some(len), self.target())
            .with_style(bar_style())
            .with_message(label.into());
        if !pb.is_hidden() {
            pb.enable_steady_tick(TICK);
        }
        pb
    }
    /// Waits for `fut` under a spinner (see [`Ui::spinner`]).
    pub async fn spin<F: std::future::Future>(&self, label: &str, fut: F) -> F::Output {
        let pb = self.spinner(label);
        let out = fut.await;
        pb.finish_and_clear();
        out
    }
}

/// Renders `text` as a QR code of unicode half blocks (for the terminal).
pub fn qr_unicode(text: &str) -> Option<String> {
    use qrcode::QrCode;
    use qrcode::render::unicode::Dense1x2;
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

/// Prints a table (header + rows) with padded columns.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// Formats wei as PEAQ with up to 6 decimals.
pub fn peaq(wei: alloy::primitives::U256) -> String {
    let unit = alloy::primitives::U256::from(10u64).pow(alloy::primitives::U256::from(18));
    let whole = wei / unit;
    let frac = (wei % unit) / alloy::primitives::U256::from(1_000_000_000_000u64);
    format!("{whole}.{:06} PEAQ", frac.to::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::U256;

    #[test]
    fn peaq_amounts_print_with_six_decimals() {
        assert_eq!(
            peaq(U256::from(1_500_000_000_000_000_000u128)),
            "1.500000 PEAQ"
        );
        assert_eq!(peaq(U256::ZERO), "0.000000 PEAQ");
    }

    #[test]
    fn tables_pad_columns() {
        let t = table(&["a", "bb"], &[vec!["xxx".into(), "y".into()]]);
        assert_eq!(t, "a    bb\nxxx  y\n");
    }

    #[test]
    fn step_lines_and_styles() {
        assert_eq!(step_line(3, 9, "minting"), "[3/9] minting");
        assert!(ProgressStyle::with_template(SPINNER_TEMPLATE).is_ok());
        assert!(ProgressStyle::with_template(BAR_TEMPLATE).is_ok());
        assert_eq!(format_rate(4_820.844), "4821/s");
        assert_eq!(format_rate(2.25), "2.2/s");
        assert_eq!(format_rate(0.0), "0/s");
        assert_eq!(format_rate(f64::INFINITY), "0/s");
        for t in [SPINNER_TEMPLATE, BAR_TEMPLATE] {
            assert!(!t.contains('\r') && !t.contains('\x1b'), "{t}");
        }
        for k in ["{human_pos}", "{human_len}", "{rate}", "{eta}"] {
            assert!(BAR_TEMPLATE.contains(k), "{k}");
        }
    }

    #[test]
    fn quiet_bars_are_hidden_and_still_count() {
        let ui = Ui::new(true, 0);
        assert!(!ui.draws());
        let pb = ui.progress(10, "events");
        assert!(pb.is_hidden());
        pb.inc(4);
        assert_eq!((pb.position(), pb.length()), (4, Some(10)));
        pb.finish_and_clear();
        assert!(ui.spinner("waiting").is_hidden());
    }

    #[tokio::test]
    async fn spin_returns_the_output() {
        assert_eq!(Ui::new(true, 0).spin("x", async { 7 }).await, 7);
    }

    #[test]
    fn qr_renders_for_an_otpauth_uri() {
        let q = qr_unicode("otpauth://totp/peaq:0xabc?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(q.lines().count() > 10);
    }
}
