//! Nothing about the individual or the case ever leaves in an e-mail: every kind of e-mail,
//! sent for individuals full of canaries, is searched for them.

use std::collections::BTreeSet;

use serde_json::json;

use super::{app_with_smtp, wait_until_sent, WAIT};
use crate::helpers::*;
use crate::inquiries::{answer_body, ok};
use crate::on_both_stores;
use crate::smtp::{Received, SmtpServer};

/// Canaries: everything about an individual and their case that must never be in an e-mail.
struct Canaries(Vec<String>);

impl Canaries {
    fn check(&self, mail: &Received) {
        let all = mail.all_text().to_lowercase();
        for canary in &self.0 {
            assert!(
                !all.contains(&canary.to_lowercase()),
                "canary {canary:?} leaked into {}:\n{}",
                mail.subject,
                mail.raw
            );
        }
    }
}

async fn no_name_personnummer_diagnosis_or_case_detail_leaves_by_mail(
    backend: Backend,
) -> anyhow::Result<()> {
    let smtp = SmtpServer::start().await?;
    let app = app_with_smtp(backend, &smtp).await?;
    let w = app.world().await?;
    sqlx::query(&format!(
        "UPDATE organisations SET functional_email = 'rehab@vc-alfa.example.se' WHERE id = '{}'",
        w.clinic.id
    ))
    .execute(app.store.pool())
    .await?;
    let coach = app
        .user(&w.jobbtorg, "coach", &[samverkan::domain::Role::Jobbcoach])
        .await?;
    let everyone = [
        &w.social_worker,
        &w.colleague,
        &w.rehab_lead,
        &w.coordinator,
        &w.other_coordinator,
        &coach,
    ];
    let kinds = [
        "inquiry_received",
        "inquiry_assigned",
        "inquiry_answered",
        "inquiry_declined",
        "inquiry_overdue",
        "message_received",
        "consent_ending",
        "access_revoked",
        "meeting_invitation",
        "meeting_changed",
        "meeting_cancelled",
        "meeting_reminder",
        "sip_call_received",
        "sip_call_answered",
        "sip_call_chased",
        "sip_call_cancelled",
    ];
    for user in everyone {
        app.prefer(user, &kinds, "immediate").await?;
    }
    // The coach hears of messages in the daily digest, so the digest is checked too.
    app.prefer(&coach, &["message_received"], "digest").await?;
    let mut canaries = vec![
        "Socialtjänsten Test".to_owned(),
        "Vårdcentral Alfa".to_owned(),
        "Jobbtorg Test".to_owned(),
    ];
    let mut seen_kinds = BTreeSet::new();
    for n in 0..6 {
        let name = format!("Kanariefågel{n} Hemligsdotter");
        let personnummer = pnr(&format!("1985031{n}12{n}"));
        let protected = n % 2 == 1;
        let individual = ok(app.post(&w.social_worker, "/api/individuals", json!({"personnummer": personnummer, "name": name, "protected_identity": protected})).await?).id();
        let title = format!("Kanarieärende{n} skuld och missbruk");
        let case = ok(app
            .post(
                &w.social_worker,
                "/api/cases",
                json!({"individual_id": individual, "title": title}),
            )
            .await?)
        .id();
        let diagnosis = format!("Kanariediagnos{n} svår depression");
        let message = format!("Kanariemeddelande{n} om bostad på Hemliga gatan {n}");
        canaries.extend([
            name.clone(),
            name.split(' ').next().unwrap().to_owned(),
            personnummer.clone(),
            personnummer.replace('-', ""),
            // The birth date and the last four digits together (alone, four digits turn up
            // in random ids).
            personnummer[..8].to_owned(),
            title,
            diagnosis.clone(),
            message.clone(),
            "Hemliga gatan".to_owned(),
            individual.clone(),
            case.clone(),
        ]);
        let short = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
        let consent = ok(app.post(&w.social_worker, &format!("/api/cases/{case}/consents"), json!({
            "organisation_ids": [w.clinic.id, w.jobbtorg.id], "purposes": ["rehabiliteringsforfragan", "informationsutbyte", "sip"],
            "forms": ["skriftligt"], "document_reference": format!("Kanariedokument{n}"), "valid_until": short,
        })).await?).id();
        canaries.push(format!("Kanariedokument{n}"));
        // Answered, declined and overdue inquiries.
        let mut body = TestApp::inquiry_body(&w.clinic);
        body["questions"] = json!(format!("Kanariefråga{n}: klarar {name} arbete?"));
        canaries.push(format!("Kanariefråga{n}"));
        let inquiries: Vec<String> = {
            let mut ids = Vec::new();
            for _ in 0..3 {
                let id = ok(app
                    .post(
                        &w.social_worker,
                        &format!("/api/cases/{case}/inquiries"),
                        body.clone(),
                    )
                    .await?)
                .id();
                ok(app
                    .post_empty(&w.social_worker, &format!("/api/inquiries/{id}/send"))
                    .await?);
                ids.push(id);
            }
            ids
        };
        ok(app
            .get(&w.coordinator, &format!("/api/inquiries/{}", inquiries[0]))
            .await?);
        ok(app
            .post(
                &w.coordinator,
                &format!("/api/inquiries/{}/assign", inquiries[0]),
                json!({"assignee_user_id": w.coordinator.id}),
            )
            .await?);
        let mut answer = answer_body();
        answer["diagnoses"] = json!([{"text": diagnosis, "icd10": "F32.2"}]);
        answer["avoid"] = json!(format!("Kanarieundvik{n}"));
        canaries.push(format!("Kanarieundvik{n}"));
        ok(app
            .post(
                &w.coordinator,
                &format!("/api/inquiries/{}/answer", inquiries[0]),
                answer,
            )
            .await?);
        ok(app
            .post(
                &w.coordinator,
                &format!("/api/inquiries/{}/decline", inquiries[1]),
                json!({"reason": "other", "text": format!("Kanarieskäl{n}")}),
            )
            .await?);
        canaries.push(format!("Kanarieskäl{n}"));
        app.set_answer_by(
            &inquiries[2],
            chrono::Utc::now().date_naive() - chrono::Days::new(1),
        )
        .await?;
        ok(app
            .post(
                &coach,
                &format!("/api/cases/{case}/messages"),
                json!({"body": message}),
            )
            .await?);
        ok(app
            .post(
                &w.social_worker,
                &format!("/api/cases/{case}/messages"),
                json!({"body": message}),
            )
            .await?);
        // Meetings with the individual invited by e-mail: invited, moved, cancelled; one stays.
        for cancel in [false, true] {
            let mut meeting =
                TestApp::meeting_body(Some(&case), "sip_mote", 30, &[&w.coordinator, &coach]);
            meeting["external_attendees"] =
                json!([{"name": name, "email": format!("person{n}@example.org")}]);
            let id = ok(app.post(&w.social_worker, "/api/meetings", meeting).await?).id();
            let later = (chrono::Utc::now() + chrono::Duration::hours(40)).with_nanosecond_zeroed();
            let rfc = |t: chrono::DateTime<chrono::Utc>| {
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            };
            let moved = json!({"starts_at": rfc(later), "ends_at": rfc(later + chrono::Duration::hours(1))});
            ok(app
                .patch(&w.social_worker, &format!("/api/meetings/{id}"), moved)
                .await?);
            if cancel {
                ok(app
                    .post_empty(&w.social_worker, &format!("/api/meetings/{id}/cancel"))
                    .await?);
            }
        }
        // SIP calls to the clinic (obliged) and Jobbtorg (optional): one declined by Jobbtorg
        // and left unanswered by the clinic, which is chased; one booked, then cancelled.
        canaries.extend([
            format!("KanarieSIP{n}"),
            format!("KanarieSIPfråga{n}"),
            format!("KanarieSIPnej{n}"),
        ]);
        let sip = json!({
            "purpose_text": format!("KanarieSIP{n} för {name}"),
            "questions": format!("KanarieSIPfråga{n}"),
            "organisation_ids": [w.clinic.id, w.jobbtorg.id],
            "attendees": [{"name": name, "role": "individual"}],
        });
        let path = format!("/api/cases/{case}/sip-calls");
        let chased = ok(app.post(&w.social_worker, &path, sip.clone()).await?).id();
        ok(app
            .post(
                &coach,
                &format!("/api/sip-calls/{chased}/answer"),
                json!({"answer": "declined", "decline_reason": "other", "text": format!("KanarieSIPnej{n}")}),
            )
            .await?);
        let mut tx = app.store.begin().await?;
        let week_ago = samverkan::domain::Timestamp::now().plus_days(-6);
        samverkan::store::sip_calls::chase::set_called_at(&mut tx, chased.parse()?, week_ago)
            .await?;
        tx.commit().await?;
        let booked = ok(app.post(&w.social_worker, &path, sip).await?).id();
        ok(app
            .post(
                &w.coordinator,
                &format!("/api/sip-calls/{booked}/answer"),
                json!({"answer": "coming", "coming": [w.coordinator.id]}),
            )
            .await?);
        let start = chrono::Utc::now() + chrono::Duration::hours(60);
        let rfc =
            |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        ok(app
            .post(
                &w.social_worker,
                &format!("/api/sip-calls/{booked}/book"),
                json!({"starts_at": rfc(start), "ends_at": rfc(start + chrono::Duration::hours(1)), "location": "Rum 5"}),
            )
            .await?);
        ok(app
            .post_empty(&w.social_worker, &format!("/api/sip-calls/{booked}/cancel"))
            .await?);
        // Reminders (overdue, consent ending), then the consent ends: access revoked.
        app.scheduler_round(chrono::Utc::now()).await?;
        ok(app.end_consent(&w.social_worker, &consent).await?);
    }
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    let digest_at = tomorrow
        .and_hms_opt(app.settings.notifications.digest_hour_utc, 0, 0)
        .unwrap()
        .and_utc();
    let digest_round = app.scheduler_round(digest_at).await?;
    assert_eq!(digest_round.digests, 1);
    // The meetings left standing: reminded a day before, in one of the two rounds.
    let reminders = app
        .scheduler_round(chrono::Utc::now() + chrono::Duration::hours(20))
        .await?;
    assert_eq!(
        digest_round.meeting_reminders + reminders.meeting_reminders,
        6
    );
    for row in app.outbox().await? {
        seen_kinds.insert(row.1);
    }
    let expected_kinds: BTreeSet<String> = kinds
        .iter()
        .map(|k| (*k).to_owned())
        .chain(["digest".to_owned()])
        .collect();
    assert_eq!(
        seen_kinds, expected_kinds,
        "every kind went through the outbox"
    );
    wait_until_sent(&app).await?;
    // A meeting e-mail that a newer one superseded while unsent is never sent.
    let total = app.outbox().await?.iter().filter(|row| row.2).count();
    let received = smtp.wait_for(total, WAIT).await?;
    assert_eq!(received.len(), total);
    let canaries = Canaries(canaries);
    for mail in &received {
        canaries.check(mail);
        assert!(mail.subject.starts_with("Samverkan: "), "{}", mail.subject);
    }
    Ok(())
}

on_both_stores!(no_name_personnummer_diagnosis_or_case_detail_leaves_by_mail);
