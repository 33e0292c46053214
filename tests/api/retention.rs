//! Retention (gallring): closed cases' records purged class by class after their periods,
//! never those of an open case, a held case or a recently closed one; a dry run counts exactly
//! what the purge then removes; the audit log cut at a checkpoint still verifies. And the
//! legal hold API: who may set and clear it, audited.

use reqwest::StatusCode;
use samverkan::admin::{self, verify_audit, AdminCommand};
use samverkan::config::RetentionSettings;
use samverkan::domain::Timestamp;
use samverkan::store::audit::ChainReport;
use samverkan::store::retention::PurgeReport;
use serde_json::json;
use sqlx::Row as _;

use crate::helpers::*;
use crate::on_both_stores;

const DAY: i64 = 86_400_000_000;

async fn exec(app: &TestApp, sql: &str) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    sqlx::query(sql).execute(tx.conn()).await?;
    tx.commit().await?;
    Ok(())
}

async fn count(app: &TestApp, sql: &str) -> anyhow::Result<i64> {
    let mut tx = app.store.begin().await?;
    let row = sqlx::query(sql).fetch_one(tx.conn()).await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// The case's records per class: messages, inquiries (and their answers, posts), meetings
/// (and participants), consents (and what they cover), notifications.
async fn records(app: &TestApp, case: &str) -> anyhow::Result<[i64; 5]> {
    Ok([
        count(app, &format!("SELECT COUNT(*) FROM case_messages WHERE case_id = '{case}'")).await?
            + count(app, &format!("SELECT COUNT(*) FROM message_reads WHERE message_id IN (SELECT id FROM case_messages WHERE case_id = '{case}')")).await?,
        count(app, &format!("SELECT COUNT(*) FROM inquiries WHERE case_id = '{case}'")).await?
            + count(app, &format!("SELECT COUNT(*) FROM inquiry_posts WHERE inquiry_id IN (SELECT id FROM inquiries WHERE case_id = '{case}')")).await?,
        count(app, &format!("SELECT COUNT(*) FROM meetings WHERE case_id = '{case}'")).await?
            + count(app, &format!("SELECT COUNT(*) FROM meeting_participants WHERE meeting_id IN (SELECT id FROM meetings WHERE case_id = '{case}')")).await?,
        count(app, &format!("SELECT COUNT(*) FROM consents WHERE case_id = '{case}'")).await?
            + count(app, &format!("SELECT COUNT(*) FROM consent_purposes WHERE consent_id IN (SELECT id FROM consents WHERE case_id = '{case}')")).await?,
        count(app, &format!("SELECT COUNT(*) FROM notifications WHERE case_id = '{case}'")).await?,
    ])
}

/// A case of social services with one record of each class: a consent for the clinic (ended,
/// so no longer in force), a message the clinic read, an inquiry with a follow-up post, a SIP
/// meeting with the clinic's coordinator, and the notifications they caused.
async fn case_with_records(app: &TestApp, w: &World, digits: &str) -> anyhow::Result<String> {
    let (_, case) = app
        .case_for(&w.social_worker, &pnr(digits), "Amina")
        .await?;
    let consent = app
        .consent(
            &w.social_worker,
            &case,
            &[&w.clinic],
            &["informationsutbyte", "rehabiliteringsforfragan", "sip"],
        )
        .await?;
    let message = app
        .post(
            &w.social_worker,
            &format!("/api/cases/{case}/messages"),
            json!({"body": "Hej"}),
        )
        .await?;
    assert_eq!(message.status, StatusCode::CREATED, "{}", message.body);
    let read = app
        .post_empty(
            &w.coordinator,
            &format!("/api/messages/{}/read", message.id()),
        )
        .await?;
    assert!(read.status.is_success(), "{} {}", read.status, read.body);
    let inquiry = app.sent_inquiry(&w.social_worker, &case, &w.clinic).await?;
    let post = app
        .post(
            &w.social_worker,
            &format!("/api/inquiries/{inquiry}/thread"),
            json!({"body": "En fråga till"}),
        )
        .await?;
    assert_eq!(post.status, StatusCode::CREATED, "{}", post.body);
    let start = chrono::Utc::now() + chrono::Duration::days(2);
    let meeting = app
        .post(&w.social_worker, "/api/meetings", json!({
            "case_id": case,
            "kind": "sip_mote",
            "starts_at": start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "ends_at": (start + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "place": "Rum 3",
            "participant_user_ids": [w.coordinator.id.to_string()],
        }))
        .await?;
    assert_eq!(meeting.status, StatusCode::CREATED, "{}", meeting.body);
    let ended = app.end_consent(&w.social_worker, &consent).await?;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.body);
    Ok(case)
}

async fn close(app: &TestApp, w: &World, case: &str) -> anyhow::Result<()> {
    let reply = app
        .patch(
            &w.social_worker,
            &format!("/api/cases/{case}"),
            json!({"status": "closed", "close_reason": "goal_reached"}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    Ok(())
}

/// Moves the case's closing `days` back.
async fn closed_days_ago(app: &TestApp, case: &str, days: i64) -> anyhow::Result<()> {
    let at = Timestamp::now().micros() - days * DAY;
    exec(
        app,
        &format!("UPDATE case_closures SET closed_at = {at} WHERE case_id = '{case}'"),
    )
    .await
}

fn periods(days: i64, inquiries_days: i64, audit_days: i64) -> RetentionSettings {
    RetentionSettings {
        purge_enabled: false,
        purge_interval_hours: 24,
        messages_days: days,
        inquiries_days,
        plans_days: days,
        meetings_days: days,
        consents_days: days,
        notifications_days: days,
        sent_email_days: days,
        audit_days,
    }
}

async fn purge(
    app: &TestApp,
    settings: &RetentionSettings,
    now: Timestamp,
    dry_run: bool,
) -> anyhow::Result<PurgeReport> {
    Ok(samverkan::retention::purge(&app.store, settings, now, dry_run).await?)
}

fn rows_of(report: &PurgeReport, class: &str) -> i64 {
    report
        .classes
        .iter()
        .find(|p| p.class == class)
        .map_or(-1, |p| p.rows)
}

on_both_stores! {
    async fn a_closed_case_past_its_periods_is_purged_class_by_class_and_no_other(app) {
        let w = app.world().await?;
        let expired = case_with_records(&app, &w, "19850312123").await?;
        let recent = case_with_records(&app, &w, "19860415234").await?;
        let open = case_with_records(&app, &w, "19870520345").await?;
        let held = case_with_records(&app, &w, "19880625456").await?;
        for case in [&expired, &recent, &held] {
            close(&app, &w, case).await?;
        }
        closed_days_ago(&app, &expired, 100).await?;
        closed_days_ago(&app, &held, 100).await?;
        let hold = app.put(&w.rehab_lead, &format!("/api/cases/{held}/legal-hold"), json!({"reason": "Överklagat beslut, dnr 2026-123"})).await?;
        assert_eq!(hold.status, StatusCode::OK, "{}", hold.body);
        // Two e-mails sent long ago, one just now, the rest unsent.
        let outbox = count(&app, "SELECT COUNT(*) FROM outbox").await?;
        assert!(outbox >= 3, "{outbox} e-mails");
        let long_ago = Timestamp::now().micros() - 100 * DAY;
        exec(&app, &format!("UPDATE outbox SET sent_at = {long_ago} WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT 2)")).await?;
        exec(&app, &format!("UPDATE outbox SET sent_at = {} WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT 1)", Timestamp::now().micros())).await?;
        let before = [
            records(&app, &expired).await?,
            records(&app, &recent).await?,
            records(&app, &open).await?,
            records(&app, &held).await?,
        ];
        for counts in &before {
            assert!(counts.iter().all(|n| *n > 0), "every class has records: {counts:?}");
        }
        let audit_rows = app.audit_rows().await?.len();

        // 30 days for all but inquiries (200): the expired case loses all but its inquiry.
        let settings = periods(30, 200, 4018);
        let now = Timestamp::now();
        let dry = purge(&app, &settings, now, true).await?;
        let e = before[0];
        assert_eq!(rows_of(&dry, "messages"), count(&app, &format!("SELECT COUNT(*) FROM case_messages WHERE case_id = '{expired}'")).await?);
        assert_eq!(rows_of(&dry, "inquiries"), 0);
        assert_eq!(rows_of(&dry, "meetings"), 1);
        assert_eq!(rows_of(&dry, "consents"), 1);
        assert_eq!(rows_of(&dry, "notifications"), e[4]);
        assert_eq!(rows_of(&dry, "sent_email"), 2);
        assert_eq!(rows_of(&dry, "audit"), 0);
        assert!(dry.checkpoint.is_none());
        // The dry run changed nothing.
        assert_eq!(records(&app, &expired).await?, e);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox").await?, outbox);

        let done = purge(&app, &settings, now, false).await?;
        assert_eq!(done, dry, "the purge removes what the dry run counted");
        assert_eq!(records(&app, &expired).await?, [0, e[1], 0, 0, 0]);
        assert_eq!(records(&app, &recent).await?, before[1]);
        assert_eq!(records(&app, &open).await?, before[2]);
        assert_eq!(records(&app, &held).await?, before[3]);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox").await?, outbox - 2);
        assert!(app.audit_rows().await?.len() >= audit_rows, "no audit row went");

        // Inquiries' own period runs out later: then they go too, answers and posts with them.
        let settings = periods(30, 60, 4018);
        let dry = purge(&app, &settings, now, true).await?;
        assert_eq!(rows_of(&dry, "inquiries"), 1);
        assert_eq!(rows_of(&dry, "messages"), 0);
        assert_eq!(purge(&app, &settings, now, false).await?, dry);
        assert_eq!(records(&app, &expired).await?, [0, 0, 0, 0, 0]);
        assert_eq!(records(&app, &recent).await?, before[1]);
        assert_eq!(records(&app, &open).await?, before[2]);
        assert_eq!(records(&app, &held).await?, before[3]);

        // Clearing the hold lets the held case go on the same terms.
        let cleared = app.delete(&w.rehab_lead, &format!("/api/cases/{held}/legal-hold")).await?;
        assert_eq!(cleared.status, StatusCode::NO_CONTENT, "{}", cleared.body);
        purge(&app, &settings, now, false).await?;
        assert_eq!(records(&app, &held).await?, [0, 0, 0, 0, 0]);
        assert_eq!(records(&app, &open).await?, before[2]);
        assert!(matches!(verify_audit(&app.store).await?, ChainReport::Intact { .. }));
        Ok(())
    }

    async fn purged_audit_rows_leave_a_checkpoint_the_chain_verifies_from(app) {
        let w = app.world().await?;
        let held = case_with_records(&app, &w, "19850312123").await?;
        close(&app, &w, &held).await?;
        let closed = case_with_records(&app, &w, "19860415234").await?;
        close(&app, &w, &closed).await?;
        let hold = app.put(&w.social_admin, &format!("/api/cases/{held}/legal-hold"), json!({"reason": "Tillsyn pågår"})).await?;
        assert_eq!(hold.status, StatusCode::OK, "{}", hold.body);
        let open = case_with_records(&app, &w, "19870520345").await?;
        let rows = app.audit_rows().await?;
        let first_of = |case: &str| rows.iter().find(|r| r.case_id.as_deref() == Some(case)).map(|r| r.seq).unwrap();

        // 60 days on, with 30 days for audit rows: the cut stops at the held case's first row.
        let later = Timestamp::from_micros(Timestamp::now().micros() + 60 * DAY);
        let settings = periods(30, 30, 30);
        let dry = purge(&app, &settings, later, true).await?;
        let cut = first_of(&held) - 1;
        assert_eq!(rows_of(&dry, "audit"), cut);
        let done = purge(&app, &settings, later, false).await?;
        assert_eq!(rows_of(&done, "audit"), cut);
        let checkpoint = done.checkpoint.clone().unwrap();
        assert_eq!(checkpoint.0, cut);
        assert_eq!(checkpoint.1, rows[(cut - 1) as usize].hash);
        let kept = (rows.len() as i64) - cut;
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Intact { rows: kept });

        // Cleared, the held and the closed case's rows go; the open case's first row stops it.
        let cleared = app.delete(&w.social_admin, &format!("/api/cases/{held}/legal-hold")).await?;
        assert_eq!(cleared.status, StatusCode::NO_CONTENT);
        let done = purge(&app, &settings, later, false).await?;
        let cut = first_of(&open) - 1;
        assert_eq!(done.checkpoint.clone().unwrap().0, cut);
        assert_eq!(count(&app, "SELECT MIN(seq) FROM audit_log").await?, cut + 1);
        let report = verify_audit(&app.store).await?;
        assert!(matches!(report, ChainReport::Intact { .. }), "{report:?}");

        // A head anchored before the purge: the current head and the checkpoint row are still
        // proven; a head older than the checkpoint is named as purged, not as missing.
        let head = rows.last().map(|r| (r.seq, r.hash.clone())).unwrap();
        let at_cut = (cut, rows[(cut - 1) as usize].hash.clone());
        let older = (cut - 1, rows[(cut - 2) as usize].hash.clone());
        let verify = |expect_head| admin::run(&app.settings, AdminCommand::VerifyAudit { expect_head });
        verify(Some(head)).await?;
        verify(Some(at_cut.clone())).await?;
        let wrong = verify(Some((cut, "ab".repeat(32)))).await.err().map(|e| e.to_string());
        assert!(wrong.as_deref().is_some_and(|e| e.contains("rewritten")), "{wrong:?}");
        let err = verify(Some(older)).await.err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains(&format!("row {} was purged by retention", cut - 1))),
            "{err:?}"
        );

        // A forged checkpoint is caught at the first kept row, a row changed after the cut
        // at that row.
        let hash = done.checkpoint.unwrap().1;
        exec(&app, "UPDATE audit_checkpoint SET hash = '00' WHERE id = 1").await?;
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Changed { seq: cut + 1 });
        exec(&app, &format!("UPDATE audit_checkpoint SET hash = '{hash}' WHERE id = 1")).await?;
        assert!(matches!(verify_audit(&app.store).await?, ChainReport::Intact { .. }));
        exec(&app, &format!("UPDATE audit_log SET action = 'case.innocent' WHERE seq = {}", cut + 2)).await?;
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Changed { seq: cut + 2 });
        Ok(())
    }

    async fn only_the_owners_leads_and_admins_set_or_clear_a_legal_hold_and_each_is_audited(app) {
        let w = app.world().await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        app.consent(&w.social_worker, &case, &[&w.clinic], &["informationsutbyte"]).await?;
        let path = format!("/api/cases/{case}/legal-hold");
        let body = json!({"reason": "Överklagat beslut"});

        let set = app.put(&w.rehab_lead, &path, body.clone()).await?;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
        assert_eq!(set.body["case_id"], case);
        assert_eq!(set.body["reason"], "Överklagat beslut");
        assert_eq!(set.body["set_by_user_id"], w.rehab_lead.id.to_string());
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM case_legal_holds WHERE case_id = '{case}'")).await?, 1);

        // A caseworker of the owner, and the clinic that sees the case by consent: 403.
        for user in [&w.social_worker, &w.coordinator] {
            let refused = app.put(user, &path, body.clone()).await?;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
            assert_eq!(refused.body["code"], "legal_hold_not_allowed");
            assert_eq!(app.delete(user, &path).await?.status, StatusCode::FORBIDDEN);
        }
        // Those who do not see it: 404.
        for user in [&w.other_coordinator, &w.clinic_admin] {
            assert_eq!(app.put(user, &path, body.clone()).await?.status, StatusCode::NOT_FOUND);
            assert_eq!(app.delete(user, &path).await?.status, StatusCode::NOT_FOUND);
        }
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM case_legal_holds WHERE case_id = '{case}'")).await?, 1);
        let blank = app.put(&w.rehab_lead, &path, json!({"reason": ""})).await?;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", blank.body);

        let cleared = app.delete(&w.social_admin, &path).await?;
        assert_eq!(cleared.status, StatusCode::NO_CONTENT);
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM case_legal_holds WHERE case_id = '{case}'")).await?, 0);

        let audit = app.audit_rows().await?;
        let of = |action: &str, outcome: &str| audit.iter().filter(|r| r.action == action && r.outcome == outcome && r.case_id.as_deref() == Some(case.as_str())).count();
        assert_eq!(of("case.legal_hold.set", "allowed"), 1);
        assert_eq!(of("case.legal_hold.set", "denied"), 4);
        assert_eq!(of("case.legal_hold.clear", "allowed"), 1);
        assert_eq!(of("case.legal_hold.clear", "denied"), 4);

        // The document states both operations.
        let doc = app.openapi().await?;
        let ops = &doc["paths"]["/api/cases/{id}/legal-hold"];
        assert!(ops["put"]["responses"]["403"].is_object(), "{ops}");
        assert!(ops["delete"]["responses"]["204"].is_object(), "{ops}");
        Ok(())
    }
}
