//! The markdown report: one results table, the ratios to the Node baseline, and the details
//! a reader needs to trust or doubt the figures.

use std::fmt::Write;

use hdrhistogram::Histogram;

use crate::scenarios::{Memory, Outcome};

/// Targets the figures are held to.
pub const MEMORY_TARGET_BYTES: f64 = 10_000.0;
pub const FANOUT_P99_TARGET_MS: f64 = 40.0;
pub const PACED_P99_TARGET_MS: f64 = 20.0;

pub struct ServerRun {
    pub name: &'static str,
    pub memory: Memory,
    pub fanout: Outcome,
    pub paced: Vec<Outcome>,
}

pub struct Machine {
    pub cores: usize,
    pub load_start: String,
    pub load_end: String,
    pub open_files: u64,
    pub db_dir: String,
    pub fsync: Histogram<u64>,
    /// The stream ran on PostgreSQL (else SQLite in `db_dir`).
    pub postgres: bool,
    /// Hub nodes on that database.
    pub nodes: usize,
}

pub struct Report<'a> {
    pub command: String,
    pub machine: Machine,
    pub ours: &'a ServerRun,
    pub node: Option<&'a ServerRun>,
    pub floor: Option<&'a crate::floor::Floor>,
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn p(h: &Histogram<u64>, q: f64) -> f64 {
    ms(h.value_at_quantile(q))
}

/// p50 | p99 | max, or dashes when nothing was recorded.
fn latency_cells(h: &Histogram<u64>) -> String {
    if h.is_empty() {
        return "– | – | –".into();
    }
    format!(
        "{:.2} ms | {:.2} ms | {:.2} ms",
        p(h, 0.5),
        p(h, 0.99),
        ms(h.max())
    )
}

fn bytes(b: f64) -> String {
    format!("{:.0} B ({:.2} KiB)", b, b / 1024.0)
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
}

fn ratio(ours: f64, node: f64) -> String {
    if node > 0.0 {
        format!("{:.2}×", ours / node)
    } else {
        "–".into()
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**no**"
    }
}

/// Whether every target holds for our server.
pub fn all_met(run: &ServerRun) -> bool {
    let memory = run
        .memory
        .per_connection()
        .is_some_and(|b| b <= MEMORY_TARGET_BYTES);
    let fanout = fanout_met(&run.fanout);
    let paced = run.paced.first().is_none_or(paced_met);
    memory && fanout && paced
}

fn complete(o: &Outcome) -> bool {
    o.expected > 0 && o.delivered == o.expected && o.duplicates == 0
}

/// Across nodes: the p99 of the connections on the nodes the changes were not made through,
/// over that of the connections on the node they were, at most this.
pub const CROSS_NODE_P99_RATIO: f64 = 1.5;

/// Deliveries to connections on the node the changes were made through, and to the others.
fn same_and_other_nodes(o: &Outcome) -> Option<(Histogram<u64>, Histogram<u64>)> {
    let (same, others) = o.by_node.split_first()?;
    let mut other = same.clone();
    other.reset();
    for h in others {
        other.add(h).ok()?;
    }
    (!others.is_empty()).then(|| (same.clone(), other))
}

/// Per scenario: connections per node, latency on the node the changes were made through and
/// on the others, and events lost or duplicated.
fn nodes_section(run: &ServerRun, out: &mut String) -> std::fmt::Result {
    writeln!(
        out,
        "\n## Across nodes\n\nEvery change is made through node 1; \"same node\" are the connections on it, \
         \"other nodes\" those on the rest, which get the event through PostgreSQL (LISTEN/NOTIFY and the events table).\n"
    )?;
    writeln!(out, "| scenario | connections per node | same node p50 / p99 / max | other nodes p50 / p99 / max | other / same (p99) | lost | duplicated | target | met |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---|---|")?;
    for (i, o) in std::iter::once(&run.fanout).chain(&run.paced).enumerate() {
        let Some((same, other)) = same_and_other_nodes(o) else {
            continue;
        };
        let per_node: Vec<String> = o.per_node.iter().map(ToString::to_string).collect();
        let ratio_p99 = p(&other, 0.99) / p(&same, 0.99).max(0.001);
        let (target, ok) = if i == 1 {
            (
                format!("p99 ≤ {CROSS_NODE_P99_RATIO}× same node, none lost or duplicated"),
                met(complete(o) && ratio_p99 <= CROSS_NODE_P99_RATIO),
            )
        } else {
            ("–".to_owned(), "–")
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {ratio_p99:.2}× | {} | {} | {target} | {ok} |",
            o.label,
            per_node.join(" / "),
            latency_cells(&same).replace(" | ", " / "),
            latency_cells(&other).replace(" | ", " / "),
            o.expected.saturating_sub(o.delivered),
            o.duplicates
        )?;
    }
    Ok(())
}

fn fanout_met(o: &Outcome) -> bool {
    complete(o) && p(&o.latency, 0.99) <= FANOUT_P99_TARGET_MS
}

fn paced_met(o: &Outcome) -> bool {
    let rate_held = o.rate.is_some_and(|(want, got)| got >= want * 0.98);
    complete(o) && rate_held && p(&o.latency, 0.99) <= PACED_P99_TARGET_MS
}

fn rows(run: &ServerRun, out: &mut String) -> std::fmt::Result {
    let m = &run.memory;
    let per = m.per_connection().unwrap_or(0.0);
    writeln!(
        out,
        "| {} idle connections | {} | {} | – | – | – | – | {} | ≤ 10 KB | {} |",
        m.connections,
        run.name,
        m.connections,
        bytes(per),
        met(per <= MEMORY_TARGET_BYTES)
    )?;
    let f = &run.fanout;
    let after = if m.connections > 0 {
        (m.after_fanout as f64 - m.before as f64) / m.connections as f64
    } else {
        0.0
    };
    writeln!(
        out,
        "| {} | {} | {} | {}/{} | {} | {} (after) | p99 ≤ {FANOUT_P99_TARGET_MS} ms | {} |",
        f.label,
        run.name,
        f.clients,
        f.delivered,
        f.expected,
        latency_cells(&f.latency),
        bytes(after),
        met(fanout_met(f))
    )?;
    for (i, o) in run.paced.iter().enumerate() {
        let (target, ok) = if i == 0 {
            (format!("p99 ≤ {PACED_P99_TARGET_MS} ms"), met(paced_met(o)))
        } else {
            ("(extra rate)".to_owned(), "–")
        };
        writeln!(
            out,
            "| {} | {} | {} | {}/{} | {} | – | {target} | {ok} |",
            o.label,
            run.name,
            o.clients,
            o.delivered,
            o.expected,
            latency_cells(&o.latency)
        )?;
    }
    Ok(())
}

fn details(run: &ServerRun, cores: usize, out: &mut String) -> std::fmt::Result {
    let m = &run.memory;
    writeln!(out, "\n### {}\n", run.name)?;
    writeln!(
        out,
        "- memory (VmRSS): started {}, before connecting (after setup) {}, after warm-up {}, {} connected and idle {}, after the fan-out rounds {}",
        mib(m.started),
        mib(m.before),
        mib(m.after_warmup),
        m.connections,
        mib(m.connected),
        mib(m.after_fanout)
    )?;
    writeln!(
        out,
        "- memory per connection: {} from before connecting (headline), {} from after warm-up",
        bytes(m.per_connection().unwrap_or(0.0)),
        bytes(m.per_connection_after_warmup().unwrap_or(0.0))
    )?;
    for o in std::iter::once(&run.fanout).chain(&run.paced) {
        write!(
            out,
            "- {}: {} sends, REST round trip p50 {:.2} ms / p99 {:.2} ms / max {:.2} ms; connected {} in {:.1} s",
            o.label,
            o.sends,
            p(&o.rest, 0.5),
            p(&o.rest, 0.99),
            ms(o.rest.max()),
            o.clients,
            o.connect_took.as_secs_f64()
        )?;
        if let Some((want, got)) = o.rate {
            write!(out, "; rate {want:.0}/s wanted, {got:.0}/s achieved; {} sends started late (case still busy)", o.backlogged)?;
        }
        if o.send_errors.count > 0 {
            write!(
                out,
                "; **{} failed sends**, e.g. {:?}",
                o.send_errors.count, o.send_errors.samples
            )?;
        }
        if !o.connect_failures.is_empty() {
            write!(
                out,
                "; **{} connections failed**, e.g. {:?}",
                o.connect_failures.len(),
                o.connect_failures.iter().take(3).collect::<Vec<_>>()
            )?;
        }
        if o.lost_connections > 0 {
            write!(
                out,
                "; **{} connections closed by the server**",
                o.lost_connections
            )?;
        }
        if o.unmatched > 0 {
            write!(out, "; {} unmatched events", o.unmatched)?;
        }
        if o.duplicates > 0 {
            write!(out, "; **{} events duplicated**", o.duplicates)?;
        }
        writeln!(out)?;
        let c = &o.cpu;
        let per_send = if o.sends > 0 {
            c.server * 1000.0 / o.sends as f64
        } else {
            0.0
        };
        writeln!(
            out,
            "  - CPU over the {:.1} s of sends ({} cores: {:.1} CPU-s available): server {:.2} s ({per_send:.2} ms per send), generator {:.2} s, everything else {:.2} s",
            c.wall.as_secs_f64(),
            cores,
            c.wall.as_secs_f64() * cores as f64,
            c.server,
            c.generator,
            c.others
        )?;
        if !o.per_round.is_empty() {
            let rounds: Vec<String> = o
                .per_round
                .iter()
                .map(|(rest, last)| {
                    format!(
                        "{:.0}/{:.0}",
                        rest.as_secs_f64() * 1000.0,
                        last.as_secs_f64() * 1000.0
                    )
                })
                .collect();
            writeln!(
                out,
                "  - per round, REST ms / last delivery ms: {}",
                rounds.join(" ")
            )?;
        }
    }
    Ok(())
}

pub fn render(report: &Report<'_>) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    let m = &report.machine;
    writeln!(out, "# Samverkan stream benchmark\n")?;
    writeln!(out, "`{}`\n", report.command)?;
    let store = if m.postgres {
        format!(
            "PostgreSQL, a fresh database, {} hub node{}",
            m.nodes,
            if m.nodes == 1 { "" } else { "s" }
        )
    } else {
        format!("SQLite in {}", m.db_dir)
    };
    writeln!(
        out,
        "Machine: {} cores shared by the generator and the server under test; load average {} at the start, {} at the end; \
         open-file limit {}. {store}; one 4 KiB append + fdatasync in {} takes p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms.\n",
        m.cores,
        m.load_start,
        m.load_end,
        m.open_files,
        m.db_dir,
        p(&m.fsync, 0.5),
        p(&m.fsync, 0.99),
        ms(m.fsync.max())
    )?;
    writeln!(out, "Latency is from just before the REST call that causes an event to the moment each client has it (HdrHistogram over all deliveries).\n")?;
    writeln!(out, "| scenario | server | clients | delivered/expected | p50 | p99 | max | memory/connection | target | met |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---|---|")?;
    rows(report.ours, &mut out)?;
    if let Some(node) = report.node {
        rows(node, &mut out)?;
    }
    if let Some(node) = report.node {
        writeln!(out, "\n## Ours / Node ws (lower is better for us)\n")?;
        writeln!(out, "| scenario | p50 | p99 | max | memory/connection |")?;
        writeln!(out, "|---|---:|---:|---:|---:|")?;
        let (o, n) = (report.ours, node);
        writeln!(
            out,
            "| idle connections | – | – | – | {} |",
            ratio(
                o.memory.per_connection().unwrap_or(0.0),
                n.memory.per_connection().unwrap_or(0.0)
            )
        )?;
        let pairs = std::iter::once((&o.fanout, &n.fanout)).chain(o.paced.iter().zip(&n.paced));
        for (a, b) in pairs {
            writeln!(
                out,
                "| {} | {} | {} | {} | – |",
                a.label,
                ratio(p(&a.latency, 0.5), p(&b.latency, 0.5)),
                ratio(p(&a.latency, 0.99), p(&b.latency, 0.99)),
                ratio(ms(a.latency.max()), ms(b.latency.max()))
            )?;
        }
    }
    if m.nodes > 1 {
        nodes_section(report.ours, &mut out)?;
    }
    if let Some(floor) = report.floor {
        floor_section(floor, report.ours, &mut out)?;
    }
    writeln!(out, "\n## Details")?;
    details(report.ours, m.cores, &mut out)?;
    if let Some(node) = report.node {
        details(node, m.cores, &mut out)?;
    }
    Ok(out)
}

/// The raw-TCP floor beside our fan-out: how much of the latency any server would have.
fn floor_section(
    floor: &crate::floor::Floor,
    ours: &ServerRun,
    out: &mut String,
) -> std::fmt::Result {
    writeln!(out, "\n## Transport floor (raw TCP, no server logic)\n")?;
    writeln!(
        out,
        "A process writes one 120-byte message to each of {} loopback TCP connections (one blocking `write` each, \
         one writing thread per core); the generator reads them as it reads the servers' streams. {} rounds.\n",
        floor.clients, floor.rounds
    )?;
    writeln!(
        out,
        "| | delivered/expected | p50 | p99 | max | ours / floor (p99) |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|")?;
    let fanout = &ours.fanout;
    writeln!(
        out,
        "| raw TCP writes | {}/{} | {} | {} |",
        floor.delivered,
        floor.expected,
        latency_cells(&floor.latency),
        ratio(p(&fanout.latency, 0.99), p(&floor.latency, 0.99))
    )?;
    let last: Vec<String> = floor
        .last_delivery
        .iter()
        .map(|d| format!("{}", d.as_millis()))
        .collect();
    writeln!(out, "\nper round, last delivery ms: {}", last.join(" "))
}
