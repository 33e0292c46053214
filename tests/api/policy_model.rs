//! A small reference model of the access rule, written from DOMAIN.md independently of the
//! policy module, and a property test comparing the two over 10,000 random worlds.
//!
//! The rule: secrecy is the holder's. Organisation R sees organisation O's case only through
//! an in-force consent for the individual that O itself recorded (a confirmation is O's own
//! record too), naming R and, for content, the purpose. Each organisation's protected-identity
//! flag is its own record and narrows only its own cases.

use std::collections::BTreeSet;

use proptest::prelude::*;
use samverkan::access::policy::{
    decide_case, decide_consent, CaseFacts, ConsentFacts, Grant, Need,
};
use samverkan::access::Actor;
use samverkan::domain::{
    CaseId, ConsentId, ConsentStatus, IndividualId, OrganisationId, Purpose, Role, Timestamp,
    UserId,
};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct MUser {
    pub org: usize,
    pub roles: Vec<Role>,
}

#[derive(Clone, Debug)]
pub struct MCase {
    pub individual: usize,
    pub owner: usize,
    pub responsible: usize,
}

#[derive(Clone, Debug)]
pub struct MConsent {
    pub individual: usize,
    pub recorder: usize,
    pub orgs: BTreeSet<usize>,
    pub purposes: BTreeSet<Purpose>,
    pub status: ConsentStatus,
    pub from: i64,
    pub until: i64,
}

#[derive(Clone, Debug)]
pub struct MWorld {
    pub orgs: usize,
    pub users: Vec<MUser>,
    pub protected: Vec<bool>,
    pub cases: Vec<MCase>,
    pub consents: Vec<MConsent>,
    pub now: i64,
}

/// The needs a caller can have: the case itself, or each purpose.
pub fn needs() -> Vec<Need> {
    std::iter::once(Need::Case)
        .chain(Purpose::ALL.iter().map(|p| Need::Purpose(*p)))
        .collect()
}

/// Model answer: `None` denied, `Some(None)` as owner, `Some(Some(k))` through consent k
/// (the lowest-numbered one when several would do).
pub fn model_case(w: &MWorld, user: usize, case: usize, need: Need) -> Option<Option<usize>> {
    let u = &w.users[user];
    let c = &w.cases[case];
    let caseworker = u
        .roles
        .iter()
        .any(|r| !matches!(r, Role::OrgAdmin | Role::Statistik));
    if !caseworker {
        return None;
    }
    if u.org == c.owner {
        let lead =
            u.roles.contains(&Role::Rehabansvarig) || u.roles.contains(&Role::BitradandeEnhetschef);
        return if !w.protected[c.individual] || c.responsible == user || lead {
            Some(None)
        } else {
            None
        };
    }
    let wanted: Option<Purpose> = match need {
        Need::Case => None,
        Need::Purpose(p) => Some(p),
    };
    (0..w.consents.len())
        .find(|&k| {
            let s = &w.consents[k];
            s.individual == c.individual
                && s.status == ConsentStatus::Active
                && s.from <= w.now
                && w.now < s.until
                && s.recorder == c.owner
                && s.orgs.contains(&u.org)
                && wanted.is_none_or(|p| s.purposes.contains(&p))
        })
        .map(Some)
}

/// Model answer for reading a consent record.
pub fn model_consent(w: &MWorld, user: usize, k: usize) -> bool {
    let u = &w.users[user];
    let s = &w.consents[k];
    let caseworker = u
        .roles
        .iter()
        .any(|r| !matches!(r, Role::OrgAdmin | Role::Statistik));
    let in_force = s.status == ConsentStatus::Active && s.from <= w.now && w.now < s.until;
    caseworker && (s.recorder == u.org || (in_force && s.orgs.contains(&u.org)))
}

/// Deterministic ids, ordered like the indices, so "lowest consent" agrees.
pub fn org_id(i: usize) -> OrganisationId {
    OrganisationId(Uuid::from_u128(0x1000 + i as u128))
}
pub fn consent_id(k: usize) -> ConsentId {
    ConsentId(Uuid::from_u128(0x3000 + k as u128))
}

pub fn actor(w: &MWorld, user: usize, user_ids: &[UserId], org_ids: &[OrganisationId]) -> Actor {
    Actor {
        user_id: user_ids[user],
        organisation_id: org_ids[w.users[user].org],
        roles: w.users[user].roles.clone(),
        request_id: None,
    }
}

pub fn consent_facts(
    w: &MWorld,
    k: usize,
    ids: &[ConsentId],
    org_ids: &[OrganisationId],
) -> ConsentFacts {
    let s = &w.consents[k];
    ConsentFacts {
        id: ids[k],
        recorded_by_organisation: org_ids[s.recorder],
        status: s.status,
        valid_from: Timestamp::from_micros(s.from),
        valid_until: Timestamp::from_micros(s.until),
        organisations: s.orgs.iter().map(|o| org_ids[*o]).collect(),
        purposes: s.purposes.iter().copied().collect(),
    }
}

fn arb_roles() -> impl Strategy<Value = Vec<Role>> {
    proptest::sample::subsequence(Role::ALL.to_vec(), 1..=3)
}

fn arb_world() -> impl Strategy<Value = MWorld> {
    (2usize..=4, 1usize..=3).prop_flat_map(|(orgs, individuals)| {
        let users = proptest::collection::vec((0..orgs, arb_roles()).prop_map(|(org, roles)| MUser { org, roles }), 1..=6);
        let protected = proptest::collection::vec(proptest::bool::weighted(0.3), individuals);
        (Just(orgs), users, protected).prop_flat_map(move |(orgs, users, protected)| {
            let n_users = users.len();
            let cases = proptest::collection::vec(
                (0..individuals, 0..orgs, 0..n_users).prop_map(|(individual, owner, responsible)| MCase { individual, owner, responsible }),
                1..=4,
            );
            let consent = (
                0..individuals,
                0..orgs,
                proptest::sample::subsequence((0..orgs).collect::<Vec<_>>(), 1..=orgs),
                proptest::sample::subsequence(Purpose::ALL.to_vec(), 1..=Purpose::ALL.len()),
                prop_oneof![4 => Just(ConsentStatus::Active), 1 => Just(ConsentStatus::Ended), 1 => Just(ConsentStatus::Annulled)],
                0i64..100,
                1i64..100,
            )
                .prop_map(|(individual, recorder, orgs, purposes, status, from, len)| MConsent {
                    individual,
                    recorder,
                    orgs: orgs.into_iter().collect(),
                    purposes: purposes.into_iter().collect(),
                    status,
                    from,
                    until: from + len,
                });
            let consents = proptest::collection::vec(consent, 0..=5);
            (Just(orgs), Just(users), Just(protected), cases, consents, 0i64..200)
                .prop_map(|(orgs, users, protected, cases, consents, now)| MWorld { orgs, users, protected, cases, consents, now })
        })
    })
}

/// Checks the pure policy against the model on one world; the first disagreement, if any.
fn disagreement(w: &MWorld) -> Option<String> {
    let org_ids: Vec<_> = (0..w.orgs).map(org_id).collect();
    let user_ids: Vec<_> = (0..w.users.len())
        .map(|u| UserId(Uuid::from_u128(0x2000 + u as u128)))
        .collect();
    let consent_ids: Vec<_> = (0..w.consents.len()).map(consent_id).collect();
    let now = Timestamp::from_micros(w.now);
    for (ci, c) in w.cases.iter().enumerate() {
        let facts = CaseFacts {
            case_id: CaseId(Uuid::from_u128(0x4000 + ci as u128)),
            individual_id: IndividualId(Uuid::from_u128(0x5000 + c.individual as u128)),
            owner: org_ids[c.owner],
            responsible: user_ids[c.responsible],
            protected_identity: w.protected[c.individual],
            consents: (0..w.consents.len())
                .filter(|k| w.consents[*k].individual == c.individual)
                .map(|k| consent_facts(w, k, &consent_ids, &org_ids))
                .collect(),
        };
        for u in 0..w.users.len() {
            let a = actor(w, u, &user_ids, &org_ids);
            for need in needs() {
                let expected = model_case(w, u, ci, need)
                    .map(|via| via.map_or(Grant::Owner, |k| Grant::Consent(consent_ids[k])));
                let got = decide_case(&a, &facts, need, now);
                if got != expected {
                    return Some(format!(
                        "user {u} case {ci} need {need:?}: policy {got:?}, model {expected:?}"
                    ));
                }
            }
        }
    }
    for k in 0..w.consents.len() {
        let facts = consent_facts(w, k, &consent_ids, &org_ids);
        for u in 0..w.users.len() {
            let a = actor(w, u, &user_ids, &org_ids);
            if decide_consent(&a, &facts, now) != model_consent(w, u, k) {
                return Some(format!(
                    "user {u} consent {k}: policy {}",
                    decide_consent(&a, &facts, now)
                ));
            }
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_policy_agrees_with_the_reference_model_in_every_world(world in arb_world()) {
        prop_assert_eq!(disagreement(&world), None);
    }
}

/// Generates `n` worlds from a fixed seed, for the stored-path comparison.
pub fn sample_worlds(n: usize, seed: u64) -> Vec<MWorld> {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    );
    let strategy = arb_world();
    (0..n)
        .filter_map(|_| {
            strategy
                .new_tree(&mut runner)
                .ok()
                .map(|tree| tree.current())
        })
        .collect()
}

#[test]
fn the_model_itself_distinguishes_the_cases_it_is_meant_to() {
    // A world where the answer is known by hand, so a model that always says "no" fails.
    let w = MWorld {
        orgs: 2,
        users: vec![
            MUser {
                org: 0,
                roles: vec![Role::Socialsekreterare],
            },
            MUser {
                org: 1,
                roles: vec![Role::Rehabkoordinator],
            },
        ],
        protected: vec![false],
        cases: vec![MCase {
            individual: 0,
            owner: 0,
            responsible: 0,
        }],
        consents: vec![MConsent {
            individual: 0,
            recorder: 0,
            orgs: [0, 1].into(),
            purposes: [Purpose::Sip].into(),
            status: ConsentStatus::Active,
            from: 10,
            until: 20,
        }],
        now: 15,
    };
    assert_eq!(model_case(&w, 0, 0, Need::Case), Some(None));
    assert_eq!(
        model_case(&w, 1, 0, Need::Purpose(Purpose::Sip)),
        Some(Some(0))
    );
    assert_eq!(
        model_case(&w, 1, 0, Need::Purpose(Purpose::Finsamteam)),
        None
    );
    assert_eq!(
        model_case(
            &MWorld {
                now: 20,
                ..w.clone()
            },
            1,
            0,
            Need::Case
        ),
        None
    );
    assert_eq!(disagreement(&w), None);
    // The same consent recorded by the other organisation opens nothing of org 0's case ...
    let theirs = MWorld {
        consents: vec![MConsent {
            recorder: 1,
            ..w.consents[0].clone()
        }],
        ..w.clone()
    };
    for need in needs() {
        assert_eq!(model_case(&theirs, 1, 0, need), None, "{need:?}");
    }
    assert_eq!(disagreement(&theirs), None);
    // ... until org 0 confirms it for its own part.
    let confirmed = MWorld {
        consents: vec![theirs.consents[0].clone(), w.consents[0].clone()],
        ..w.clone()
    };
    assert_eq!(
        model_case(&confirmed, 1, 0, Need::Purpose(Purpose::Sip)),
        Some(Some(1))
    );
    assert_eq!(disagreement(&confirmed), None);
}
