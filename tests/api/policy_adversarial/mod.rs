//! The access rule under attack, on the real store over HTTP: random sequences of actions by
//! three organisations (register, open a case, record, confirm and end consents, send an
//! inquiry, post a message, take a loggutdrag, search the audit log). After every step each
//! organisation's case list must match a model in which a consent lifts only its recorder's
//! secrecy, every refused action must be refused with the answer the model predicts, and at
//! the end of each sequence no organisation may see a case, message, consent, inquiry,
//! loggutdrag row, audit row or stream event of another organisation's data unless that
//! organisation itself recorded or confirmed a consent covering it. 200 sequences per store.

use std::collections::{BTreeMap, BTreeSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use samverkan::domain::{OrganisationKind, Role};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

mod sweep;
use sweep::check_everything;

const SEQUENCES: usize = 200;
const STEPS: usize = 10;
const ORGS: usize = 3;
const PURPOSES: [&str; 3] = ["informationsutbyte", "rehabiliteringsforfragan", "sip"];

struct Org {
    org: TestOrg,
    worker: TestUser,
    admin: TestUser,
}

#[derive(Clone, Debug)]
struct MCase {
    id: String,
    owner: usize,
    person: usize,
}

#[derive(Clone, Debug)]
struct MConsent {
    id: String,
    recorder: usize,
    person: usize,
    orgs: BTreeSet<usize>,
    purposes: BTreeSet<&'static str>,
    active: bool,
    confirms: Option<usize>,
}

#[derive(Default)]
struct Model {
    registered: BTreeSet<(usize, usize)>,
    persons: Vec<String>,
    /// The individual's id, once someone registered them.
    person_ids: BTreeMap<usize, String>,
    cases: Vec<MCase>,
    consents: Vec<MConsent>,
    /// (case, org) pairs that were ever visible: an `access_revoked` may name them.
    ever: BTreeSet<(usize, usize)>,
}

impl Model {
    /// The rule: the owner, or an active consent the owner recorded naming `org` for `purpose`.
    fn sees(&self, org: usize, case: usize, purpose: Option<&str>) -> bool {
        let c = &self.cases[case];
        c.owner == org
            || self.consents.iter().any(|k| {
                k.active
                    && k.person == c.person
                    && k.recorder == c.owner
                    && k.orgs.contains(&org)
                    && purpose.is_none_or(|p| k.purposes.contains(p))
            })
    }
    fn sees_consent(&self, org: usize, k: usize) -> bool {
        let k = &self.consents[k];
        k.recorder == org || (k.active && k.orgs.contains(&org))
    }
    fn case_index(&self, id: &str) -> Option<usize> {
        self.cases.iter().position(|c| c.id == id)
    }
    fn remember(&mut self) {
        for c in 0..self.cases.len() {
            for org in 0..ORGS {
                if self.sees(org, c, None) {
                    self.ever.insert((c, org));
                }
            }
        }
    }
}

async fn setup(app: &TestApp, n: usize) -> anyhow::Result<Vec<Org>> {
    let kinds = [
        (OrganisationKind::Socialtjanst, Role::Socialsekreterare),
        (OrganisationKind::Vardcentral, Role::Rehabkoordinator),
        (OrganisationKind::Vardcentral, Role::Rehabkoordinator),
    ];
    let mut orgs = Vec::new();
    for (i, (kind, role)) in kinds.into_iter().enumerate() {
        let org = app.organisation(&format!("s{n}-o{i}"), kind).await?;
        let worker = app.user(&org, &format!("s{n}-w{i}"), &[role]).await?;
        let admin = app
            .user(&org, &format!("s{n}-a{i}"), &[Role::OrgAdmin])
            .await?;
        orgs.push(Org { org, worker, admin });
    }
    Ok(orgs)
}

fn expect(status: StatusCode, want: StatusCode, what: &str, body: &Value) {
    assert_eq!(status, want, "{what}: {body}");
}

/// One random action, checked against the model's prediction, and the model updated.
async fn step(app: &TestApp, o: &[Org], m: &mut Model, rng: &mut StdRng) -> anyhow::Result<()> {
    let org = rng.gen_range(0..ORGS);
    let person = rng.gen_range(0..m.persons.len());
    let user = &o[org].worker;
    match rng.gen_range(0..8) {
        0 | 1 => {
            let individual = app
                .register(user, &m.persons[person], &format!("namn {org}"))
                .await?;
            m.registered.insert((org, person));
            m.person_ids.insert(person, individual.clone());
            if rng.gen_bool(0.7) {
                let reply = app
                    .post(
                        user,
                        "/api/cases",
                        json!({"individual_id": individual, "title": "x"}),
                    )
                    .await?;
                expect(reply.status, StatusCode::CREATED, "open case", &reply.body);
                m.cases.push(MCase {
                    id: reply.id(),
                    owner: org,
                    person,
                });
            }
        }
        2 => {
            let own: Vec<_> = (0..m.cases.len())
                .filter(|c| m.cases[*c].owner == org)
                .collect();
            let Some(&case) = own.get(rng.gen_range(0..own.len().max(1))) else {
                return Ok(());
            };
            let mut named: BTreeSet<usize> = (0..ORGS)
                .filter(|x| *x != org && rng.gen_bool(0.5))
                .collect();
            if named.is_empty() {
                named.insert((org + 1) % ORGS);
            }
            let purposes: BTreeSet<&'static str> = PURPOSES
                .iter()
                .copied()
                .filter(|_| rng.gen_bool(0.5))
                .collect();
            let purposes = if purposes.is_empty() {
                BTreeSet::from(["informationsutbyte"])
            } else {
                purposes
            };
            let ids: Vec<&TestOrg> = named.iter().map(|x| &o[*x].org).collect();
            let p: Vec<&str> = purposes.iter().copied().collect();
            let id = app.consent(user, &m.cases[case].id, &ids, &p).await?;
            named.insert(org);
            m.consents.push(MConsent {
                id,
                recorder: org,
                person: m.cases[case].person,
                orgs: named,
                purposes,
                active: true,
                confirms: None,
            });
        }
        3 if !m.consents.is_empty() => {
            let k = rng.gen_range(0..m.consents.len());
            let reply = app
                .post(
                    user,
                    &format!("/api/consents/{}/confirm", m.consents[k].id),
                    json!({}),
                )
                .await?;
            let person = m.consents[k].person;
            let want = if !m.sees_consent(org, k) {
                StatusCode::NOT_FOUND
            } else if m.consents[k].recorder == org || !m.consents[k].active {
                StatusCode::FORBIDDEN
            } else if !m.cases.iter().any(|c| c.owner == org && c.person == person) {
                StatusCode::UNPROCESSABLE_ENTITY
            } else if m
                .consents
                .iter()
                .any(|c| c.confirms == Some(k) && c.recorder == org && c.active)
            {
                StatusCode::CONFLICT
            } else {
                StatusCode::CREATED
            };
            expect(reply.status, want, "confirm", &reply.body);
            if want == StatusCode::CREATED {
                let original = m.consents[k].clone();
                m.consents.push(MConsent {
                    id: reply.id(),
                    recorder: org,
                    confirms: Some(k),
                    ..original
                });
            }
        }
        4 if !m.consents.is_empty() => {
            let k = rng.gen_range(0..m.consents.len());
            let reply = app.end_consent(user, &m.consents[k].id).await?;
            let want = match (m.sees_consent(org, k), m.consents[k].active) {
                (false, _) => StatusCode::NOT_FOUND,
                (true, true) => StatusCode::OK,
                (true, false) => StatusCode::CONFLICT,
            };
            expect(reply.status, want, "end", &reply.body);
            if want == StatusCode::OK {
                m.consents[k].active = false;
            }
        }
        5 if !m.cases.is_empty() => {
            // Social services (org 0) writes an inquiry in some case to a clinic and sends it.
            let case = rng.gen_range(0..m.cases.len());
            let recipient = rng.gen_range(1..ORGS);
            let path = format!("/api/cases/{}/inquiries", m.cases[case].id);
            let draft = app
                .post(
                    &o[0].worker,
                    &path,
                    TestApp::inquiry_body(&o[recipient].org),
                )
                .await?;
            let want = if m.cases[case].owner == 0 {
                StatusCode::CREATED
            } else if m.sees(0, case, None) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::NOT_FOUND
            };
            expect(draft.status, want, "inquiry draft", &draft.body);
            if want == StatusCode::CREATED {
                let sent = app
                    .post_empty(&o[0].worker, &format!("/api/inquiries/{}/send", draft.id()))
                    .await?;
                let bridged = m.sees(recipient, case, Some("rehabiliteringsforfragan"));
                let want = if bridged {
                    StatusCode::OK
                } else {
                    StatusCode::CONFLICT
                };
                expect(sent.status, want, "inquiry send", &sent.body);
            }
        }
        6 if !m.cases.is_empty() => {
            let case = rng.gen_range(0..m.cases.len());
            let reply = app
                .post(
                    user,
                    &format!("/api/cases/{}/messages", m.cases[case].id),
                    json!({"body": "hej"}),
                )
                .await?;
            let want = if m.sees(org, case, Some("informationsutbyte")) {
                StatusCode::CREATED
            } else {
                StatusCode::NOT_FOUND
            };
            expect(reply.status, want, "message", &reply.body);
        }
        _ => {
            // Probes: another organisation's case read, as an outsider would try.
            if let Some(case) = (!m.cases.is_empty()).then(|| rng.gen_range(0..m.cases.len())) {
                let reply = app
                    .get(user, &format!("/api/cases/{}", m.cases[case].id))
                    .await?;
                let want = if m.sees(org, case, None) {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                };
                expect(reply.status, want, "probe", &reply.body);
            }
        }
    }
    m.remember();
    Ok(())
}

/// Each organisation's case list matches the model, for the case itself and for messages.
async fn check_lists(app: &TestApp, o: &[Org], m: &Model) -> anyhow::Result<()> {
    for (org, party) in o.iter().enumerate() {
        for purpose in [None, Some("informationsutbyte")] {
            let query = purpose.map(|p| format!("&purpose={p}")).unwrap_or_default();
            let list = app
                .get(&party.worker, &format!("/api/cases?limit=200{query}"))
                .await?;
            let got: BTreeSet<String> = list.body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["id"].as_str().map(str::to_owned))
                .collect();
            let want: BTreeSet<String> = (0..m.cases.len())
                .filter(|c| m.sees(org, *c, purpose))
                .map(|c| m.cases[c].id.clone())
                .collect();
            assert_eq!(
                got, want,
                "org {org} list for {purpose:?}: {:#?} {:#?}",
                m.cases, m.consents
            );
        }
    }
    Ok(())
}

async fn random_sequences_by_three_organisations_never_reveal_anothers_data(
    backend: Backend,
) -> anyhow::Result<()> {
    let Some(app) = spawn_app(backend).await? else {
        return Ok(());
    };
    let mut rng = StdRng::seed_from_u64(0x10_2026);
    for n in 0..SEQUENCES {
        let orgs = setup(&app, n).await?;
        let since = app.events().await?.last().map_or(0, |e| e.seq);
        let mut model = Model {
            persons: (0..2)
                .map(|p| {
                    pnr(&format!(
                        "19{:02}0101{:03}",
                        40 + n / 400,
                        (n % 400) * 2 + p + 100
                    ))
                })
                .collect(),
            ..Model::default()
        };
        for _ in 0..STEPS {
            step(&app, &orgs, &mut model, &mut rng).await?;
            check_lists(&app, &orgs, &model).await?;
        }
        // The stream sweep waits for a quiet replay, so it runs on every tenth sequence.
        check_everything(&app, &orgs, &model, since, n % 10 == 0).await?;
    }
    Ok(())
}

on_both_stores!(random_sequences_by_three_organisations_never_reveal_anothers_data);
