//! Calendar invitations (iCalendar, RFC 5545, with iTIP methods from RFC 5546) for meetings,
//! as Outlook and other calendars read them.
//!
//! An invitation says only that there is a *Samverkansmöte*: when, where (the place or video
//! link the organiser gave), who organises it, and a link to the meeting in the hub. Never the
//! case, the individual, the kind of meeting or the other participants: the only ATTENDEE is
//! the recipient. The UID is stable per meeting and SEQUENCE is the meeting's stored sequence,
//! so each change replaces the earlier invitation in the recipient's calendar.

use crate::domain::{MeetingId, MeetingStatus, Timestamp};
use crate::store::meetings::Invitation;

/// The neutral title every invitation carries.
pub const SUMMARY: &str = "Samverkansmöte";
const PRODID: &str = "-//Samverkan//Samverkan kring rehabilitering//SV";
/// Longest line in octets, without the CRLF (RFC 5545 3.1).
const MAX_LINE_OCTETS: usize = 75;

/// The iTIP method: an invitation (new or changed) or a cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

impl Method {
    pub fn code(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }

    /// The MIME type of the calendar part; the method must match the one in the VCALENDAR.
    pub fn content_type(self) -> &'static str {
        match self {
            Method::Request => "text/calendar; method=REQUEST; charset=UTF-8",
            Method::Cancel => "text/calendar; method=CANCEL; charset=UTF-8",
        }
    }
}

/// Someone named in the invitation by e-mail address.
#[derive(Clone, Copy, Debug)]
pub struct Person<'a> {
    pub email: &'a str,
    /// Shown as CN; only for the organiser (a member of staff), never for the recipient.
    pub name: Option<&'a str>,
}

/// Everything one invitation is built from.
#[derive(Clone, Debug)]
pub struct Invite<'a> {
    pub method: Method,
    pub meeting_id: MeetingId,
    /// The meeting's stored sequence (raised on every change).
    pub sequence: i64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// When this invitation was made (DTSTAMP).
    pub stamp: Timestamp,
    /// The place or video link the organiser gave.
    pub location: Option<&'a str>,
    pub organiser: Person<'a>,
    /// The one person this copy is for: the only ATTENDEE.
    pub recipient: &'a str,
    /// `server.public_url`: the link's base and the UID's host.
    pub public_url: &'a str,
}

impl<'a> Invite<'a> {
    /// The invitation of a stored meeting for one recipient: REQUEST while it is scheduled,
    /// CANCEL once it is cancelled.
    pub fn for_meeting(
        meeting: &'a Invitation,
        recipient: &'a str,
        public_url: &'a str,
        stamp: Timestamp,
    ) -> Self {
        Invite {
            method: match meeting.status {
                MeetingStatus::Scheduled => Method::Request,
                MeetingStatus::Cancelled => Method::Cancel,
            },
            meeting_id: meeting.meeting_id,
            sequence: meeting.sequence,
            starts_at: meeting.starts_at,
            ends_at: meeting.ends_at,
            stamp,
            location: meeting.location.as_deref(),
            organiser: Person {
                email: &meeting.organiser_email,
                name: Some(&meeting.organiser_name),
            },
            recipient,
            public_url,
        }
    }
}

/// A built calendar part: the text (CRLF lines) and its content type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarPart {
    pub text: String,
    pub content_type: &'static str,
}

/// The host part of `public_url`: no scheme, credentials, port or path.
fn host(public_url: &str) -> String {
    let rest = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let host = if authority.starts_with('[') {
        authority.split(']').next().map(|h| format!("{h}]"))
    } else {
        authority.split(':').next().map(str::to_owned)
    };
    let host = host.unwrap_or_default().to_ascii_lowercase();
    if host.is_empty() {
        "samverkan.invalid".to_owned()
    } else {
        host
    }
}

/// The meeting's UID: the same for every invitation, change and cancellation of it.
pub fn uid(meeting_id: MeetingId, public_url: &str) -> String {
    format!("{meeting_id}@{}", host(public_url))
}

/// The meeting's page in the hub.
pub fn meeting_link(public_url: &str, meeting_id: MeetingId) -> String {
    format!("{}/moten/{meeting_id}", public_url.trim_end_matches('/'))
}

/// UTC date-time in iCalendar's basic form, e.g. `20250301T083000Z` (seconds precision).
fn utc(at: Timestamp) -> String {
    at.to_datetime().format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value (RFC 5545 3.3.11); other control characters are dropped.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value (RFC 5545 3.2): quoted, without quotes or control characters.
fn param(value: &str) -> String {
    let clean: String = value
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    format!("\"{clean}\"")
}

/// A `mailto:` calendar address with anything that cannot be in one removed.
fn mailto(email: &str) -> String {
    let clean: String = email
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace() && !matches!(c, '"' | '<' | '>'))
        .collect();
    format!("mailto:{clean}")
}

/// Appends one content line, folded so no line exceeds 75 octets (never inside a UTF-8
/// character), each ending in CRLF.
fn line(out: &mut String, content: &str) {
    let mut used = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if used + len > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

/// Builds the invitation (METHOD:REQUEST) or cancellation (METHOD:CANCEL, STATUS:CANCELLED).
pub fn build(invite: &Invite<'_>) -> CalendarPart {
    let link = meeting_link(invite.public_url, invite.meeting_id);
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, &format!("PRODID:{PRODID}"));
    line(&mut out, "VERSION:2.0");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, &format!("METHOD:{}", invite.method.code()));
    line(&mut out, "BEGIN:VEVENT");
    line(
        &mut out,
        &format!("UID:{}", uid(invite.meeting_id, invite.public_url)),
    );
    line(&mut out, &format!("DTSTAMP:{}", utc(invite.stamp)));
    line(&mut out, &format!("SEQUENCE:{}", invite.sequence.max(0)));
    line(&mut out, &format!("DTSTART:{}", utc(invite.starts_at)));
    line(&mut out, &format!("DTEND:{}", utc(invite.ends_at)));
    line(&mut out, &format!("SUMMARY:{}", text(SUMMARY)));
    line(
        &mut out,
        &format!(
            "DESCRIPTION:{}",
            text(&format!("Mötet finns i Samverkan: {link}"))
        ),
    );
    line(&mut out, &format!("URL:{link}"));
    if let Some(location) = invite.location.filter(|l| !l.trim().is_empty()) {
        line(&mut out, &format!("LOCATION:{}", text(location.trim())));
    }
    let organiser_cn = invite
        .organiser
        .name
        .filter(|n| !n.trim().is_empty())
        .map(|n| format!(";CN={}", param(n.trim())))
        .unwrap_or_default();
    line(
        &mut out,
        &format!("ORGANIZER{organiser_cn}:{}", mailto(invite.organiser.email)),
    );
    line(
        &mut out,
        &format!(
            "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:{}",
            mailto(invite.recipient)
        ),
    );
    let status = match invite.method {
        Method::Request => "CONFIRMED",
        Method::Cancel => "CANCELLED",
    };
    line(&mut out, &format!("STATUS:{status}"));
    line(&mut out, "TRANSP:OPAQUE");
    line(&mut out, "END:VEVENT");
    line(&mut out, "END:VCALENDAR");
    CalendarPart {
        text: out,
        content_type: invite.method.content_type(),
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests;
