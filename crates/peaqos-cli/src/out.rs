//! Data on stdout. Every command prints its results through [`print()`] /
//! [`crate::outln!`], which return the write error instead of panicking as `println!` does: a
//! reader that went away (`peaqos show ... | head -1`) ends the command normally, exit 0
//! ([`CliError::broken_pipe`]).

use crate::CliError;
use std::io::Write;

/// Writes `text` to stdout as it is (no newline added) and flushes it.
pub fn print(text: impl AsRef<str>) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_ref().as_bytes())?;
    out.flush()?;
    Ok(())
}

/// `println!` for command results: `outln!("{x}")?` writes one line to stdout and returns a
/// closed pipe as [`CliError::broken_pipe`].
#[macro_export]
macro_rules! outln {
    () => {
        $crate::out::print("\n")
    };
    ($($arg:tt)*) => {
        $crate::out::print(format!("{}\n", format_args!($($arg)*)))
    };
}
