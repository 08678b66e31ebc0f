//! Terminal output: progress on stderr (silenced by `-q`), data on stdout.

use std::io::{IsTerminal, Write};

/// Output settings shared by the commands.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    /// `-q`: only errors on stderr.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
}

impl Ui {
    /// New settings.
    pub fn new(quiet: bool, verbose: u8) -> Self {
        Self { quiet, verbose }
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
        self.info(format!("[{n}/{total}] {}", text.as_ref()));
    }
    /// Waits for `fut`, drawing a spinner on stderr when it is a terminal.
    pub async fn spin<F: std::future::Future>(&self, label: &str, fut: F) -> F::Output {
        if self.quiet || !std::io::stderr().is_terminal() {
            return fut.await;
        }
        let frames = ['|', '/', '-', '\\'];
        let mut i = 0usize;
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(120));
        tokio::pin!(fut);
        let out = loop {
            tokio::select! {
                out = &mut fut => break out,
                _ = tick.tick() => {
                    eprint!("\r  {} {label}", frames[i % frames.len()]);
                    let _ = std::io::stderr().flush();
                    i += 1;
                }
            }
        };
        eprint!("\r\x1b[2K");
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
    fn qr_renders_for_an_otpauth_uri() {
        let q = qr_unicode("otpauth://totp/peaq:0xabc?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(q.lines().count() > 10);
    }
}
