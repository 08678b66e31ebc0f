//! `peaqos`: the terminal face of peaqOS.

fn main() -> std::process::ExitCode {
    peaqos_cli::main()
}
