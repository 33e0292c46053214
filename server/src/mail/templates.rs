//! The e-mails the hub sends. They say only that something of a kind is waiting and link to
//! it by an opaque id: never a name, personnummer, address, health detail, case title, or
//! anything that tells that someone is a client. Swedish, plain text and HTML.

use uuid::Uuid;

use crate::config::Settings;
use crate::domain::NotificationKind;
use crate::domain::Timestamp;
use crate::store::outbox::OutgoingMail;

/// Subject line and the one sentence saying what is waiting.
fn wording(kind: NotificationKind) -> (&'static str, &'static str) {
    use NotificationKind::*;
    match kind {
        InquiryReceived => (
            "Ny rehabiliteringsförfrågan",
            "En ny rehabiliteringsförfrågan har kommit till er i Samverkan.",
        ),
        InquiryAssigned => (
            "En rehabiliteringsförfrågan har tilldelats dig",
            "En rehabiliteringsförfrågan har tilldelats dig i Samverkan.",
        ),
        InquiryAnswered => (
            "Svar på en rehabiliteringsförfrågan",
            "En rehabiliteringsförfrågan har besvarats i Samverkan.",
        ),
        InquiryDeclined => (
            "En rehabiliteringsförfrågan har avböjts",
            "En rehabiliteringsförfrågan har avböjts i Samverkan.",
        ),
        InquiryOverdue => (
            "En rehabiliteringsförfrågan har passerat svarsdatum",
            "En rehabiliteringsförfrågan i Samverkan har passerat sitt svarsdatum utan svar.",
        ),
        MessageReceived => (
            "Nytt meddelande",
            "Ett nytt meddelande väntar på dig i Samverkan.",
        ),
        MeetingInvitation => (
            "Inbjudan till samverkansmöte",
            "Du är inbjuden till ett samverkansmöte. Tid och plats finns i kalenderinbjudan och i Samverkan.",
        ),
        MeetingChanged => (
            "Ändrat samverkansmöte",
            "Ett samverkansmöte du är inbjuden till har ändrats. Den nya tiden finns i kalenderinbjudan och i Samverkan.",
        ),
        MeetingCancelled => (
            "Inställt samverkansmöte",
            "Ett samverkansmöte du var inbjuden till har ställts in.",
        ),
        MeetingReminder => (
            "Påminnelse om samverkansmöte",
            "Du har ett samverkansmöte inom ett dygn.",
        ),
        ConsentEnding => (
            "Ett samtycke upphör snart",
            "Ett samtycke som du har registrerat eller ansvarar för upphör inom två veckor.",
        ),
        PlanAdopted => (
            "En plan har fastställts",
            "En samverkansplan där er organisation har en roll har fastställts i Samverkan.",
        ),
        PlanActionDue => (
            "En insats ska snart vara klar",
            "En insats i en samverkansplan ska snart vara klar eller har passerat sitt datum.",
        ),
        PlanFollowUpDue => (
            "Uppföljning av en plan",
            "En samverkansplans gemensamma uppföljning närmar sig eller har passerat.",
        ),
        FinsamReferralReceived => (
            "Ny anmälan till Finsamteam",
            "En anmälan till Finsamteamet har kommit till ert förbund i Samverkan.",
        ),
        FinsamReferralDecided => (
            "Besked om en anmälan till Finsamteam",
            "Finsam-koordinatorn har gett besked om en anmälan du har skickat i Samverkan.",
        ),
        FinsamFollowUpDue => (
            "Uppföljning i Finsamteamet",
            "En uppföljning av en plan i Finsamteamet närmar sig eller har passerat.",
        ),
        FinsamAgendaPublished => (
            "Dagordning för ett Finsamteam-möte",
            "Dagordningen för ett Finsamteam-möte du är inbjuden till finns nu i Samverkan.",
        ),
        PlanResponsibleLost => (
            "En insats behöver en ny ansvarig",
            "En organisation i en samverkansplan har inte längre samtycke. Dess insatser behöver en ny ansvarig.",
        ),
        AccessRevoked => (
            "Åtkomst till ett ärende har upphört",
            "Er organisations åtkomst till ett ärende i Samverkan har upphört.",
        ),
        ConsentChanged => (
            "Ett samtycke har återkallats eller makulerats",
            "Ett samtycke som du har registrerat har återkallats eller makulerats av någon annan.",
        ),
        CaseHandedOver => (
            "Ett ärende har lämnats över till dig",
            "Du är ny ansvarig för ett ärende i Samverkan. Läs överlämningsanteckningen i ärendet.",
        ),
        SipCallReceived => (
            "Ny kallelse till SIP",
            "En kallelse till SIP (samordnad individuell plan) har kommit till er i Samverkan.",
        ),
        SipCallAnswered => (
            "Svar på en kallelse till SIP",
            "En kallad organisation har svarat på en kallelse till SIP i Samverkan.",
        ),
        SipCallChased => (
            "Påminnelse: kallelse till SIP väntar på svar",
            "En kallelse till SIP väntar på er organisations svar i Samverkan.",
        ),
        SipCallCancelled => (
            "En kallelse till SIP har ställts in",
            "En kallelse till SIP som gällde er organisation har ställts in.",
        ),
    }
}

/// How a kind is named in the digest.
pub fn digest_label(kind: NotificationKind) -> &'static str {
    use NotificationKind::*;
    match kind {
        InquiryReceived => "nya rehabiliteringsförfrågningar",
        InquiryAssigned => "rehabiliteringsförfrågningar tilldelade dig",
        InquiryAnswered => "besvarade rehabiliteringsförfrågningar",
        InquiryDeclined => "avböjda rehabiliteringsförfrågningar",
        InquiryOverdue => "rehabiliteringsförfrågningar som passerat svarsdatum",
        MessageReceived => "nya meddelanden",
        MeetingInvitation => "mötesinbjudningar",
        MeetingChanged => "ändrade möten",
        MeetingCancelled => "inställda möten",
        MeetingReminder => "mötespåminnelser",
        ConsentEnding => "samtycken som upphör snart",
        AccessRevoked => "ärenden där åtkomsten upphört",
        ConsentChanged => "samtycken som återkallats eller makulerats",
        CaseHandedOver => "ärenden som lämnats över till dig",
        SipCallReceived => "nya kallelser till SIP",
        SipCallAnswered => "svar på kallelser till SIP",
        SipCallChased => "kallelser till SIP som väntar på svar",
        SipCallCancelled => "inställda kallelser till SIP",
        PlanAdopted => "fastställda planer",
        PlanActionDue => "insatser som snart ska vara klara eller är försenade",
        PlanFollowUpDue => "planer med uppföljning som närmar sig eller har passerat",
        PlanResponsibleLost => "planer där insatser behöver en ny ansvarig",
        FinsamReferralReceived => "nya anmälningar till Finsamteam",
        FinsamReferralDecided => "besked om anmälningar till Finsamteam",
        FinsamAgendaPublished => "dagordningar för Finsamteam-möten",
        FinsamFollowUpDue => "uppföljningar i Finsamteamet som närmar sig eller har passerat",
    }
}

const FOOTER: &str = "Av sekretesskäl står ingenting om ärendet i det här meddelandet. Logga in i Samverkan för att läsa.\n\nDet här är ett automatiskt meddelande från Samverkan. Svara inte på det.";

/// `{public_url}{path}`.
pub fn link(settings: &Settings, path: &str) -> String {
    format!(
        "{}{}",
        settings.server.public_url.trim_end_matches('/'),
        path
    )
}

/// The link in a user's e-mail: to the notification itself, by its opaque id.
pub fn notification_link(settings: &Settings, id: Uuid) -> String {
    link(settings, &format!("/notiser/{id}"))
}

/// The domain the hub's Message-IDs are made in: the sender address's.
fn message_domain(settings: &Settings) -> String {
    let from = settings.mail.from.trim().trim_end_matches('>');
    from.rsplit_once('@')
        .map(|(_, domain)| domain.trim().to_owned())
        .filter(|d| {
            !d.is_empty()
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        })
        .unwrap_or_else(|| "samverkan.invalid".to_owned())
}

/// A new Message-ID, fixed when the e-mail is written to the outbox.
pub fn new_message_id(settings: &Settings) -> String {
    format!("<{}@{}>", Uuid::now_v7().simple(), message_domain(settings))
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Plain text and HTML with the same paragraphs and one link.
fn bodies(paragraphs: &[String], link: &str) -> (String, String) {
    let mut text = String::from("Hej!\n\n");
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"sv\"><head><meta charset=\"utf-8\"><title>Samverkan</title></head><body>\n<p>Hej!</p>\n",
    );
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>\n", escape_html(p)));
    }
    text.push_str(&format!("Öppna i Samverkan: {link}\n\n{FOOTER}\n"));
    let link = escape_html(link);
    html.push_str(&format!(
        "<p><a href=\"{link}\">Öppna i Samverkan</a></p>\n"
    ));
    for p in FOOTER.split("\n\n") {
        html.push_str(&format!("<p><small>{}</small></p>\n", escape_html(p)));
    }
    html.push_str("</body></html>\n");
    (text, html)
}

fn mail(
    settings: &Settings,
    kind: &str,
    recipient: &str,
    subject: &str,
    paragraphs: &[String],
    link: &str,
    at: Timestamp,
) -> OutgoingMail {
    let (body_text, body_html) = bodies(paragraphs, link);
    OutgoingMail {
        id: Uuid::now_v7(),
        message_id: new_message_id(settings),
        recipient: recipient.to_owned(),
        kind: kind.to_owned(),
        subject: format!("Samverkan: {subject}"),
        body_text,
        body_html,
        calendar: None,
        order: None,
        created_at: at,
        attempts: 0,
    }
}

/// The e-mail telling that a notification of `kind` is waiting behind `link`.
pub fn notification_mail(
    settings: &Settings,
    kind: NotificationKind,
    link: &str,
    recipient: &str,
    at: Timestamp,
) -> OutgoingMail {
    let (subject, sentence) = wording(kind);
    mail(
        settings,
        kind.code(),
        recipient,
        subject,
        &[sentence.to_owned()],
        link,
        at,
    )
}

/// The day's digest: how many of each kind are waiting.
pub fn digest_mail(
    settings: &Settings,
    counts: &[(NotificationKind, i64)],
    recipient: &str,
    at: Timestamp,
) -> OutgoingMail {
    let mut paragraphs =
        vec!["Sedan förra sammanfattningen väntar följande på dig i Samverkan:".to_owned()];
    paragraphs.extend(
        counts
            .iter()
            .map(|(kind, n)| format!("{n} {}", digest_label(*kind))),
    );
    mail(
        settings,
        "digest",
        recipient,
        "Daglig sammanfattning",
        &paragraphs,
        &link(settings, "/notiser"),
        at,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_use_the_sender_domain_and_are_unique() -> anyhow::Result<()> {
        let mut settings = Settings::defaults()?;
        settings.mail.from = "Samverkan <noreply@hub.example.se>".into();
        let a = new_message_id(&settings);
        let b = new_message_id(&settings);
        assert!(a.starts_with('<') && a.ends_with("@hub.example.se>"), "{a}");
        assert_ne!(a, b);
        settings.mail.from = "no address".into();
        assert!(new_message_id(&settings).ends_with("@samverkan.invalid>"));
        Ok(())
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
