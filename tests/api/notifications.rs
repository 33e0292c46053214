//! Notifications: who is told of what, read/unread, preferences, the digest and reminders
//! (exactly once across rounds, restarts and hub processes). E-mails are checked here as
//! outbox rows; `mail.rs` sends them through a real SMTP server.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::inquiries::{answer_body, inquiry_in, ok, setup};
use crate::on_both_stores;

fn ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|n| n["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// (kind, subject, audience, audience_users) of every `notification.created` event.
async fn notification_events(app: &TestApp) -> anyhow::Result<Vec<(String, String, String)>> {
    use sqlx::Row as _;
    let mut tx = app.store.begin().await?;
    let rows = sqlx::query(
        "SELECT subject_id, audience, audience_users, COALESCE(case_id, '') AS case_id FROM events WHERE kind = 'notification.created' ORDER BY seq",
    )
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|r| {
            let case: String = r.try_get("case_id")?;
            assert_eq!(case, "", "the live event names no case");
            Ok((
                r.try_get("subject_id")?,
                r.try_get("audience")?,
                r.try_get("audience_users")?,
            ))
        })
        .collect()
}

/// Every outbox row's plain text, oldest first.
async fn outbox_texts(app: &TestApp) -> anyhow::Result<Vec<(String, String, String)>> {
    use sqlx::Row as _;
    let mut tx = app.store.begin().await?;
    let rows = sqlx::query("SELECT recipient, kind, body_text FROM outbox ORDER BY created_at, id")
        .fetch_all(tx.conn())
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("recipient")?,
                r.try_get("kind")?,
                r.try_get("body_text")?,
            ))
        })
        .collect()
}

on_both_stores! {
    async fn an_inquiry_notifies_each_party_of_the_step_they_should_act_on(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
        assert_eq!(app.notification_kinds(&w.coordinator).await?, ["inquiry_received"]);
        assert!(app.notification_kinds(&w.other_coordinator).await?.is_empty(), "another clinic hears nothing");
        assert!(app.notification_kinds(&w.clinic_admin).await?.is_empty(), "admins do not answer inquiries");
        ok(app.get(&w.coordinator, &format!("/api/inquiries/{id}")).await?);
        ok(app.post(&w.coordinator, &format!("/api/inquiries/{id}/assign"), json!({"assignee_user_id": w.coordinator.id})).await?);
        ok(app.post(&w.coordinator, &format!("/api/inquiries/{id}/answer"), answer_body()).await?);
        assert_eq!(app.notification_kinds(&w.coordinator).await?, ["inquiry_received", "inquiry_assigned"]);
        // The sender is also the case's responsible user: told once.
        assert_eq!(app.notification_kinds(&w.social_worker).await?, ["inquiry_answered"]);
        assert!(app.notification_kinds(&w.colleague).await?.is_empty());

        let list = app.notifications(&w.social_worker).await?;
        let n = &list[0];
        let mut keys: Vec<&str> = n.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["case_id", "created_at", "id", "kind", "read_at", "subject_id"], "kind and ids only");
        assert_eq!(n["subject_id"], id);
        assert_eq!(n["case_id"], s.case);
        assert_eq!(n["read_at"], Value::Null);

        // Each notification went out live to its user alone, and (immediate by default) by e-mail.
        let events = notification_events(&app).await?;
        assert_eq!(events.len(), 3);
        assert!(events.contains(&(n["id"].as_str().unwrap().to_owned(), "users".into(), w.social_worker.id.to_string())));
        let outbox = app.outbox().await?;
        let rows: Vec<(&str, &str)> = outbox.iter().map(|(to, kind, _)| (to.as_str(), kind.as_str())).collect();
        assert_eq!(rows, [("rk@example.se", "inquiry_received"), ("rk@example.se", "inquiry_assigned"), ("sw@example.se", "inquiry_answered")]);
        Ok(())
    }

    async fn a_declined_inquiry_tells_the_sender_and_the_responsible_user(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        // The colleague writes it in the social worker's case.
        let id = app.sent_inquiry(&w.colleague, &s.case, &w.clinic).await?;
        ok(app.post(&w.coordinator, &format!("/api/inquiries/{id}/decline"), json!({"reason": "person_not_listed_here"})).await?);
        assert_eq!(app.notification_kinds(&w.colleague).await?, ["inquiry_declined"]);
        assert_eq!(app.notification_kinds(&w.social_worker).await?, ["inquiry_declined"]);
        Ok(())
    }

    async fn the_clinics_shared_inbox_gets_an_email_for_a_new_inquiry(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        sqlx::query(&format!("UPDATE organisations SET functional_email = 'rehab@vc-alfa.example.se' WHERE id = '{}'", w.clinic.id))
            .execute(app.store.pool()).await?;
        let id = app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
        let texts = outbox_texts(&app).await?;
        let shared: Vec<_> = texts.iter().filter(|(to, _, _)| to == "rehab@vc-alfa.example.se").collect();
        assert_eq!(shared.len(), 1);
        assert_eq!(shared[0].1, "inquiry_received");
        assert!(shared[0].2.contains(&format!("/forfragningar/{id}")), "{}", shared[0].2);
        Ok(())
    }

    async fn a_message_notifies_the_other_organisations_users_who_may_read_it(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let coach = app.user(&w.jobbtorg, "coach", &[samverkan::domain::Role::Jobbcoach]).await?;
        app.consent(&w.social_worker, &s.case, &[&w.jobbtorg], &["informationsutbyte"]).await?;
        let path = format!("/api/cases/{}/messages", s.case);
        let first = ok(app.post(&w.social_worker, &path, json!({"body": "Hej från socialtjänsten"})).await?);
        assert_eq!(app.notification_kinds(&coach).await?, ["message_received"]);
        assert!(app.notification_kinds(&w.social_worker).await?.is_empty(), "not the author");
        assert!(app.notification_kinds(&w.colleague).await?.is_empty(), "not the author's organisation");
        assert!(app.notification_kinds(&w.coordinator).await?.is_empty(), "the clinic's consent does not cover messages");
        assert_eq!(app.notifications(&coach).await?[0]["subject_id"], first.id());
        ok(app.post(&coach, &path, json!({"body": "Hej tillbaka"})).await?);
        assert_eq!(app.notification_kinds(&w.social_worker).await?, ["message_received"], "the responsible user");
        assert_eq!(app.notification_kinds(&coach).await?, ["message_received"]);
        // Messages default to the daily digest: no e-mail yet.
        assert!(app.outbox().await?.iter().all(|(_, kind, _)| kind != "message_received"));
        Ok(())
    }

    async fn a_message_goes_to_those_who_took_part_and_else_to_all_case_workers_per_organisation(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let coach = app.user(&w.jobbtorg, "coach", &[samverkan::domain::Role::Jobbcoach]).await?;
        let other_coach = app.user(&w.jobbtorg, "coach2", &[samverkan::domain::Role::Jobbcoach]).await?;
        app.consent(&w.social_worker, &s.case, &[&w.jobbtorg, &w.clinic], &["informationsutbyte"]).await?;
        let path = format!("/api/cases/{}/messages", s.case);
        // Nobody of the clinic has taken part: all its case workers are told.
        ok(app.post(&other_coach, &path, json!({"body": "Hej från Jobbtorg"})).await?);
        assert_eq!(app.notification_kinds(&w.coordinator).await?, ["message_received"]);
        assert!(app.notification_kinds(&coach).await?.is_empty(), "not the author's organisation");
        // Jobbtorg has someone who took part: only they are told there; the clinic still has
        // nobody, so its case workers are told again.
        ok(app.post(&w.social_worker, &path, json!({"body": "Hej tillbaka"})).await?);
        assert_eq!(app.notification_kinds(&other_coach).await?, ["message_received"]);
        assert!(app.notification_kinds(&coach).await?.is_empty(), "Jobbtorg's other coach took no part");
        assert_eq!(app.notification_kinds(&w.coordinator).await?, ["message_received", "message_received"]);
        Ok(())
    }

    async fn losing_access_tells_those_who_took_part_in_the_case(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        inquiry_in(&app, &s, "assigned").await?;
        // A colleague at the same clinic who could see the case but never took part in it.
        let bystander = app.user(&w.clinic, "bystander", &[samverkan::domain::Role::Rehabkoordinator]).await?;
        let before = app.notification_kinds(&w.coordinator).await?;
        ok(app.end_consent(&w.social_worker, &s.consent).await?);
        let after = app.notification_kinds(&w.coordinator).await?;
        assert_eq!(after[before.len()..], ["access_revoked"]);
        assert_eq!(app.notifications(&w.coordinator).await?[0]["subject_id"], s.consent);
        assert!(app.notification_kinds(&w.other_coordinator).await?.is_empty());
        assert!(!app.notification_kinds(&bystander).await?.contains(&"access_revoked".to_owned()), "only those who took part");
        assert!(!app.notification_kinds(&w.clinic_admin).await?.contains(&"access_revoked".to_owned()));
        Ok(())
    }

    async fn notifications_are_read_one_by_one_or_all_at_once_by_their_owner_only(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        for _ in 0..3 {
            app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
        }
        let list = app.notifications(&w.coordinator).await?;
        let all = ids(&list);
        assert_eq!(all.len(), 3);
        let page = app.get(&w.coordinator, "/api/notifications?limit=1").await?;
        assert_eq!(page.body["unread_count"], 3);
        assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
        let read = ok(app.post_empty(&w.coordinator, &format!("/api/notifications/{}/read", all[1])).await?);
        assert!(read.body["read_at"].is_string());
        // Again is harmless and keeps the first time.
        let again = ok(app.post_empty(&w.coordinator, &format!("/api/notifications/{}/read", all[1])).await?);
        assert_eq!(again.body["read_at"], read.body["read_at"]);
        let unread = app.get(&w.coordinator, "/api/notifications?unread=true").await?;
        assert_eq!(unread.body["unread_count"], 2);
        assert_eq!(ids(unread.body["items"].as_array().unwrap()), [all[0].clone(), all[2].clone()]);
        // Somebody else's notification does not exist for me.
        let other = app.post_empty(&w.social_worker, &format!("/api/notifications/{}/read", all[0])).await?;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        assert_eq!(other.body["code"], "not_found");
        let still = app.get(&w.coordinator, "/api/notifications?unread=true").await?;
        assert_eq!(still.body["unread_count"], 2, "someone else's attempt marks nothing");
        let bad = app.post_empty(&w.coordinator, "/api/notifications/not-an-id/read").await?;
        assert_eq!(bad.status, StatusCode::NOT_FOUND);
        let marked = ok(app.post_empty(&w.coordinator, "/api/notifications/read-all").await?);
        assert_eq!(marked.body["marked"], 2);
        let page = app.get(&w.coordinator, "/api/notifications").await?;
        assert_eq!(page.body["unread_count"], 0);
        let bad_query = app.get(&w.coordinator, "/api/notifications?limit=0").await?;
        assert_eq!(bad_query.status, StatusCode::UNPROCESSABLE_ENTITY);
        Ok(())
    }

    async fn preferences_have_defaults_and_change_per_kind(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let reply = ok(app.get(&w.coordinator, "/api/me/notification-preferences").await?);
        let prefs = reply.body["preferences"].as_array().unwrap().clone();
        assert_eq!(prefs.len(), samverkan::domain::NotificationKind::ALL.len());
        assert!(prefs.iter().any(|p| p["kind"] == "sip_call_chased"));
        let of = |prefs: &[Value], kind: &str| prefs.iter().find(|p| p["kind"] == kind).cloned().unwrap();
        assert_eq!(of(&prefs, "message_received"), json!({"kind": "message_received", "delivery": "digest", "is_default": true}));
        assert_eq!(of(&prefs, "inquiry_received")["delivery"], "immediate");
        assert_eq!(of(&prefs, "case_handed_over")["delivery"], "immediate");

        let bad = app.put(&w.coordinator, "/api/me/notification-preferences", json!({"preferences": [{"kind": "gossip", "delivery": "none"}]})).await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        let bad = app.put(&w.coordinator, "/api/me/notification-preferences", json!({"preferences": [{"kind": "inquiry_received", "delivery": "sometimes"}]})).await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let twice = json!({"preferences": [{"kind": "inquiry_received", "delivery": "none"}, {"kind": "inquiry_received", "delivery": "digest"}]});
        let bad = app.put(&w.coordinator, "/api/me/notification-preferences", twice).await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["code"], "duplicate_kind");
        let empty = app.put(&w.coordinator, "/api/me/notification-preferences", json!({"preferences": []})).await?;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

        app.prefer(&w.coordinator, &["inquiry_received"], "none").await?;
        let reply = ok(app.get(&w.coordinator, "/api/me/notification-preferences").await?);
        let prefs = reply.body["preferences"].as_array().unwrap().clone();
        assert_eq!(of(&prefs, "inquiry_received"), json!({"kind": "inquiry_received", "delivery": "none", "is_default": false}));
        // Someone else's choices are their own.
        let theirs = ok(app.get(&w.other_coordinator, "/api/me/notification-preferences").await?);
        assert_eq!(of(theirs.body["preferences"].as_array().unwrap(), "inquiry_received")["delivery"], "immediate");

        // "none": still notified in the hub, but no e-mail.
        app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
        assert_eq!(app.notification_kinds(&w.coordinator).await?, ["inquiry_received"]);
        assert!(app.outbox().await?.is_empty());
        Ok(())
    }

    async fn the_daily_digest_counts_what_waits_per_kind_once_a_day(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        app.prefer(&w.coordinator, &["inquiry_received", "inquiry_assigned"], "digest").await?;
        let first = app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
        app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
        ok(app.get(&w.coordinator, &format!("/api/inquiries/{first}")).await?);
        ok(app.post(&w.coordinator, &format!("/api/inquiries/{first}/assign"), json!({"assignee_user_id": w.coordinator.id})).await?);
        assert!(app.outbox().await?.is_empty(), "nothing at once");
        assert_eq!(app.notification_kinds(&w.coordinator).await?.len(), 3, "but all in the hub");

        let day = chrono::Utc::now().date_naive() + chrono::Days::new(1);
        let at = |hour: u32| day.and_hms_opt(hour, 0, 0).unwrap().and_utc();
        let hour = app.settings.notifications.digest_hour_utc;
        assert_eq!(app.scheduler_round(at(hour - 1)).await?.digests, 0, "not before the digest hour");
        assert_eq!(app.scheduler_round(at(hour)).await?.digests, 1);
        assert_eq!(app.scheduler_round(at(hour + 3)).await?.digests, 0, "once a day");
        let texts = outbox_texts(&app).await?;
        assert_eq!(texts.len(), 1);
        let (to, kind, text) = &texts[0];
        assert_eq!((to.as_str(), kind.as_str()), ("rk@example.se", "digest"));
        assert!(text.contains("2 nya rehabiliteringsförfrågningar"), "{text}");
        assert!(text.contains("1 rehabiliteringsförfrågningar tilldelade dig"), "{text}");

        // Later the same day: waits for the next day's digest.
        app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
        assert_eq!(app.scheduler_round(at(hour + 4)).await?.digests, 0);
        let next_day = at(hour) + chrono::Duration::days(1);
        assert_eq!(app.scheduler_round(next_day).await?.digests, 1);
        let texts = outbox_texts(&app).await?;
        assert!(texts[1].2.contains("1 nya rehabiliteringsförfrågningar"), "{}", texts[1].2);
        assert_eq!(app.scheduler_round(next_day).await?.digests, 0);
        Ok(())
    }

    async fn reminders_go_out_once_across_rounds_and_restarts(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let late = app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
        app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
        app.set_answer_by(&late, chrono::Utc::now().date_naive() - chrono::Days::new(1)).await?;
        // A consent ending in ten days, one in sixty.
        let until = |days: i64| (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339();
        let short = ok(app.post(&w.social_worker, &format!("/api/cases/{}/consents", s.case), json!({
            "organisation_ids": [w.jobbtorg.id], "purposes": ["sip"], "forms": ["muntligt"], "valid_until": until(10)
        })).await?).id();
        ok(app.post(&w.social_worker, &format!("/api/cases/{}/consents", s.case), json!({
            "organisation_ids": [w.jobbtorg.id], "purposes": ["sip"], "forms": ["muntligt"], "valid_until": until(60)
        })).await?);

        let now = chrono::Utc::now();
        let round = app.scheduler_round(now).await?;
        assert_eq!((round.inquiries_overdue, round.consents_ending), (1, 1));
        let round = app.scheduler_round(now + chrono::Duration::minutes(1)).await?;
        assert_eq!((round.inquiries_overdue, round.consents_ending), (0, 0), "once");
        let app = app.restart().await?;
        let round = app.scheduler_round(now + chrono::Duration::minutes(2)).await?;
        assert_eq!((round.inquiries_overdue, round.consents_ending), (0, 0), "once, after a restart too");

        assert_eq!(app.notification_kinds(&w.coordinator).await?, ["inquiry_received", "inquiry_received", "inquiry_overdue"]);
        assert_eq!(app.notification_kinds(&w.social_worker).await?, ["inquiry_overdue", "consent_ending"]);
        let n = app.notifications(&w.social_worker).await?;
        assert_eq!(n[0]["subject_id"], short);
        assert_eq!(n[1]["subject_id"], late);
        Ok(())
    }

    async fn two_hub_processes_send_each_reminder_once(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let mut late = Vec::new();
        for _ in 0..6 {
            let id = app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
            app.set_answer_by(&id, chrono::Utc::now().date_naive() - chrono::Days::new(2)).await?;
            late.push(id);
        }
        // A second process: its own connection pool on the same database.
        let other = samverkan::store::Store::connect(&app.settings.database).await?;
        let now = samverkan::domain::Timestamp::now();
        let (a, b) = tokio::join!(
            samverkan::notifications::scheduler::run_once(&app.store, &app.settings, now),
            samverkan::notifications::scheduler::run_once(&other, &app.settings, now),
        );
        assert_eq!(a?.inquiries_overdue + b?.inquiries_overdue, 6);
        let kinds = app.notification_kinds(&w.social_worker).await?;
        assert_eq!(kinds.iter().filter(|k| *k == "inquiry_overdue").count(), 6);
        other.close().await;
        Ok(())
    }

    async fn a_meeting_reminder_goes_to_those_attending_once_a_day_before(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        app.consent(&w.social_worker, &s.case, &[&w.clinic], &["sip"]).await?;
        let id = app.meeting(&w.social_worker, Some(&s.case), "sip_mote", &[&w.coordinator, &w.colleague]).await?;
        ok(app.post(&w.colleague, &format!("/api/meetings/{id}/answer"), json!({"answer": "declined"})).await?);
        let now = chrono::Utc::now();
        assert_eq!(app.scheduler_round(now).await?.meeting_reminders, 0, "48 hours ahead: not yet");
        let day_before = now + chrono::Duration::hours(25);
        assert_eq!(app.scheduler_round(day_before).await?.meeting_reminders, 1);
        assert_eq!(app.scheduler_round(day_before + chrono::Duration::minutes(5)).await?.meeting_reminders, 0, "once");
        assert_eq!(app.notification_kinds(&w.social_worker).await?, ["meeting_reminder"], "the organiser too");
        assert_eq!(app.notification_kinds(&w.coordinator).await?.last().map(String::as_str), Some("meeting_reminder"));
        assert!(!app.notification_kinds(&w.colleague).await?.contains(&"meeting_reminder".to_owned()), "declined");
        // Moved to a later day: reminded again before the new time.
        let later = (now + chrono::Duration::hours(96)).with_nanosecond_zeroed();
        ok(app.patch(&w.social_worker, &format!("/api/meetings/{id}"), json!({
            "starts_at": later.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "ends_at": (later + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })).await?);
        assert_eq!(app.scheduler_round(day_before).await?.meeting_reminders, 0);
        assert_eq!(app.scheduler_round(later - chrono::Duration::hours(2)).await?.meeting_reminders, 1);
        // A cancelled meeting is not reminded of.
        let gone = app.meeting(&w.social_worker, Some(&s.case), "sip_mote", &[&w.coordinator]).await?;
        ok(app.post_empty(&w.social_worker, &format!("/api/meetings/{gone}/cancel")).await?);
        assert_eq!(app.scheduler_round(day_before).await?.meeting_reminders, 0);
        Ok(())
    }
}
