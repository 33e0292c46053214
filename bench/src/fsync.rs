//! What one durable commit costs on the disk under the SQLite file: the server runs SQLite
//! in WAL mode with `synchronous = FULL`, so every commit waits for an fsync of the WAL.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use hdrhistogram::Histogram;

use crate::tracker;

/// Times `count` appends of a 4 KiB page, each followed by `fdatasync`.
pub fn probe(dir: &Path, count: usize) -> anyhow::Result<Histogram<u64>> {
    let path = dir.join("fsync-probe");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)?;
    let page = [0x5au8; 4096];
    let mut histogram = tracker::histogram()?;
    for _ in 0..count {
        let t0 = Instant::now();
        file.write_all(&page)?;
        file.sync_data()?;
        tracker::record(&mut histogram, t0.elapsed());
    }
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(histogram)
}
