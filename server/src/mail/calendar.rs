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
mod tests {
    use super::*;

    /// A small, independent reader: unfolds, splits name, parameters and value, unescapes.
    #[derive(Debug)]
    struct Property {
        name: String,
        params: Vec<(String, String)>,
        value: String,
    }

    fn unescape(value: &str) -> String {
        let mut out = String::new();
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n' | 'N') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    fn split_unquoted(text: &str, at: char) -> Vec<&str> {
        let (mut parts, mut start, mut in_quotes) = (Vec::new(), 0, false);
        for (i, c) in text.char_indices() {
            if c == '"' {
                in_quotes = !in_quotes;
            } else if c == at && !in_quotes {
                parts.push(&text[start..i]);
                start = i + 1;
            }
        }
        parts.push(&text[start..]);
        parts
    }

    fn parse(text: &str) -> Vec<Property> {
        assert!(text.ends_with("\r\n"), "ends with CRLF");
        for physical in text.split("\r\n") {
            assert!(
                physical.len() <= MAX_LINE_OCTETS,
                "line of {} octets: {physical:?}",
                physical.len()
            );
            assert!(!physical.contains('\n') && !physical.contains('\r'));
        }
        let unfolded = text.replace("\r\n ", "").replace("\r\n\t", "");
        unfolded
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut in_quotes = false;
                let split = l
                    .char_indices()
                    .find(|(_, c)| {
                        if *c == '"' {
                            in_quotes = !in_quotes;
                        }
                        *c == ':' && !in_quotes
                    })
                    .map(|(i, _)| i)
                    .expect("a colon");
                let (head, value) = (&l[..split], &l[split + 1..]);
                let mut parts = split_unquoted(head, ';').into_iter();
                let name = parts.next().unwrap_or_default().to_owned();
                let params = parts
                    .map(|p| {
                        let (k, v) = p.split_once('=').expect("param=value");
                        (k.to_owned(), v.trim_matches('"').to_owned())
                    })
                    .collect();
                Property {
                    name,
                    params,
                    value: value.to_owned(),
                }
            })
            .collect()
    }

    fn one<'a>(props: &'a [Property], name: &str) -> &'a Property {
        let found: Vec<_> = props.iter().filter(|p| p.name == name).collect();
        assert_eq!(found.len(), 1, "exactly one {name}");
        found[0]
    }

    const ID: &str = "01890a5d-ac96-774b-bcce-b302099a8057";
    const LONG_PLACE: &str = "Rehabiliteringsenhetens mötesrum Ödmjukheten, våning 3, \
        ingång från gården; ring på porttelefonen och fråga efter samordnaren för rehabärenden";

    fn invite(method: Method, sequence: i64, location: Option<&str>) -> Invite<'_> {
        Invite {
            method,
            meeting_id: ID.parse().expect("uuid"),
            sequence,
            starts_at: Timestamp::from_micros(1_767_261_600_000_000), // 2026-01-01 10:00 UTC
            ends_at: Timestamp::from_micros(1_767_265_200_000_000),
            stamp: Timestamp::from_micros(1_767_000_000_123_456),
            location,
            organiser: Person {
                email: "sara.lind@socialtjansten.example.se",
                name: Some("Sara Lind; \"handläggare\""),
            },
            recipient: "kim@example.org",
            public_url: "https://samverkan.example.se:8443/",
        }
    }

    #[test]
    fn a_request_is_a_confirmed_event_with_the_method_in_both_places() {
        let part = build(&invite(Method::Request, 0, Some("Vårdcentralen, rum 4")));
        assert_eq!(
            part.content_type,
            "text/calendar; method=REQUEST; charset=UTF-8"
        );
        let props = parse(&part.text);
        assert_eq!(props[0].name, "BEGIN");
        assert_eq!(props[0].value, "VCALENDAR");
        assert_eq!(props.last().map(|p| p.value.as_str()), Some("VCALENDAR"));
        assert_eq!(one(&props, "METHOD").value, "REQUEST");
        assert_eq!(one(&props, "VERSION").value, "2.0");
        assert_eq!(one(&props, "STATUS").value, "CONFIRMED");
        assert_eq!(one(&props, "SEQUENCE").value, "0");
        assert_eq!(one(&props, "SUMMARY").value, "Samverkansmöte");
        assert_eq!(one(&props, "DTSTART").value, "20260101T100000Z");
        assert_eq!(one(&props, "DTEND").value, "20260101T110000Z");
        assert_eq!(one(&props, "DTSTAMP").value, "20251229T092000Z");
        assert_eq!(
            unescape(&one(&props, "LOCATION").value),
            "Vårdcentralen, rum 4"
        );
        let link = format!("https://samverkan.example.se:8443/moten/{ID}");
        assert_eq!(
            unescape(&one(&props, "DESCRIPTION").value),
            format!("Mötet finns i Samverkan: {link}")
        );
        assert_eq!(one(&props, "URL").value, link);
        let organiser = one(&props, "ORGANIZER");
        assert_eq!(
            organiser.value,
            "mailto:sara.lind@socialtjansten.example.se"
        );
        assert_eq!(
            organiser.params,
            [("CN".to_owned(), "Sara Lind; handläggare".to_owned())]
        );
        let attendee = one(&props, "ATTENDEE");
        assert_eq!(attendee.value, "mailto:kim@example.org");
        assert!(attendee
            .params
            .contains(&("PARTSTAT".to_owned(), "NEEDS-ACTION".to_owned())));
        assert!(!attendee.params.iter().any(|(k, _)| k == "CN"));
    }

    #[test]
    fn the_uid_is_stable_and_the_sequence_is_the_stored_one() {
        let first = parse(&build(&invite(Method::Request, 0, None)).text);
        let moved = parse(&build(&invite(Method::Request, 3, None)).text);
        let cancelled = parse(&build(&invite(Method::Cancel, 4, None)).text);
        let uid = &one(&first, "UID").value;
        assert_eq!(uid, &format!("{ID}@samverkan.example.se"));
        assert_eq!(&one(&moved, "UID").value, uid);
        assert_eq!(&one(&cancelled, "UID").value, uid);
        assert_eq!(one(&moved, "SEQUENCE").value, "3");
        assert_eq!(one(&cancelled, "SEQUENCE").value, "4");
        assert!(first.iter().all(|p| p.name != "LOCATION"));
    }

    #[test]
    fn a_cancellation_says_cancel_in_both_places_and_is_cancelled() {
        let part = build(&invite(Method::Cancel, 1, Some("Teams")));
        assert_eq!(
            part.content_type,
            "text/calendar; method=CANCEL; charset=UTF-8"
        );
        let props = parse(&part.text);
        assert_eq!(one(&props, "METHOD").value, "CANCEL");
        assert_eq!(one(&props, "STATUS").value, "CANCELLED");
        // RFC 5546 3.2.5: a CANCEL still names organiser, attendee, UID, SEQUENCE, DTSTAMP.
        for name in ["ORGANIZER", "ATTENDEE", "UID", "SEQUENCE", "DTSTAMP"] {
            one(&props, name);
        }
    }

    #[test]
    fn long_lines_are_folded_at_75_octets_without_splitting_characters() {
        let place = LONG_PLACE.repeat(3);
        let part = build(&invite(Method::Request, 2, Some(&place)));
        assert!(part.text.contains("\r\n "), "something was folded");
        // `parse` checks every physical line; the value survives unfolding intact.
        let props = parse(&part.text);
        assert_eq!(unescape(&one(&props, "LOCATION").value), place);
        for physical in part.text.split("\r\n") {
            assert!(std::str::from_utf8(physical.as_bytes()).is_ok());
        }
    }

    #[test]
    fn text_is_escaped_and_control_characters_cannot_inject_properties() {
        let place = "Rum 1\r\nATTENDEE:mailto:spy@example.org;x,y\\z\u{7}";
        let part = build(&invite(Method::Request, 0, Some(place)));
        let props = parse(&part.text);
        assert_eq!(props.iter().filter(|p| p.name == "ATTENDEE").count(), 1);
        assert_eq!(
            unescape(&one(&props, "LOCATION").value),
            "Rum 1\nATTENDEE:mailto:spy@example.org;x,y\\z"
        );
        let email = "a@b.se\r\nATTENDEE:mailto:spy@example.org";
        let mut hostile = invite(Method::Request, 0, None);
        hostile.recipient = email;
        let props = parse(&build(&hostile).text);
        assert_eq!(props.iter().filter(|p| p.name == "ATTENDEE").count(), 1);
    }

    #[test]
    fn nothing_about_the_case_or_the_person_is_in_it() {
        let part = build(&invite(Method::Request, 0, Some("Teams")));
        for secret in ["Amina", "19850312", "Stöd mot arbete", "SIP", "diagnos"] {
            assert!(!part.text.contains(secret), "{secret} leaked");
        }
        assert_eq!(
            part.text.matches("mailto:").count(),
            2,
            "only organiser and recipient"
        );
    }

    #[test]
    fn the_uid_host_comes_from_the_public_url() {
        assert_eq!(host("http://localhost:8080"), "localhost");
        assert_eq!(
            host("https://user:pw@Hub.Example.se/base"),
            "hub.example.se"
        );
        assert_eq!(host("http://[::1]:8080/"), "[::1]");
        assert_eq!(host(""), "samverkan.invalid");
        assert_eq!(
            meeting_link("https://hub.example.se/", ID.parse().expect("uuid")),
            format!("https://hub.example.se/moten/{ID}")
        );
    }
}
