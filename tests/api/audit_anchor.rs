//! The audit chain's head anchored outside the store: published at start on `/metrics`
//! (and in the log, see `logs.rs`), and `verify-audit --expect-head ROW:HASH` catching a
//! chain rewritten from some row on with every hash recomputed, which the plain check
//! passes.

use samverkan::admin::{self, verify_audit, AdminCommand};
use samverkan::store::audit::{AuditRow, ChainReport, GENESIS_HASH};

use crate::helpers::*;
use crate::metrics::{sample, scrape};
use crate::on_both_stores;

async fn exec(app: &TestApp, sql: &str) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    sqlx::query(sql).execute(tx.conn()).await?;
    tx.commit().await?;
    Ok(())
}

/// Traffic that writes audit rows.
async fn traffic(app: &TestApp, world: &World, eleven: &str) -> anyhow::Result<()> {
    let (_, case) = app
        .case_for(&world.social_worker, &pnr(eleven), "Amina")
        .await?;
    app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"])
        .await?;
    app.get(&world.coordinator, &format!("/api/cases/{case}"))
        .await?;
    Ok(())
}

/// `samverkan admin verify-audit [--expect-head ROW:HASH]` against the app's store.
async fn verify_cli(app: &TestApp, expect_head: Option<(i64, String)>) -> anyhow::Result<()> {
    admin::run(&app.settings, AdminCommand::VerifyAudit { expect_head }).await
}

/// Rewrites the chain from row `from` on as a forger with database access would: row
/// `from` gets another action, and every hash from there, and the head, are recomputed.
async fn rewrite_from(app: &TestApp, from: i64) -> anyhow::Result<()> {
    let rows = app.audit_rows().await?;
    let mut prev_hash = rows
        .iter()
        .find(|r| r.seq == from - 1)
        .map_or(GENESIS_HASH.to_owned(), |r| r.hash.clone());
    for row in rows.iter().filter(|r| r.seq >= from) {
        let mut forged: AuditRow = row.clone();
        if forged.seq == from {
            forged.action = "case.innocent".into();
        }
        forged.prev_hash = prev_hash;
        forged.hash = forged.compute_hash();
        exec(
            app,
            &format!(
                "UPDATE audit_log SET action = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                forged.action, forged.prev_hash, forged.hash, forged.seq
            ),
        )
        .await?;
        prev_hash = forged.hash;
    }
    exec(
        app,
        &format!("UPDATE audit_head SET last_hash = '{prev_hash}' WHERE id = 1"),
    )
    .await
}

on_both_stores! {
    async fn the_head_is_anchored_on_metrics_at_start(app) {
        let world = app.world().await?;
        traffic(&app, &world, "19850312123").await?;
        let app = app.restart().await?;
        let rows = app.audit_rows().await?;
        let head = rows.last().ok_or_else(|| anyhow::anyhow!("no audit rows"))?;
        let hash = head.hash.as_str();
        let seq = head.seq as f64;
        // The anchor task runs at start; it may not have run by the first scrape.
        let text = crate::metrics::scrape_until(&app, "the anchored head", |t| {
            sample(t, "samverkan_audit_head_row", &[]) == Some(seq)
        })
        .await?;
        assert_eq!(sample(&text, "samverkan_audit_head", &[("hash", hash)]), Some(seq), "{text}");
        Ok(())
    }

    async fn expect_head_passes_while_the_chain_grows_and_catches_a_rewrite_from_some_row_on(app) {
        let world = app.world().await?;
        traffic(&app, &world, "19850312123").await?;
        let (row, hash) = samverkan::metrics::anchor::record(&app.store, &app.state.metrics).await?;
        assert!(row >= 4, "{row}");
        let text = scrape(&app).await?;
        assert_eq!(sample(&text, "samverkan_audit_head", &[("hash", &hash)]), Some(row as f64), "{text}");
        // The chain grows past the anchor: still fine.
        traffic(&app, &world, "19900101123").await?;
        verify_cli(&app, Some((row, hash.clone()))).await?;
        // A wrong hash for the row is named.
        let wrong = "ab".repeat(32);
        let err = verify_cli(&app, Some((row, wrong.clone()))).await.err().map(|e| e.to_string());
        assert!(err.as_deref().is_some_and(|e| e.contains(&format!("row {row} has hash {hash}, not the expected {wrong}"))), "{err:?}");

        rewrite_from(&app, row - 2).await?;
        let rows = app.audit_rows().await?.len() as i64;
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Intact { rows }, "the plain check cannot see it");
        let err = verify_cli(&app, Some((row, hash.clone()))).await.err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains(&format!("audit log row {row} has hash")) && e.contains("rewritten")),
            "{err:?}"
        );
        Ok(())
    }

    async fn expect_head_catches_a_chain_cut_back_before_the_anchor(app) {
        let world = app.world().await?;
        traffic(&app, &world, "19850312123").await?;
        let (row, hash) = samverkan::metrics::anchor::record(&app.store, &app.state.metrics).await?;
        // Cut back to row - 3, the head moved with it: a consistent, shorter chain.
        let keep = row - 3;
        let kept_hash = app.audit_rows().await?.iter().find(|r| r.seq == keep).map(|r| r.hash.clone()).unwrap_or_default();
        exec(&app, &format!("DELETE FROM audit_log WHERE seq > {keep}")).await?;
        exec(&app, &format!("UPDATE audit_head SET last_seq = {keep}, last_hash = '{kept_hash}' WHERE id = 1")).await?;
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Intact { rows: keep });
        let err = verify_cli(&app, Some((row, hash))).await.err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains(&format!("ends at row {keep}, before the expected head row {row}"))),
            "{err:?}"
        );
        Ok(())
    }
}
