//! samverkan-load: starts the real Samverkan server (and a Node `ws` baseline), holds many
//! live-stream connections and times REST-to-WebSocket delivery. A black box: it speaks
//! only HTTP and WebSocket to the servers it starts.

mod api;
mod clients;
mod cpu;
mod floor;
mod fsync;
mod pgdb;
mod process;
mod report;
mod rest;
mod scenarios;
mod target;
mod tracker;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use crate::api::{Api, World};
use crate::clients::Connector;
use crate::process::{Cluster, Server};
use crate::report::{Machine, Report, ServerRun};
use crate::scenarios::Plan;
use crate::target::{NodeBaseline, Target};

#[derive(Parser)]
#[command(
    version,
    about = "Load generator and benchmark for the Samverkan live stream"
)]
struct Args {
    /// The samverkan binary (`cargo build --release -p samverkan`).
    #[arg(long, default_value = "target/release/samverkan")]
    server_bin: PathBuf,
    /// The Node baseline script (run `npm ci` in its folder first).
    #[arg(long, default_value = "bench/node/broadcast.js")]
    node_script: PathBuf,
    #[arg(long, default_value = "node")]
    node_bin: String,
    /// Skip the Node baseline.
    #[arg(long)]
    skip_node: bool,
    /// Skip the transport floor (raw TCP writes, no server logic).
    #[arg(long)]
    skip_floor: bool,
    /// Internal: be the transport floor's writer process for this many connections.
    #[arg(long, hide = true)]
    floor_writer: Option<usize>,
    /// Small run for CI smoke use: 1,000 clients, 5 rounds, 2 s at 200 changes/s.
    #[arg(long)]
    quick: bool,
    /// Stream clients held in the fan-out scenario [default: 10000, quick 1000].
    #[arg(long)]
    clients: Option<usize>,
    /// Fan-out rounds, one at a time [default: 30, quick 5].
    #[arg(long)]
    rounds: Option<usize>,
    /// Changes per second in the paced inquiry scenario [default: 1000, quick 200].
    #[arg(long)]
    rate: Option<f64>,
    /// Further rates to run the paced scenario at, e.g. `500,750` (reported, not judged).
    #[arg(long, value_delimiter = ',')]
    extra_rates: Vec<f64>,
    /// Seconds the paced scenario is measured, after a warm-up [default: 10, quick 2].
    #[arg(long)]
    duration: Option<f64>,
    /// Social workers created through the API [default: 100, quick 20].
    #[arg(long)]
    users: Option<usize>,
    /// Inquiry cases in the paced scenario [default: 100, quick 20].
    #[arg(long)]
    cases: Option<usize>,
    /// Clients connected, served a few rounds and closed before memory is read again.
    #[arg(long)]
    warmup_clients: Option<usize>,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    /// Source addresses 127.0.0.2 … 127.0.0.(1+N) the clients connect from.
    #[arg(long, default_value_t = 10)]
    sources: u8,
    /// Folder for the temporary SQLite database [default: the system's temp folder].
    #[arg(long)]
    db_dir: Option<PathBuf>,
    /// Also write the markdown report here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Measure REST throughput instead of the stream: `/api/me` as the baseline, an audited
    /// case read, the audited case list and a message write (`rest`).
    #[arg(long)]
    rest: bool,
    /// With `--rest`: measure only these request kinds (e.g. to profile the server under one
    /// of them); the ratios are then to the first kept. The floors (`read-floor`,
    /// `write-floor`) are measured only when named, against a hub built with
    /// `--features floors`.
    #[arg(long, value_enum, value_delimiter = ',')]
    rest_kind: Vec<rest::KindName>,
    /// Closed-loop REST clients, one connection each [default: 32, quick 8].
    #[arg(long)]
    rest_clients: Option<usize>,
    /// With `--rest`: also run on PostgreSQL. Without: run the stream on PostgreSQL instead
    /// of SQLite. Either way in a fresh database made (and dropped) on the server this URL
    /// names.
    #[arg(long)]
    postgres: Option<String>,
    /// Hub nodes (release processes) on the one PostgreSQL database of `--postgres`: stream
    /// clients are spread over them round-robin and every change is made through the first,
    /// so the others deliver what another node committed.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Exit with 2 when a target is missed.
    #[arg(long)]
    fail_on_miss: bool,
}

struct Settings {
    plan: Plan,
    rates: Vec<f64>,
    paced_warmup: Duration,
    duration: Duration,
}

impl Args {
    fn settings(&self) -> Settings {
        let quick = self.quick;
        let pick = |value: Option<usize>, full: usize, small: usize| {
            value.unwrap_or(if quick { small } else { full })
        };
        let plan = Plan {
            clients: pick(self.clients, 10_000, 1_000),
            warmup_clients: pick(self.warmup_clients, 200, 100),
            rounds: pick(self.rounds, 30, 5),
            users: pick(self.users, 100, 20).max(1),
            cases: pick(self.cases, 100, 20).max(1),
            concurrency: self.concurrency,
        };
        let rate = self.rate.unwrap_or(if quick { 200.0 } else { 1000.0 });
        let mut rates = vec![rate];
        rates.extend(self.extra_rates.iter().copied());
        let duration = self.duration.unwrap_or(if quick { 2.0 } else { 10.0 });
        Settings {
            plan,
            rates,
            paced_warmup: Duration::from_millis(if quick { 500 } else { 1000 }),
            duration: Duration::from_secs_f64(duration.max(0.1)),
        }
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

async fn run_scenarios(
    name: &'static str,
    target: Target,
    server: &mut Cluster,
    started: u64,
    sources: u8,
    s: &Settings,
) -> anyhow::Result<ServerRun> {
    let target = Arc::new(target);
    let connector = Connector::new(server.addrs(), sources);
    eprintln!(
        "[{name}] fan-out: {} clients, {} rounds",
        s.plan.clients, s.plan.rounds
    );
    let (fanout, memory) = scenarios::fanout(&target, server, &connector, &s.plan, started).await?;
    let mut paced = Vec::new();
    for &rate in &s.rates {
        eprintln!(
            "[{name}] paced: {rate:.0} changes/s for {:.1} s over {} cases",
            s.duration.as_secs_f64(),
            s.plan.cases
        );
        paced.push(
            scenarios::paced(
                &target,
                server,
                &connector,
                &s.plan,
                rate,
                s.paced_warmup,
                s.duration,
            )
            .await?,
        );
    }
    Ok(ServerRun {
        name,
        memory,
        fanout,
        paced,
    })
}

async fn run(args: &Args) -> anyhow::Result<bool> {
    let s = args.settings();
    let open_files =
        rlimit::increase_nofile_limit(u64::MAX).context("raising the open-file limit")?;
    let needed = (s.plan.clients + 1_000) as u64;
    if open_files < needed {
        eprintln!("warning: open-file limit {open_files} is below the {needed} this run needs");
    }
    let base = args.db_dir.clone().unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new()
        .prefix("samverkan-load-")
        .tempdir_in(&base)?;
    let load_start = load_average();
    let fsync = fsync::probe(dir.path(), 200)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()?;

    anyhow::ensure!(
        args.nodes >= 1 && (args.nodes == 1 || args.postgres.is_some()),
        "--nodes above 1 needs --postgres (the nodes share one PostgreSQL database)"
    );
    let fresh = args
        .postgres
        .as_deref()
        .map(pgdb::FreshDatabase::create)
        .transpose()?;
    let url = fresh.as_ref().map(|f| f.url.as_str());
    let ours = async {
        // The first node seeds the demo set; the others start on the seeded database.
        let mut nodes = Vec::new();
        for _ in 0..args.nodes {
            nodes.push(Server::samverkan(&args.server_bin, dir.path(), url, &http).await?);
        }
        let mut server = Cluster { nodes };
        let started = server.rss()?;
        for node in &server.nodes {
            eprintln!("[samverkan] node pid {} on {}", node.pid, node.addr);
        }
        eprintln!(
            "[samverkan] setting up {} users and {} inquiry cases",
            s.plan.users, s.plan.cases
        );
        let apis = server
            .addrs()
            .into_iter()
            .map(|addr| Api::new(http.clone(), addr))
            .collect();
        let world = World::set_up(apis, s.plan.users, s.plan.cases).await?;
        let ours = run_scenarios(
            "samverkan",
            Target::Ours(world),
            &mut server,
            started,
            args.sources,
            &s,
        )
        .await;
        server.stop().await?;
        ours
    }
    .await;
    if let Some(fresh) = fresh {
        fresh.drop_now()?;
    }
    let ours = ours?;

    let node = if args.skip_node {
        None
    } else {
        let server = Server::node(&args.node_bin, &args.node_script, dir.path(), &http).await?;
        eprintln!("[node ws] pid {} on {}", server.pid, server.addr);
        let target = Target::Node(NodeBaseline::new(http.clone(), server.addr));
        let mut server = Cluster::one(server);
        let started = server.rss()?;
        let node = run_scenarios("node ws", target, &mut server, started, args.sources, &s).await;
        server.stop().await?;
        Some(node?)
    };

    let floor = if args.skip_floor {
        None
    } else {
        eprintln!(
            "[floor] raw TCP: {} clients, {} rounds",
            s.plan.clients, s.plan.rounds
        );
        let writer = floor::writer_command(s.plan.clients)?;
        Some(floor::measure(writer, s.plan.clients, s.plan.rounds, args.sources).await?)
    };

    let machine = Machine {
        cores: std::thread::available_parallelism().map_or(0, usize::from),
        load_start,
        load_end: load_average(),
        open_files,
        db_dir: base.display().to_string(),
        postgres: args.postgres.is_some(),
        nodes: args.nodes,
        fsync,
    };
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let report = Report {
        command,
        machine,
        ours: &ours,
        node: node.as_ref(),
        floor: floor.as_ref(),
    };
    let text = report::render(&report)?;
    println!("{text}");
    if let Some(path) = &args.report {
        std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report::all_met(&ours))
}

async fn run_rest(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.nodes == 1, "--nodes is for the stream, not --rest");
    let quick = args.quick;
    let mut stores = vec![None];
    stores.extend(args.postgres.iter().cloned().map(Some));
    let plan = rest::Plan {
        clients: args
            .rest_clients
            .unwrap_or(if quick { 8 } else { 32 })
            .max(1),
        warmup: Duration::from_millis(if quick { 200 } else { 1000 }),
        duration: Duration::from_secs_f64(args.duration.unwrap_or(if quick { 1.0 } else { 10.0 })),
        rounds: if quick { 1 } else { 5 },
        stores,
        only: args.rest_kind.clone(),
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let text = rest::run(&args.server_bin, &plan, &http, &command, &load_average).await?;
    println!("{text}");
    if let Some(path) = &args.report {
        std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(clients) = args.floor_writer {
        return match floor::serve_writer(clients) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("samverkan-load --floor-writer: {err:#}");
                ExitCode::FAILURE
            }
        };
    }
    if args.rest {
        return match run_rest(&args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("samverkan-load --rest: {err:#}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) if args.fail_on_miss => ExitCode::from(2),
        Ok(false) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("samverkan-load: {err:#}");
            ExitCode::FAILURE
        }
    }
}
