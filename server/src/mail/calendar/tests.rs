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
