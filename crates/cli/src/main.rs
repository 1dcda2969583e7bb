//! The `bursar` command: init, serve, migrate, catalog and customer
//! administration. Logs go to stderr; stdout carries only what a command
//! produces. A failure prints one line and exits non-zero.

mod catalog_file;
mod commands;
mod config;
mod runtime;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Billing, customer self-service and provisioning for ISPs.
#[derive(Debug, Parser)]
#[command(name = "bursar", version, about)]
struct Cli {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        env = "BURSAR_CONFIG",
        default_value = "bursar.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the configuration, data folder, card key and database (as serve does), then exit.
    Init,
    /// Initialise if needed, then serve the back-office and public listeners.
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Declarative set-up of agents, sources, taxes, exports, services and packages.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Look at customers.
    Customer {
        #[command(subcommand)]
        command: CustomerCommand,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Create and update what FILE defines (idempotent); print what changed.
    Apply {
        /// The catalog file (TOML).
        file: PathBuf,
    },
    /// Print the current catalog as TOML.
    Show,
}

#[derive(Debug, Subcommand)]
enum CustomerCommand {
    /// List customers with balance and status.
    List {
        /// List customers after this custnum.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// At most this many.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
    /// Show one customer.
    Show {
        /// The customer number.
        custnum: i64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(code) => code,
        Err(error) => {
            let message: Vec<String> = error.chain().map(ToString::to_string).collect();
            eprintln!("bursar: error: {}", message.join(": ").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Init => commands::init(&cli.config).await,
        Command::Serve => commands::serve(&cli.config).await,
        Command::Migrate => commands::migrate(&cli.config).await,
        Command::Catalog {
            command: CatalogCommand::Apply { file },
        } => commands::catalog_apply(&cli.config, &file).await,
        Command::Catalog {
            command: CatalogCommand::Show,
        } => commands::catalog_show(&cli.config).await,
        Command::Customer {
            command: CustomerCommand::List { after, limit },
        } => commands::customer_list(&cli.config, after, limit).await,
        Command::Customer {
            command: CustomerCommand::Show { custnum },
        } => commands::customer_show(&cli.config, custnum).await,
    }
}
