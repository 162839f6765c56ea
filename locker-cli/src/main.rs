//! `locker`: the command line for technicians and integrators.
//!
//! One module per subcommand under `cmd/`; this file parses the arguments, runs the
//! command and turns errors into a message on stderr and a non-zero exit code.

mod cmd;
mod output;

use clap::{Parser, Subcommand};

/// Smart-locker platform: database, lockers, controllers, tokens, faces and the serial line.
#[derive(Debug, Parser)]
#[command(name = "locker", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    global: output::Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the reference server (SQLite file + simulated controller by default).
    Serve(cmd::serve::Args),
    /// Create (or reuse) a demo database with demo lockers and list them.
    Demo(cmd::demo::Args),
    /// Database: apply migrations, show status.
    #[command(subcommand)]
    Db(cmd::db::Command),
    /// Lock-controller boards: add, list, rotate their API keys.
    #[command(subcommand)]
    Controllers(cmd::controllers::Command),
    /// Lockers: add, import from CSV, list, set status.
    #[command(subcommand)]
    Lockers(cmd::lockers::Command),
    /// Signing keys for QR and access tokens.
    #[command(subcommand)]
    Keys(cmd::keys::Command),
    /// QR tokens: issue, verify.
    #[command(subcommand)]
    Qr(cmd::qr::Command),
    /// User accounts: add, list.
    #[command(subcommand)]
    Users(cmd::users::Command),
    /// The serial line to lock controllers: ports, ping, unlock, status, monitor, selftest, simulate.
    #[command(subcommand)]
    Uart(cmd::uart::Command),
    /// Faces: detect, embed, verify, enroll, identify, eval.
    #[command(subcommand)]
    Face(cmd::face::Command),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    cli.global.init_logging();
    let result = match cli.command {
        Command::Serve(args) => cmd::serve::run(&cli.global, args),
        Command::Demo(args) => cmd::demo::run(&cli.global, args),
        Command::Db(c) => cmd::db::run(&cli.global, c),
        Command::Controllers(c) => cmd::controllers::run(&cli.global, c),
        Command::Lockers(c) => cmd::lockers::run(&cli.global, c),
        Command::Keys(c) => cmd::keys::run(&cli.global, c),
        Command::Qr(c) => cmd::qr::run(&cli.global, c),
        Command::Users(c) => cmd::users::run(&cli.global, c),
        Command::Uart(c) => cmd::uart::run(&cli.global, c),
        Command::Face(c) => cmd::face::run(&cli.global, c),
    };
    output::exit_code(result)
}
