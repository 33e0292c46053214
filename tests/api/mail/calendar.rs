//! Meeting e-mails: an iCalendar REQUEST or CANCEL with a stable UID and a rising SEQUENCE.

use serde_json::json;

use super::{app_with_smtp, WAIT};
use crate::helpers::*;
use crate::inquiries::ok;
use crate::on_both_stores;
use crate::smtp::{Received, SmtpServer};

/// The iCalendar part's properties (unfolded; parameters dropped), in order.
fn ics_properties(ics: &str) -> Vec<(String, String)> {
    let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
    unfolded
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.split(';').next().unwrap_or(k).to_owned(), v.to_owned()))
        .collect()
}

fn ics_value(props: &[(String, String)], name: &str) -> String {
    props
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Checks a meeting e-mail's structure and returns its calendar properties.
fn meeting_mail(mail: &Received, method: &str) -> Vec<(String, String)> {
    assert_eq!(mail.root_type, "multipart/alternative");
    let types: Vec<&str> = mail.parts.iter().map(|p| p.content_type.as_str()).collect();
    assert_eq!(types, ["text/plain", "text/html", "text/calendar"]);
    let calendar = mail.part("text/calendar").unwrap();
    assert_eq!(
        calendar.param("method"),
        Some(method),
        "content type names the method"
    );
    let props = ics_properties(&calendar.text);
    assert_eq!(
        ics_value(&props, "METHOD"),
        method,
        "the VCALENDAR has the same method"
    );
    assert_eq!(ics_value(&props, "SUMMARY"), "Samverkansmöte");
    props
}

async fn meeting_emails_carry_an_ics_with_a_stable_uid_and_a_rising_sequence(
    backend: Backend,
) -> anyhow::Result<()> {
    let smtp = SmtpServer::start().await?;
    let app = app_with_smtp(backend, &smtp).await?;
    let w = app.world().await?;
    let case = app.sip_case(&w, "19850312123", "Amina Kanariesson").await?;
    let mut body = TestApp::meeting_body(Some(&case), "sip_mote", 48, &[&w.coordinator]);
    body["external_attendees"] =
        json!([{"name": "Amina Kanariesson", "email": "amina@example.org"}]);
    let id = ok(app.post(&w.social_worker, "/api/meetings", body).await?).id();
    let invitations = smtp.wait_for(2, WAIT).await?;
    assert_eq!(
        invitations.len(),
        2,
        "the coordinator and the external attendee; not the organiser"
    );
    let by_to = |list: &[Received], to: &str| list.iter().find(|m| m.to == to).cloned().unwrap();
    let staff = by_to(&invitations, "rk@example.se");
    let external = by_to(&invitations, "amina@example.org");
    assert_eq!(staff.subject, "Samverkan: Inbjudan till samverkansmöte");
    let first = meeting_mail(&staff, "REQUEST");
    let first_external = meeting_mail(&external, "REQUEST");
    let uid = ics_value(&first, "UID");
    assert!(uid.starts_with(&id), "{uid}");
    assert_eq!(ics_value(&first_external, "UID"), uid);
    assert!(
        ics_value(&first, "ATTENDEE").ends_with("mailto:rk@example.se"),
        "{first:?}"
    );
    assert!(ics_value(&first_external, "ATTENDEE").ends_with("mailto:amina@example.org"));
    assert!(ics_value(&first, "DTSTART").ends_with('Z'), "UTC");
    let seq0: i64 = ics_value(&first, "SEQUENCE").parse()?;
    // The external attendee's e-mail links to the meeting, and names nobody.
    let text = &external.part("text/plain").unwrap().text;
    assert!(
        text.contains(&format!("https://samverkan.test/moten/{id}")),
        "{text}"
    );
    for mail in [&staff, &external] {
        let all = mail.all_text();
        assert!(
            !all.contains("Kanariesson") && !all.contains("19850312") && !all.contains(&case),
            "{all}"
        );
    }

    // Moved: a new REQUEST, same UID, higher SEQUENCE, to both.
    let later = (chrono::Utc::now() + chrono::Duration::hours(72)).with_nanosecond_zeroed();
    ok(app.patch(&w.social_worker, &format!("/api/meetings/{id}"), json!({
        "starts_at": later.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "ends_at": (later + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })).await?);
    let all = smtp.wait_for(4, WAIT).await?;
    let changed: Vec<Received> = all
        .iter()
        .filter(|m| m.subject.contains("Ändrat"))
        .cloned()
        .collect();
    assert_eq!(changed.len(), 2);
    let moved = meeting_mail(&by_to(&changed, "rk@example.se"), "REQUEST");
    assert_eq!(ics_value(&moved, "UID"), uid);
    let seq1: i64 = ics_value(&moved, "SEQUENCE").parse()?;
    assert!(seq1 > seq0, "{seq1} > {seq0}");
    assert_eq!(
        ics_value(&moved, "DTSTART"),
        later.format("%Y%m%dT%H%M%SZ").to_string()
    );
    assert_eq!(
        ics_value(
            &meeting_mail(&by_to(&changed, "amina@example.org"), "REQUEST"),
            "SEQUENCE"
        ),
        seq1.to_string()
    );

    // Cancelled: CANCEL in both places, STATUS:CANCELLED, same UID, higher SEQUENCE again.
    ok(app
        .post_empty(&w.social_worker, &format!("/api/meetings/{id}/cancel"))
        .await?);
    let all = smtp.wait_for(6, WAIT).await?;
    let cancelled: Vec<Received> = all
        .iter()
        .filter(|m| m.subject.contains("Inställt"))
        .cloned()
        .collect();
    assert_eq!(cancelled.len(), 2);
    for mail in &cancelled {
        let props = meeting_mail(mail, "CANCEL");
        assert_eq!(ics_value(&props, "UID"), uid);
        assert_eq!(ics_value(&props, "STATUS"), "CANCELLED");
        let seq2: i64 = ics_value(&props, "SEQUENCE").parse()?;
        assert!(seq2 > seq1, "{seq2} > {seq1}");
    }
    // In the hub: the coordinator was notified of all three; the organiser of none.
    assert_eq!(
        app.notification_kinds(&w.coordinator).await?,
        ["meeting_invitation", "meeting_changed", "meeting_cancelled"]
    );
    assert!(app.notification_kinds(&w.social_worker).await?.is_empty());
    Ok(())
}

on_both_stores!(meeting_emails_carry_an_ics_with_a_stable_uid_and_a_rising_sequence);
