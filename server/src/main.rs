//! The `samverkan` binary: parse the command line, load settings, start logging, run.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use samverkan::admin::{self, AdminCommand};
use samverkan::app::Application;
use samverkan::config::{Settings, DEV_JWT_SECRET};
use samverkan::{demo, telemetry};

#[derive(Parser)]
#[command(name = "samverkan", version, about = "Samverkan kring rehabilitering")]
struct Cli {
    /// Settings file layered over config/default.toml (env SAMVERKAN_* wins over both).
    #[arg(long, global = true, env = "SAMVERKAN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Load demo data into an empty store and print the demo logins.
        #[arg(long)]
        demo: bool,
    },
    /// Administration of organisations, users and the audit log.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    telemetry::init(&settings.log);
    match cli.command {
        Command::Serve { demo } => {
            if !demo && settings.auth.jwt_secret == DEV_JWT_SECRET {
                anyhow::bail!("auth.jwt_secret is the development default; set SAMVERKAN_AUTH__JWT_SECRET (or use --demo)");
            }
            let app = Application::build(settings).await?;
            if demo {
                demo::seed_if_empty(&app.state().store).await?;
            }
            tracing::info!(address = %app.local_addr()?, "listening");
            println!("Samverkan kör på http://{}", app.local_addr()?);
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Admin(command) => admin::run(&settings, command).await,
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
