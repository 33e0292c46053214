//! Storage conformance: what the port promises, checked on both stores.

use std::collections::BTreeSet;

use samverkan::domain::event::Detail;
use samverkan::domain::{
    AuditAction, ConsentStatus, EventKind, OrganisationId, OrganisationKind, Timestamp,
};
use samverkan::store::audit::{AuditEntry, ChainReport, Outcome};
use samverkan::store::organisations::{self, Organisation};
use samverkan::store::{Backend as StoreBackend, StoreError};

use crate::helpers::*;
use crate::on_both_stores;

fn entry(action: AuditAction) -> AuditEntry {
    AuditEntry {
        at: Timestamp::now(),
        user_id: None,
        organisation_id: None,
        roles: "test".into(),
        action,
        outcome: Outcome::Allowed,
        individual_id: None,
        case_id: None,
        purpose: None,
        consent_id: None,
        request_id: None,
    }
}

on_both_stores! {
    async fn events_keep_their_audience_through_the_log(app) {
        use samverkan::domain::{CaseId, Purpose, UserId};
        use samverkan::events::{Audience, NewEvent};
        let audiences = [
            Audience::Case,
            Audience::Organisations(vec![OrganisationId::new(), OrganisationId::new()]),
            Audience::Revoked(vec![OrganisationId::new()]),
            Audience::Users(vec![UserId::new(), UserId::new()]),
        ];
        let mut tx = app.store.begin().await?;
        let before = samverkan::store::events::head(&mut tx).await?;
        drop(tx);
        let mut tx = app.store.begin().await?;
        for audience in &audiences {
            tx.event(NewEvent { kind: EventKind::CaseUpdated, case_id: Some(CaseId::new()), individual_id: None, subject_id: Some("x".into()), purpose: Some(Purpose::Sip), audience: audience.clone(), detail: Detail::None });
        }
        let committed = tx.commit().await?;
        let mut tx = app.store.begin().await?;
        let read = samverkan::store::events::since(&mut tx, before, 100).await?;
        assert_eq!(read, committed);
        assert_eq!(read.iter().map(|e| e.audience.clone()).collect::<Vec<_>>(), audiences);
        assert_eq!(read.iter().map(|e| e.seq).collect::<Vec<_>>(), (before + 1..=before + 4).collect::<Vec<_>>());
        Ok(())
    }

    async fn a_unique_violation_is_a_conflict_naming_the_constraint(app) {
        let org = Organisation { id: OrganisationId::new(), name: "Dubblett".into(), kind: OrganisationKind::Jobbtorg, functional_email: None };
        let mut tx = app.store.begin().await?;
        organisations::insert(&mut tx, &org).await?;
        let again = Organisation { id: OrganisationId::new(), ..org };
        match organisations::insert(&mut tx, &again).await {
            Err(StoreError::Conflict(constraint)) => {
                if app.store.backend() == StoreBackend::Postgres {
                    assert_eq!(constraint, "organisations_name_key");
                }
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        Ok(())
    }

    async fn a_missing_row_is_not_found(app) {
        let mut tx = app.store.begin().await?;
        assert!(matches!(organisations::get(&mut tx, OrganisationId::new()).await, Err(StoreError::NotFound)));
        Ok(())
    }

    async fn concurrent_transactions_append_one_unbroken_audit_chain(app) {
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let store = app.store.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..10 {
                    let mut tx = store.begin().await?;
                    tx.audit(entry(AuditAction::CaseRead));
                    tx.audit(entry(AuditAction::CaseRead));
                    tx.commit().await?;
                }
                anyhow::Ok(())
            }));
        }
        for task in tasks {
            task.await??;
        }
        assert_eq!(samverkan::admin::verify_audit(&app.store).await?, ChainReport::Intact { rows: 320 });
        if let Some((commits, syncs)) = app.store.group_commits() {
            // SQLite: every acknowledged commit was made durable, some of them together.
            assert!(commits >= 160, "{commits} commits counted");
            assert!((1..=commits).contains(&syncs), "{syncs} syncs for {commits} commits");
        }
        Ok(())
    }

    async fn audited_reads_and_writes_together_append_one_unbroken_audit_chain(app) {
        let mut tasks = Vec::new();
        for n in 0..16 {
            let store = app.store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10 {
                    if (n + i) % 3 == 0 {
                        let mut tx = store.begin().await?;
                        tx.audit(entry(AuditAction::CaseUpdate));
                        tx.commit().await?;
                    } else {
                        let mut read = store.audited_read().await?;
                        read.audit(entry(AuditAction::CaseRead));
                        read.audit(entry(AuditAction::CaseRead));
                        read.commit().await?;
                    }
                }
                anyhow::Ok(())
            }));
        }
        for task in tasks {
            task.await??;
        }
        let (reads, writes) = (0..16).flat_map(|n| (0..10).map(move |i| (n + i) % 3 == 0)).fold((0, 0), |(r, w), write| if write { (r, w + 1) } else { (r + 1, w) });
        let rows = samverkan::admin::verify_audit(&app.store).await?;
        assert_eq!(rows, ChainReport::Intact { rows: reads * 2 + writes });
        let stored = app.audit_rows().await?;
        assert_eq!(stored.iter().filter(|r| r.action == "case.read").count() as i64, reads * 2);
        assert_eq!(stored.iter().filter(|r| r.action == "case.update").count() as i64, writes);
        Ok(())
    }

    // Many writers at once (on SQLite group-committed, each numbering after the heads the
    // one before left; on PostgreSQL each locking the heads it needs in one statement), some
    // with events and audit rows, some with events alone, some dropped before their commit,
    // beside audited reads (the journal takes the audit head alone): the committed events are
    // numbered without gap or repeat, and the audit chain is one, with a row per committed
    // write that audits and per read. An audit head read without its lock forks the chain
    // here (the journal's batches race the writes).
    async fn concurrent_writes_some_dropped_keep_one_sequence_and_one_chain(app) {
        use samverkan::events::{Audience, NewEvent};
        let mut tx = app.store.begin().await?;
        let before = samverkan::store::events::head(&mut tx).await?;
        drop(tx);
        let kind = |n: usize, i: usize| match (n + i) % 7 {
            0 => "dropped",
            1 | 4 => "event alone",
            2 | 5 => "read",
            _ => "event and audit",
        };
        let mut tasks = Vec::new();
        for n in 0..24 {
            let store = app.store.clone();
            tasks.push(tokio::spawn(async move {
                let mut seqs = Vec::new();
                for i in 0..10 {
                    if kind(n, i) == "read" {
                        let mut read = store.audited_read().await?;
                        read.audit(entry(AuditAction::CaseRead));
                        read.commit().await?;
                        continue;
                    }
                    let mut tx = store.begin().await?;
                    if kind(n, i) != "event alone" {
                        tx.audit(entry(AuditAction::CaseUpdate));
                    }
                    tx.event(NewEvent { kind: EventKind::CaseUpdated, case_id: None, individual_id: None, subject_id: Some(format!("{n}-{i}")), purpose: None, audience: Audience::Revoked(vec![]), detail: Detail::None });
                    if kind(n, i) == "dropped" {
                        drop(tx);
                        continue;
                    }
                    seqs.extend(tx.commit().await?.iter().map(|e| e.seq));
                }
                anyhow::Ok(seqs)
            }));
        }
        let mut seqs = Vec::new();
        for task in tasks {
            seqs.extend(task.await??);
        }
        seqs.sort();
        let count = |wanted: &[&str]| (0..24).flat_map(|n| (0..10).map(move |i| (n, i))).filter(|(n, i)| wanted.contains(&kind(*n, *i))).count() as i64;
        let committed = count(&["event alone", "event and audit"]);
        assert_eq!(seqs, (before + 1..=before + committed).collect::<Vec<_>>());
        let mut tx = app.store.begin().await?;
        assert_eq!(samverkan::store::events::head(&mut tx).await?, before + committed);
        drop(tx);
        let audited = count(&["event and audit", "read"]);
        assert_eq!(samverkan::admin::verify_audit(&app.store).await?, ChainReport::Intact { rows: audited });
        let stored = app.audit_rows().await?;
        assert_eq!(stored.iter().filter(|r| r.action == "case.read").count() as i64, count(&["read"]));
        Ok(())
    }

    async fn audit_rows_handed_in_together_share_one_commit_and_an_uncommitted_read_leaves_none(app) {
        {
            let mut read = app.store.audited_read().await?;
            read.audit(entry(AuditAction::CaseRead));
        }
        assert!(app.audit_rows().await?.is_empty(), "an audited read dropped without commit");
        let before = app.store.group_commits();
        let appends = (0..50).map(|_| app.store.append_audit(vec![entry(AuditAction::CaseRead)]));
        for result in futures_util::future::join_all(appends).await {
            result?;
        }
        assert_eq!(samverkan::admin::verify_audit(&app.store).await?, ChainReport::Intact { rows: 50 });
        if let (Some((commits_before, _)), Some((commits, syncs))) = (before, app.store.group_commits()) {
            // SQLite: the journal took the rows waiting together into a few transactions,
            // each synced before any of its readers was told.
            assert!(commits - commits_before <= 10, "{} journal commits for 50 appends", commits - commits_before);
            assert!(syncs <= commits);
        }
        Ok(())
    }

    async fn a_transaction_with_thousands_of_rows_keeps_one_chain_and_one_sequence(app) {
        use samverkan::events::{Audience, NewEvent};
        let mut tx = app.store.begin().await?;
        let before = samverkan::store::events::head(&mut tx).await?;
        drop(tx);
        let mut tx = app.store.begin().await?;
        for _ in 0..1_201 {
            tx.audit(entry(AuditAction::CaseRead));
            tx.event(NewEvent { kind: EventKind::CaseUpdated, case_id: None, individual_id: None, subject_id: None, purpose: None, audience: Audience::Revoked(vec![]), detail: Detail::None });
        }
        let events = tx.commit().await?;
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (before + 1..=before + 1_201).collect::<Vec<_>>());
        let mut tx = app.store.begin().await?;
        assert_eq!(samverkan::store::events::head(&mut tx).await?, before + 1_201);
        drop(tx);
        assert_eq!(samverkan::admin::verify_audit(&app.store).await?, ChainReport::Intact { rows: 1_201 });
        Ok(())
    }

    async fn an_uncommitted_transaction_leaves_no_audit_row(app) {
        {
            let mut tx = app.store.begin().await?;
            tx.audit(entry(AuditAction::CaseRead));
        }
        assert!(app.audit_rows().await?.is_empty());
        Ok(())
    }

    // A transaction keeps the case facts it read only until its next statement: whatever
    // runs on it may change them, and the policy must then decide on what is stored.
    async fn case_facts_are_read_again_after_any_statement_of_the_transaction(app) {
        use samverkan::domain::CaseId;
        use samverkan::store::{cases, Sql};
        let world = app.world().await?;
        let (individual, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        app.consent(&world.social_worker, &case, &[&world.clinic], &["informationsutbyte"]).await?;
        let case: CaseId = case.parse()?;
        let mut tx = app.store.begin().await?;
        let first = cases::facts(&mut tx, case).await?.expect("the case");
        assert_eq!((first.protected_identity, first.consents.len()), (false, 1));
        // Asked again with nothing run in between: the same facts.
        let again = cases::facts(&mut tx, case).await?.expect("the case");
        assert_eq!((again.protected_identity, again.consents.len()), (false, 1));
        let mut hide = Sql::new("UPDATE individual_registrations SET protected_identity = 1 WHERE individual_id = ");
        hide.bind(individual.as_str());
        assert_eq!(hide.execute(&mut tx).await?, 1);
        let after = cases::facts(&mut tx, case).await?.expect("the case");
        assert!(after.protected_identity, "the facts kept from before the UPDATE were used");
        let mut end = Sql::new("DELETE FROM consent_organisations WHERE organisation_id = ");
        end.bind(world.clinic.id.to_string());
        end.execute(&mut tx).await?;
        let last = cases::facts(&mut tx, case).await?.expect("the case");
        let names_clinic = |f: &samverkan::access::policy::CaseFacts| f.consents.iter().any(|c| c.organisations.contains(&world.clinic.id));
        assert!(names_clinic(&first) && names_clinic(&after));
        assert!(!names_clinic(&last), "the facts kept from before the DELETE were used");
        Ok(())
    }

    // What a transaction writes with its commit (`Tx::write_with_commit`) is stored when it
    // commits, and not at all when it is dropped.
    async fn writes_with_the_commit_are_stored_only_with_it(app) {
        use samverkan::domain::NotificationKind;
        use samverkan::store::notifications::{self, EmailState, Notification};
        let world = app.world().await?;
        let note = |user| Notification { id: uuid::Uuid::new_v4(), user_id: user, kind: NotificationKind::MessageReceived, case_id: None, subject_id: None, created_at: Timestamp::now(), read_at: None };
        let before = app.row_count("notifications").await?;
        let dropped = note(world.coordinator.id);
        let mut tx = app.store.begin().await?;
        notifications::insert_many(&mut tx, &[(dropped.clone(), EmailState::None)]).await?;
        drop(tx);
        assert_eq!(app.row_count("notifications").await?, before);
        let kept = [note(world.coordinator.id), note(world.social_worker.id)];
        let rows: Vec<_> = kept.iter().map(|n| (n.clone(), EmailState::Immediate)).collect();
        let mut tx = app.store.begin().await?;
        notifications::insert_many(&mut tx, &rows).await?;
        tx.commit().await?;
        assert_eq!(app.row_count("notifications").await?, before + 2);
        let mut tx = app.store.begin().await?;
        let stored = notifications::list(&mut tx, world.coordinator.id, false, 10, 0).await?;
        assert_eq!(stored, vec![kept[0].clone()]);
        Ok(())
    }

    async fn only_one_of_two_concurrent_consent_endings_wins(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let consent = app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        let (a, b) = tokio::join!(app.end_consent(&world.social_worker, &consent), app.end_consent(&world.colleague, &consent));
        let statuses: BTreeSet<u16> = [a?.status.as_u16(), b?.status.as_u16()].into();
        assert_eq!(statuses, BTreeSet::from([200, 409]));
        let mut tx = app.store.begin().await?;
        let row = sqlx::query("SELECT status FROM consents").fetch_one(tx.conn()).await?;
        assert_eq!(sqlx::Row::try_get::<String, _>(&row, "status")?, ConsentStatus::Ended.code());
        Ok(())
    }
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_group_synced_commits_and_foreign_keys() -> anyhow::Result<()>
{
    let app = spawn_app(Backend::Sqlite).await?.unwrap();
    let mut tx = app.store.begin().await?;
    let journal: String = sqlx::Row::try_get(
        &sqlx::query("PRAGMA journal_mode")
            .fetch_one(tx.conn())
            .await?,
        0,
    )?;
    let sync: i64 = sqlx::Row::try_get(
        &sqlx::query("PRAGMA synchronous")
            .fetch_one(tx.conn())
            .await?,
        0,
    )?;
    let fk: i64 = sqlx::Row::try_get(
        &sqlx::query("PRAGMA foreign_keys")
            .fetch_one(tx.conn())
            .await?,
        0,
    )?;
    let autocheckpoint: i64 = sqlx::Row::try_get(
        &sqlx::query("PRAGMA wal_autocheckpoint")
            .fetch_one(tx.conn())
            .await?,
        0,
    )?;
    // NORMAL: COMMIT writes the WAL without waiting for the disk; the store syncs the WAL
    // before acknowledging (store::durable). Checkpoints run in the background.
    assert_eq!(
        (journal.as_str(), sync, fk, autocheckpoint),
        ("wal", 1, 1, 0)
    );
    let orphan =
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ('no-such-user', 'jobbcoach')")
            .execute(tx.conn())
            .await;
    assert!(orphan.is_err(), "foreign keys are enforced");
    drop(tx);
    // A commit made alone is synced before it is acknowledged: one more commit, one more sync.
    let (commits, syncs) = app.store.group_commits().expect("SQLite commits in groups");
    let mut tx = app.store.begin().await?;
    tx.audit(entry(AuditAction::CaseRead));
    tx.commit().await?;
    assert_eq!(app.store.group_commits(), Some((commits + 1, syncs + 1)));
    Ok(())
}

#[tokio::test]
async fn sqlite_checkpoints_the_wal_beside_the_writer_so_it_stops_growing() -> anyhow::Result<()> {
    let app = spawn_app(Backend::Sqlite).await?.unwrap();
    let db = app
        .settings
        .database
        .url
        .trim_start_matches("sqlite://")
        .to_owned();
    let wal_size = || std::fs::metadata(format!("{db}-wal")).map(|m| m.len());
    let write = |n: usize| {
        let store = app.store.clone();
        async move {
            for _ in 0..n {
                let mut tx = store.begin().await?;
                tx.audit(entry(AuditAction::CaseRead));
                tx.commit().await?;
            }
            anyhow::Ok(())
        }
    };
    write(100).await?;
    let first = wal_size()?;
    // The background checkpointer (every 500 ms) copies the WAL into the database file; the
    // next write then starts the WAL over instead of appending (commits never checkpoint
    // themselves). On a loaded machine a round may come late, so one write at a time until
    // the WAL has started over, within a bound: without a checkpointer it never does.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut rows = 100;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        write(1).await?;
        rows += 1;
        let now = wal_size()?;
        if now <= first {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the WAL grew from {first} to {now} bytes in 15 s: nothing checkpointed it"
        );
    }
    // As many commits from the WAL's start as before: it must not outgrow its first size
    // (without a checkpointer it would be about twice that). A page or two of slack: the same
    // commits later in the table can split one more B-tree page (seen once under load: one
    // 4 KiB frame more).
    write(99).await?;
    let second = wal_size()?;
    assert!(
        second <= first + first / 20,
        "the WAL grew from {first} to {second} bytes after it started over"
    );
    assert_eq!(
        samverkan::admin::verify_audit(&app.store).await?,
        ChainReport::Intact { rows: rows + 99 }
    );
    Ok(())
}

/// Who has taken part in a case is asked per user of the organisations concerned ("has this
/// user written in the case?"). Each such question must be one index probe: walking the
/// case's messages or an inquiry's posts instead made every message written slow the next
/// one down (the message write's profile had most of SQLite's time in it).
#[tokio::test]
async fn taken_part_asks_the_author_indexes_not_every_message() -> anyhow::Result<()> {
    use samverkan::domain::CaseId;
    use sqlx::Row as _;
    let app = spawn_app(Backend::Sqlite).await?.unwrap();
    let orgs = [OrganisationId::new(), OrganisationId::new()];
    let plan =
        samverkan::store::notifications::involved_or_case_workers_query(CaseId::new(), &orgs)
            .prefixed("EXPLAIN QUERY PLAN ");
    let mut tx = app.store.read().await?;
    let steps: Vec<String> = plan
        .fetch_all(&mut tx)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>("detail"))
        .collect::<Result<_, _>>()?;
    let on = |alias: &str| -> Vec<&String> {
        steps
            .iter()
            .filter(|s| {
                s.starts_with(&format!("SEARCH {alias} "))
                    || s.starts_with(&format!("SCAN {alias}"))
            })
            .collect()
    };
    let messages = on("m");
    let posts = on("p");
    assert!(
        !messages.is_empty() && !posts.is_empty(),
        "the plan names both tables: {steps:#?}"
    );
    for step in messages {
        assert!(
            step.contains(
                "COVERING INDEX case_messages_author_idx (case_id=? AND author_user_id=?)"
            ),
            "{step}"
        );
    }
    for step in posts {
        assert!(
            step.contains(
                "COVERING INDEX inquiry_posts_author_idx (inquiry_id=? AND author_user_id=?)"
            ),
            "{step}"
        );
    }
    Ok(())
}
