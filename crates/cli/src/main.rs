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

/// mimalloc: measurably faster than glibc's allocator for the server's many
/// small, short-lived allocations across threads (see README benchmarks).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Run billing: charge what is due, apply payments, collect.
    Bill {
        /// Bill as if it were this UNIX time (default: now).
        #[arg(long)]
        time: Option<i64>,
        /// Bill only this customer.
        #[arg(long)]
        custnum: Option<i64>,
    },
    /// Look at invoices.
    Invoice {
        #[command(subcommand)]
        command: InvoiceCommand,
    },
    /// Mail accounts: add, edit, remove, suspend, unsuspend (with their exports).
    Service {
        #[command(subcommand)]
        command: commands::ServiceCommand,
    },
    /// Suspend, unsuspend or cancel a package and its services.
    Package {
        #[command(subcommand)]
        command: commands::PackageCommand,
    },
    /// Provisioning exports: their job queue, a test and an audit.
    Export {
        #[command(subcommand)]
        command: commands::ExportCommand,
    },
    /// Benchmarks, each on its own throwaway database.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum InvoiceCommand {
    /// Print an invoice.
    Show {
        /// The invoice number.
        invnum: i64,
        /// text, html or pdf.
        #[arg(long, default_value = "text")]
        format: String,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Back-office API throughput and latency against the framework ceiling.
    Backoffice {
        /// Seconds per measurement.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
    },
    /// Serve only the framework ceiling (a fixed XML-RPC answer on the same
    /// HTTP stack) on ADDR, for outside load tools such as wrk.
    Ceiling {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8009")]
        listen: String,
    },
    /// A billing run over generated customers against the raw insert ceiling.
    Billing {
        /// How many customers to generate.
        #[arg(long, default_value_t = 100_000)]
        customers: u64,
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
        Command::Service { command } => commands::service(&cli.config, command).await,
        Command::Package { command } => commands::package(&cli.config, command).await,
        Command::Export { command } => commands::export(&cli.config, command).await,
        Command::Bill { time, custnum } => commands::bill(&cli.config, time, custnum).await,
        Command::Invoice {
            command: InvoiceCommand::Show { invnum, format },
        } => commands::invoice_show(&cli.config, invnum, &format).await,
        Command::Bench {
            command: BenchCommand::Backoffice { seconds },
        } => commands::bench_backoffice(seconds).await,
        Command::Bench {
            command: BenchCommand::Ceiling { listen },
        } => commands::bench_ceiling(&listen).await,
        Command::Bench {
            command: BenchCommand::Billing { customers },
        } => commands::bench_billing(customers).await,
    }
}
