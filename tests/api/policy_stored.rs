//! The access rule through the real stored path: worlds from the reference model are
//! written to the store, then the filtered list query, the single-case check and the
//! consent list are compared with the model. 200 worlds per store.

use std::collections::BTreeSet;

use samverkan::access::authorize;
use samverkan::access::policy::{self, case_filter, consent_filter, Grant};
use samverkan::domain::{
    CaseId, ConsentForm, ConsentId, IndividualId, OrganisationId, OrganisationKind, Personnummer,
    Timestamp, UserId,
};
use samverkan::store::cases::{self, CaseQuery, NewCase};
use samverkan::store::consents::{self, Consent};
use samverkan::store::users::User;
use samverkan::store::{individuals, organisations, users, Tx};
use uuid::Uuid;

use crate::helpers::*;
use crate::on_both_stores;
use crate::policy_model::*;

const WORLDS: usize = 200;

fn id(kind: u128, world: usize, index: usize) -> Uuid {
    Uuid::from_u128((kind << 96) | ((world as u128) << 32) | index as u128)
}

struct Stored {
    orgs: Vec<OrganisationId>,
    users: Vec<UserId>,
    cases: Vec<CaseId>,
    consents: Vec<ConsentId>,
}

fn individuals_pnr(world: usize, i: usize) -> anyhow::Result<Personnummer> {
    let serial = world * 4 + i;
    let digits = format!("{}0101{:03}", 1940 + serial / 900, serial % 900 + 100);
    Ok(Personnummer::complete(&digits)?)
}

async fn write_world(tx: &mut Tx, n: usize, w: &MWorld) -> anyhow::Result<Stored> {
    let orgs: Vec<_> = (0..w.orgs).map(|i| OrganisationId(id(1, n, i))).collect();
    for (i, org) in orgs.iter().enumerate() {
        let record = organisations::Organisation {
            id: *org,
            name: format!("w{n}-org{i}"),
            kind: OrganisationKind::Vardcentral,
            functional_email: None,
        };
        organisations::insert(tx, &record).await?;
    }
    let user_ids: Vec<_> = (0..w.users.len()).map(|i| UserId(id(2, n, i))).collect();
    for (i, u) in w.users.iter().enumerate() {
        let user = User {
            id: user_ids[i],
            organisation_id: orgs[u.org],
            username: format!("w{n}-u{i}"),
            display_name: "x".into(),
            email: "x@example.se".into(),
            active: true,
            roles: u.roles.clone(),
        };
        users::insert(tx, &user, "not-a-hash").await?;
    }
    let mut individual_ids = Vec::new();
    for (i, protected) in w.protected.iter().enumerate() {
        let pnr = individuals_pnr(n, i)?;
        let individual =
            individuals::register(tx, &pnr, "x", *protected, orgs[0], user_ids[0]).await?;
        individual_ids.push(individual.id);
    }
    let mut case_ids = Vec::new();
    for (i, c) in w.cases.iter().enumerate() {
        // Each owner holds its own record of the individual, with the protected flag.
        let pnr = individuals_pnr(n, c.individual)?;
        let protected = w.protected[c.individual];
        individuals::register(tx, &pnr, "x", protected, orgs[c.owner], user_ids[0]).await?;
        let case = NewCase {
            id: CaseId(id(4, n, i)),
            individual_id: individual_ids[c.individual],
            owner_organisation_id: orgs[c.owner],
            responsible_user_id: user_ids[c.responsible],
            title: "x".into(),
        };
        cases::insert(tx, &case).await?;
        case_ids.push(case.id);
    }
    let mut consent_ids = Vec::new();
    for (k, s) in w.consents.iter().enumerate() {
        let consent = Consent {
            id: ConsentId(id(3, n, k)),
            individual_id: individual_ids[s.individual],
            case_id: None,
            recorded_by_user_id: user_ids[0],
            recorded_by_organisation_id: orgs[s.recorder],
            forms: vec![ConsentForm::Muntligt],
            document_reference: None,
            valid_from: Timestamp::from_micros(s.from),
            valid_until: Timestamp::from_micros(s.until),
            status: s.status,
            status_changed_at: None,
            status_changed_by: None,
            status_reason: None,
            created_at: Timestamp::from_micros(s.from),
            organisations: s.orgs.iter().map(|o| orgs[*o]).collect(),
            purposes: s.purposes.iter().copied().collect(),
            confirms_consent_id: None,
        };
        consents::insert(tx, &consent).await?;
        consent_ids.push(consent.id);
    }
    let _: Vec<IndividualId> = individual_ids;
    Ok(Stored {
        orgs,
        users: user_ids,
        cases: case_ids,
        consents: consent_ids,
    })
}

async fn compare_world(tx: &mut Tx, n: usize, w: &MWorld, s: &Stored) -> anyhow::Result<()> {
    let now = Timestamp::from_micros(w.now);
    for u in 0..w.users.len() {
        let actor = actor(w, u, &s.users, &s.orgs);
        for need in needs() {
            let expected: BTreeSet<(CaseId, Grant)> = (0..w.cases.len())
                .filter_map(|c| {
                    model_case(w, u, c, need).map(|via| {
                        (
                            s.cases[c],
                            via.map_or(Grant::Owner, |k| Grant::Consent(s.consents[k])),
                        )
                    })
                })
                .collect();
            let listed: BTreeSet<(CaseId, Grant)> = match case_filter(&actor, need, now) {
                Some(filter) => {
                    let query = CaseQuery {
                        limit: 1000,
                        ..CaseQuery::default()
                    };
                    cases::list(tx, &filter, &query)
                        .await?
                        .into_iter()
                        .map(|v| (v.id, filter.grant_of(v.via_consent)))
                        .collect()
                }
                None => BTreeSet::new(),
            };
            assert_eq!(
                listed, expected,
                "world {n}, user {u}, {need:?}: list query disagrees with the model\n{w:#?}"
            );
            for (c, case_id) in s.cases.iter().enumerate() {
                let got = authorize::authorize_case_at(
                    tx,
                    &actor,
                    *case_id,
                    need,
                    samverkan::domain::AuditAction::CaseRead,
                    now,
                )
                .await
                .ok()
                .map(|a| a.grant());
                let want = model_case(w, u, c, need)
                    .map(|via| via.map_or(Grant::Owner, |k| Grant::Consent(s.consents[k])));
                assert_eq!(
                    got, want,
                    "world {n}, user {u}, case {c}, {need:?}: stored get disagrees\n{w:#?}"
                );
                if let (Some(access), Some(filter)) = (
                    authorize::authorize_case_at(
                        tx,
                        &actor,
                        *case_id,
                        need,
                        samverkan::domain::AuditAction::CaseRead,
                        now,
                    )
                    .await
                    .ok(),
                    consent_filter(&actor, now),
                ) {
                    let seen: BTreeSet<ConsentId> = consents::list_for_case(tx, &access, &filter)
                        .await?
                        .into_iter()
                        .map(|k| k.id)
                        .collect();
                    let want: BTreeSet<ConsentId> = (0..w.consents.len())
                        .filter(|k| {
                            w.consents[*k].individual == w.cases[c].individual
                                && model_consent(w, u, *k)
                        })
                        .map(|k| s.consents[k])
                        .collect();
                    assert_eq!(
                        seen, want,
                        "world {n}, user {u}, case {c}: consent list disagrees\n{w:#?}"
                    );
                }
            }
        }
        for (k, consent_id) in s.consents.iter().enumerate() {
            let facts = consents::facts(tx, *consent_id)
                .await?
                .map(|(_, f)| f)
                .expect("stored consent");
            assert_eq!(
                policy::decide_consent(&actor, &facts, now),
                model_consent(w, u, k),
                "world {n}, user {u}, consent {k}"
            );
        }
    }
    Ok(())
}

async fn the_stored_path_agrees_with_the_model(backend: Backend) -> anyhow::Result<()> {
    let Some(app) = spawn_app(backend).await? else {
        return Ok(());
    };
    let worlds = sample_worlds(WORLDS, 0x5A3D_2026);
    assert_eq!(worlds.len(), WORLDS);
    for (n, w) in worlds.iter().enumerate() {
        // Each world in its own transaction, rolled back: worlds never see each other.
        let mut tx = app.store.begin().await?;
        let stored = write_world(&mut tx, n, w).await?;
        compare_world(&mut tx, n, w, &stored).await?;
    }
    Ok(())
}

on_both_stores!(the_stored_path_agrees_with_the_model);
