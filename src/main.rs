//! The `license-portal` binary: parse the command line, start logging,
//! dispatch. Exit 0 on success, 1 when the work was refused, 2 for a usage
//! error (clap's own exit code). With `--log-format json` every line it
//! writes, on either stream, is one JSON object (SPEC 10).

use std::process::ExitCode;

use clap::Parser;
use license_portal::cli::output::{self, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // Known before parsing, so that a usage error is written in it too.
    output::set(output::sniff(&args));
    let cli = match license_portal::cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if output::format() == LogFormat::Json => {
            let code = e.exit_code();
            let text = e.to_string();
            if e.use_stderr() {
                output::error(text.trim_end());
            } else {
                output::show(text.trim_end());
            }
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
        Err(e) => e.exit(),
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match cli.log_format {
        LogFormat::Json => {
            tracing_subscriber::fmt()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .init();
            // A panic is a line of the log too.
            std::panic::set_hook(Box::new(|info| {
                tracing::error!(panic = %info, "panic");
            }));
        }
        LogFormat::Text => {
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .init();
        }
    }
    match license_portal::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(format!("{e:#}"));
            ExitCode::from(1)
        }
    }
}
