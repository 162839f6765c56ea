//! Options shared by every subcommand, output helpers and the error-to-exit-code mapping.

use std::process::ExitCode;

/// Options every subcommand understands.
#[derive(Debug, clap::Args)]
pub struct Global {
    /// Database URL: `sqlite:FILE` (default `sqlite:locker.db` in the working directory),
    /// `sqlite::memory:` or `postgres://user@host/db`.
    #[arg(long, global = true, env = "LOCKER_DATABASE_URL", default_value = "sqlite:locker.db")]
    pub db: String,
    /// Print machine-readable JSON instead of human tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log format on stderr: `text` for people (coloured only on a terminal, and never when
    /// NO_COLOR is set), `json` (one object a line) for log collectors.
    #[arg(long, global = true, value_enum, env = "LOCKER_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object a line.
    Json,
}

/// Whether log lines on stderr may carry colour codes: only for a terminal, and not when
/// the `NO_COLOR` convention (<https://no-color.org>) asks for none.
fn colour_on_stderr() -> bool {
    use std::io::IsTerminal as _;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl Global {
    /// Logs go to stderr in `--log-format`; `RUST_LOG` overrides `-v`.
    pub fn init_logging(&self) {
        let level = match self.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        };
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
        let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
        let _ = match self.log_format {
            LogFormat::Text => logs.with_ansi(colour_on_stderr()).try_init(),
            LogFormat::Json => logs.json().with_ansi(false).try_init(),
        };
    }

    /// Runs a future to completion on a fresh runtime (commands are short-lived).
    pub fn block_on<F: std::future::Future>(&self, fut: F) -> F::Output {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("Failed to start the async runtime")
            .block_on(fut)
    }

    /// Prints `value` as pretty JSON on stdout. A closed pipe (`locker ... --json | head`)
    /// comes back as an IO error, which [`exit_code`] treats as success, instead of a panic.
    pub fn print_json<T: serde::Serialize>(&self, value: &T) -> anyhow::Result<()> {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", serde_json::to_string_pretty(value)?)?;
        out.flush()?;
        Ok(())
    }
}

/// A table with the house style.
pub fn table(headers: &[&str]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(headers.iter().copied());
    t
}

/// Maps a command's result to an exit code: 0 on success (and on a closed pipe, as
/// `locker ... | head` should not fail), 1 with the message chain on stderr otherwise.
pub fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if err
                .chain()
                .any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
