//! Demo data for `samverkan serve --demo`: the Järva set-up from the seeds, with users in
//! every role, a few individuals (fictitious, valid-looking numbers), cases and consents, and
//! a caseload in fördjupad samverkan.

use crate::access::policy::{self, Actor};
use crate::admin::{create_organisation, create_user};
use crate::domain::finsam::ReferralState;
use crate::domain::fordjupad::Coding;
use crate::domain::AuditAction;
use crate::domain::{
    CaseId, ConsentForm, ConsentId, ConsentStatus, OrganisationId, OrganisationKind, Personnummer,
    Purpose, Role, Timestamp, UserId,
};
use crate::domain::{FinsamEffortId, FinsamReferralId};
use crate::store::audit::{AuditEntry, Outcome};
use crate::store::cases::{self, NewCase};
use crate::store::consents::{self, Consent};
use crate::store::finsam::{self, efforts};
use crate::store::{individuals, organisations, users, Store};

/// Every demo account's password.
pub const DEMO_PASSWORD: &str = "samverkan-demo";

struct DemoOrg {
    name: &'static str,
    kind: OrganisationKind,
    email: &'static str,
    users: &'static [(&'static str, &'static str, &'static [Role])],
}

const ORGS: &[DemoOrg] = &[
    DemoOrg {
        name: "Socialtjänsten Järva, ekonomiskt bistånd",
        kind: OrganisationKind::Socialtjanst,
        email: "ekonomisktbistand.jarva@example.se",
        users: &[
            (
                "soc.sara",
                "Sara Lind (socialsekreterare)",
                &[Role::Socialsekreterare],
            ),
            (
                "soc.rehab",
                "Reza Ahmadi (rehabansvarig)",
                &[Role::Rehabansvarig],
            ),
            (
                "soc.chef",
                "Birgitta Holm (biträdande enhetschef)",
                &[Role::BitradandeEnhetschef],
            ),
            ("soc.admin", "Olle Berg (administratör)", &[Role::OrgAdmin]),
            (
                "soc.emil",
                "Emil Demir (socialsekreterare)",
                &[Role::Socialsekreterare],
            ),
        ],
    },
    DemoOrg {
        name: "Rinkeby vårdcentral",
        kind: OrganisationKind::Vardcentral,
        email: "rehab.rinkeby@example.se",
        users: &[
            (
                "vc.rinkeby",
                "Maria Eriksson (rehabkoordinator)",
                &[Role::Rehabkoordinator],
            ),
            (
                "vc.rinkeby.admin",
                "Anders Nyström (administratör)",
                &[Role::OrgAdmin],
            ),
        ],
    },
    DemoOrg {
        name: "Tensta vårdcentral",
        kind: OrganisationKind::Vardcentral,
        email: "rehab.tensta@example.se",
        users: &[(
            "vc.tensta",
            "Leila Haddad (rehabkoordinator)",
            &[Role::Rehabkoordinator],
        )],
    },
    DemoOrg {
        name: "Husby vårdcentral",
        kind: OrganisationKind::Vardcentral,
        email: "rehab.husby@example.se",
        users: &[(
            "vc.husby",
            "Johan Sjöberg (rehabkoordinator)",
            &[Role::Rehabkoordinator],
        )],
    },
    DemoOrg {
        name: "Psykiatrisk mottagning Järva",
        kind: OrganisationKind::Psykiatri,
        email: "psykiatri.jarva@example.se",
        users: &[(
            "psyk.jarva",
            "Elin Wallin (rehabkoordinator)",
            &[Role::Rehabkoordinator],
        )],
    },
    DemoOrg {
        name: "Jobbtorg Stockholm",
        kind: OrganisationKind::Jobbtorg,
        email: "jobbtorg@example.se",
        users: &[(
            "jobbtorg.coach",
            "Ahmed Yusuf (jobbcoach)",
            &[Role::Jobbcoach],
        )],
    },
    DemoOrg {
        name: "Försäkringskassan",
        kind: OrganisationKind::Forsakringskassan,
        email: "samverkan.fk@example.se",
        users: &[(
            "fk.handlaggare",
            "Karin Ek (handläggare)",
            &[Role::Handlaggare],
        )],
    },
    DemoOrg {
        name: "Arbetsförmedlingen",
        kind: OrganisationKind::Arbetsformedlingen,
        email: "samverkan.af@example.se",
        users: &[(
            "af.arbetsformedlare",
            "Peter Lund (arbetsförmedlare)",
            &[Role::Arbetsformedlare],
        )],
    },
    DemoOrg {
        name: "Samordningsförbundet Stockholms stad",
        kind: OrganisationKind::Samordningsforbund,
        email: "finsam@example.se",
        users: &[
            (
                "finsam.koordinator",
                "Nadia Karimi (Finsam-koordinator)",
                &[Role::Finsamkoordinator],
            ),
            (
                "finsam.admin",
                "Gunnar Ström (administratör)",
                &[Role::OrgAdmin],
            ),
        ],
    },
];

/// The förbund's insatskatalog (name, description).
const EFFORTS: &[(&str, &str)] = &[
    (
        "Steg till arbete",
        "Arbetsträning med handledare och jobbcoach, upp till tolv månader.",
    ),
    (
        "Hälsofrämjande grupp",
        "Gruppverksamhet om sömn, stress och fysisk aktivitet.",
    ),
    (
        "Studiestart",
        "Vägledning och stöd inför och under studier på komvux.",
    ),
    (
        "Språkpraktik",
        "Praktik med svenska i vardagen på en arbetsplats.",
    ),
    (
        "Individuell coachning",
        "Samtal med coach om mål, hinder och nästa steg.",
    ),
];

/// Seeds the demo set unless the store already has organisations; prints the logins.
pub async fn seed_if_empty(store: &Store) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    let empty = organisations::list(&mut tx).await?.is_empty();
    drop(tx);
    if empty {
        seed(store).await?;
    }
    println!("\nDemoinloggningar (lösenord för alla: {DEMO_PASSWORD}):");
    for org in ORGS {
        for (username, name, _) in org.users {
            println!("  {username:<22} {name}, {}", org.name);
        }
    }
    println!();
    Ok(())
}

async fn seed(store: &Store) -> anyhow::Result<()> {
    let mut org_ids: Vec<OrganisationId> = Vec::new();
    let mut social_worker = None;
    let mut by_name: std::collections::BTreeMap<&str, UserId> = Default::default();
    let mut forbund_admin = None;
    for org in ORGS {
        let org_id =
            create_organisation(store, org.name, org.kind, Some(org.email.to_owned())).await?;
        org_ids.push(org_id);
        for (username, name, roles) in org.users {
            let email = format!("{username}@example.se");
            let user = create_user(
                store,
                org_id,
                username,
                name,
                &email,
                DEMO_PASSWORD,
                roles.to_vec(),
            )
            .await?;
            if *username == "soc.sara" {
                social_worker = Some(user);
            }
            by_name.insert(username, user);
            if *username == "finsam.admin" {
                forbund_admin = Some(user);
            }
        }
    }
    let sara = social_worker.ok_or_else(|| anyhow::anyhow!("demo social worker missing"))?;
    let (social_services, rinkeby, jobbtorg) = (org_ids[0], org_ids[1], org_ids[5]);
    let (fk, af, forbund) = (org_ids[6], org_ids[7], org_ids[8]);
    let people = [
        (
            "19850312123",
            "Amina Testsson",
            Some((
                vec![rinkeby],
                vec![
                    Purpose::Rehabiliteringsforfragan,
                    Purpose::Informationsutbyte,
                ],
            )),
        ),
        (
            "19790704456",
            "Bertil Demosson",
            Some((
                vec![jobbtorg],
                vec![Purpose::Informationsutbyte, Purpose::Sip],
            )),
        ),
        ("19920115789", "Carin Exempeldotter", None),
    ];
    let user = |name: &str| {
        by_name
            .get(name)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("demo user {name} missing"))
    };
    // The caseload first, so that Sara's three cases stay at the top of the case list
    // (newest first), where the journeys find them.
    seed_fordjupad(
        store,
        social_services,
        user("soc.emil")?,
        user("soc.rehab")?,
    )
    .await?;
    for (digits, name, consent) in people {
        seed_case(store, social_services, sara, digits, name, consent).await?;
    }
    // The Finsamteam: its members (never the vårdcentraler, whose inboxes the journeys
    // expect empty), its insatskatalog, and referrals from social services in several states
    // under written consents covering the förbund and the team.
    let team = [social_services, jobbtorg, fk, af];
    let admin = forbund_admin.ok_or_else(|| anyhow::anyhow!("demo förbund admin missing"))?;
    seed_finsam(store, forbund, &team, admin).await?;
    let finsam = vec![Purpose::Finsamteam];
    let referrals = [
        ("19880521234", "Dalia Finsamsdotter", ReferralState::Sent),
        ("19910830345", "Erik Teamsson", ReferralState::Sent),
        ("19760214456", "Fatima Samordnare", ReferralState::Returned),
        ("19830917567", "Gustav Insatsson", ReferralState::Accepted),
    ];
    for (digits, name, state) in referrals {
        let consent = Some((vec![forbund, jobbtorg, fk, af], finsam.clone()));
        let (case_id, consent_id) =
            seed_case(store, social_services, sara, digits, name, consent).await?;
        if let Some(consent_id) = consent_id {
            seed_referral(store, sara, forbund, case_id, consent_id, state).await?;
        }
    }
    Ok(())
}

/// The förbund's team members and insatskatalog.
async fn seed_finsam(
    store: &Store,
    forbund: OrganisationId,
    team: &[OrganisationId],
    admin: UserId,
) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    for member in team {
        finsam::add_team_member(&mut tx, forbund, *member).await?;
    }
    let actor = demo_actor(&mut tx, admin).await?;
    let catalogue = policy::effort_catalogue(
        &actor,
        OrganisationKind::Samordningsforbund,
        true,
        AuditAction::FinsamEffortCreate,
    )?;
    for (name, description) in EFFORTS {
        let effort = efforts::Effort {
            id: FinsamEffortId::new(),
            name: (*name).to_owned(),
            description: (*description).to_owned(),
            active: true,
        };
        efforts::save(&mut tx, &catalogue, &effort, Timestamp::now()).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn demo_actor(tx: &mut crate::store::Tx, user: UserId) -> anyhow::Result<Actor> {
    Ok(Actor::of(&users::get(tx, user).await?, None))
}

/// A referral by the social worker in the case, sent under the written consent and taken
/// to `state` (sent, returned with a question, or accepted) through the policy's steps.
async fn seed_referral(
    store: &Store,
    referrer: UserId,
    forbund: OrganisationId,
    case_id: CaseId,
    consent: ConsentId,
    state: ReferralState,
) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    let now = Timestamp::now();
    let actor = demo_actor(&mut tx, referrer).await?;
    let action = AuditAction::DemoSeed;
    let facts = cases::facts(&mut tx, case_id).await?;
    let write = policy::referral_write(&actor, case_id, facts, action, now)?;
    let id = FinsamReferralId::new();
    let content = finsam::ReferralContent {
        why_coordination: "Flera myndigheter är inblandade men ingen har helheten.".into(),
        tried_so_far: "Praktik via Jobbtorg, samtal på vårdcentralen.".into(),
        parties_today: "Socialtjänsten, Jobbtorg, Försäkringskassan.".into(),
        own_goal: "Att komma i arbete eller studier.".into(),
        practical_needs: String::new(),
    };
    finsam::insert_draft(&mut tx, &write, id, referrer, forbund, &content, now).await?;
    let steps: &[finsam::Change<'_>] = match state {
        ReferralState::Returned => &[finsam::Change::Return {
            question: "Vilka insatser har provats hittills, och hur länge?",
        }],
        ReferralState::Accepted => &[finsam::Change::Accept { by: referrer }],
        _ => &[],
    };
    let send = finsam::Change::Send {
        content: &content,
        consent,
        answer: None,
    };
    for change in std::iter::once(&send).chain(steps) {
        let (facts, case_facts) = finsam::facts_with_case(&mut tx, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo referral missing"))?;
        let to = match change {
            finsam::Change::Send { .. } => ReferralState::Sent,
            finsam::Change::Return { .. } => ReferralState::Returned,
            _ => ReferralState::Accepted,
        };
        let access = policy::referral_access(&actor, id, Some(facts), case_facts, action, now)?;
        finsam::apply(&mut tx, &access, to, change, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Fictitious first names and family names for the caseload.
const FIRST: &[&str] = &[
    "Leyla", "Omar", "Fatima", "Johan", "Hodan", "Ali", "Sofia", "Yusuf", "Maryam", "Erik",
    "Samira", "Abdi", "Nora", "Hassan", "Elin", "Karim",
];
const FAMILY: &[&str] = &[
    "Exempelsson",
    "Demoglu",
    "Testberg",
    "Provsdotter",
    "Fiktivi",
];

/// Emil's caseload in fördjupad samverkan (issue 15): three dozen individuals brought over
/// the past year, decided by the rehabansvarig, coded for the target group and assessed
/// across the Järva phases (those in the top phase with each of its outcomes in turn); all
/// active within the idle days but one, which stands still and escalates to the biträdande
/// enhetschef when the scheduler first runs.
async fn seed_fordjupad(
    store: &Store,
    owner: OrganisationId,
    worker: UserId,
    lead: UserId,
) -> anyhow::Result<()> {
    use crate::domain::fordjupad::{IntakeDecision, PhaseOutcome, PhaseScale, TargetGroupCode};
    let mut tx = store.begin().await?;
    let (worker, lead) = (
        demo_actor(&mut tx, worker).await?,
        demo_actor(&mut tx, lead).await?,
    );
    drop(tx);
    let today = chrono::Utc::now().date_naive();
    let days = |n: i64| today - chrono::Duration::days(n);
    let outcomes = PhaseOutcome::ALL;
    for i in 0..36_i64 {
        let digits = format!(
            "{}{:02}{:02}{:03}",
            1962 + (i * 7) % 36,
            1 + i % 12,
            1 + (i * 3) % 28,
            200 + (i * 37) % 700
        );
        let name = format!(
            "{} {}",
            FIRST[i as usize % FIRST.len()],
            FAMILY[i as usize % FAMILY.len()]
        );
        let (case, _) = seed_case(store, owner, worker.user_id, &digits, &name, None).await?;
        let brought = if i == 0 { days(200) } else { days(60 + i * 8) };
        // The stalled one: nothing since 90 days; every other assessed within 50 days.
        let latest = if i == 0 { days(90) } else { days(5 + i % 45) };
        let phase = u8::try_from(i % 5).unwrap_or(0);
        let outcome =
            (phase == PhaseScale::Jarva.max()).then(|| outcomes[(i / 5) as usize % outcomes.len()]);
        let phases = [
            (
                phase.saturating_sub(1),
                None,
                brought + chrono::Duration::days(21),
            ),
            (phase, outcome, latest),
        ];
        let codes = match i % 3 {
            0 => vec![TargetGroupCode::SjukskrivenUtanSgi],
            1 => vec![TargetGroupCode::SocialmedicinskaHinder],
            _ => vec![
                TargetGroupCode::SjukskrivenUtanSgi,
                TargetGroupCode::SocialmedicinskaHinder,
            ],
        };
        let decision = match i % 9 {
            7 => IntakeDecision::Fortroendelakare,
            8 => IntakeDecision::Afu,
            _ => IntakeDecision::FordjupadSamverkan,
        };
        let history = FordjupadHistory {
            brought_on: brought,
            decision,
            decided_on: brought + chrono::Duration::days(7),
            phases: &phases,
            coding: Coding {
                codes: codes.into_iter().collect(),
                months_on_assistance: Some(u16::try_from(6 + (i * 5) % 30).unwrap_or(6)),
            },
        };
        let mut tx = store.begin().await?;
        seed_fordjupad_case(&mut tx, &worker, &lead, case, &history).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// One demo case's fördjupad samverkan as it stood: brought, one decision, phase assessments
/// on the Järva scale (phase, outcome, day) and a coding.
struct FordjupadHistory<'a> {
    brought_on: chrono::NaiveDate,
    decision: crate::domain::fordjupad::IntakeDecision,
    decided_on: chrono::NaiveDate,
    phases: &'a [(
        u8,
        Option<crate::domain::fordjupad::PhaseOutcome>,
        chrono::NaiveDate,
    )],
    coding: Coding,
}

/// Writes `history` of the case through the store functions the requests use, each step
/// taken by whom the policy lets take it: the social worker brings the case, the
/// rehabansvarig decides, assesses and codes.
async fn seed_fordjupad_case(
    tx: &mut crate::store::Tx,
    worker: &Actor,
    lead: &Actor,
    case: CaseId,
    history: &FordjupadHistory<'_>,
) -> anyhow::Result<()> {
    use crate::access::policy::FordjupadStep;
    use crate::domain::fordjupad::{Decision, PhaseScale};
    use crate::store::fordjupad::{self, RecordedCoding, RecordedPhase};
    let action = AuditAction::DemoSeed;
    let now = Timestamp::now();
    let facts = cases::facts(tx, case).await?;
    let bringing = policy::fordjupad_access(worker, case, facts.clone(), action, now)?;
    bringing.require(worker, FordjupadStep::Bring, action)?;
    let note = "Långvarigt bistånd, behöver samordnad planering";
    let brought = fordjupad::bring(
        tx,
        &bringing,
        worker.user_id,
        history.brought_on,
        note,
        now.micros(),
    )
    .await?;
    anyhow::ensure!(brought, "demo case brought twice");
    let access = policy::fordjupad_access(lead, case, facts, action, now)?;
    for step in [
        FordjupadStep::Decide,
        FordjupadStep::AssessPhase,
        FordjupadStep::Code,
    ] {
        access.require(lead, step, action)?;
    }
    let decision = Decision {
        decision: history.decision,
        decided_on: history.decided_on,
        reason: "Målgruppen, behov av samverkan med vården".into(),
        criteria: Default::default(),
        case_manager_until: None,
    };
    fordjupad::decide(tx, &access, lead.user_id, &decision, now.micros()).await?;
    // A microsecond apart, so that the timeline keeps the order written.
    for (n, (phase, outcome, on)) in (0_i64..).zip(history.phases) {
        let recorded = RecordedPhase {
            scale: PhaseScale::Jarva,
            phase: *phase,
            outcome: *outcome,
            assessed_on: *on,
            reason: "Uppföljning".into(),
            assessed_by: lead.user_id,
        };
        fordjupad::assess_phase(tx, &access, &recorded, now.micros() + n).await?;
    }
    let coding = RecordedCoding {
        coding: history.coding.clone(),
        coded_by: lead.user_id,
        recorded_at: now.micros(),
    };
    fordjupad::code(tx, &access, &coding).await?;
    Ok(())
}

async fn seed_case(
    store: &Store,
    owner: OrganisationId,
    responsible: UserId,
    first_eleven: &str,
    name: &str,
    consent: Option<(Vec<OrganisationId>, Vec<Purpose>)>,
) -> anyhow::Result<(CaseId, Option<ConsentId>)> {
    let personnummer = Personnummer::complete(first_eleven)?;
    let mut tx = store.begin().await?;
    let individual =
        individuals::register(&mut tx, &personnummer, name, false, owner, responsible).await?;
    let case_id = CaseId::new();
    let title = "Rehabilitering och stöd mot arbete";
    let new_case = NewCase {
        id: case_id,
        individual_id: individual.id,
        owner_organisation_id: owner,
        responsible_user_id: responsible,
        title: title.into(),
    };
    cases::insert(&mut tx, &new_case).await?;
    let mut consent_id = None;
    if let Some((partners, purposes)) = consent {
        let now = Timestamp::now();
        let record = Consent {
            id: ConsentId::new(),
            individual_id: individual.id,
            case_id: Some(case_id),
            recorded_by_user_id: responsible,
            recorded_by_organisation_id: owner,
            forms: vec![ConsentForm::Muntligt, ConsentForm::Skriftligt],
            document_reference: Some("Samtyckesblankett SB-2026-001".into()),
            valid_from: now,
            valid_until: now.plus_days(180),
            status: ConsentStatus::Active,
            status_changed_at: None,
            status_changed_by: None,
            status_reason: None,
            created_at: now,
            organisations: {
                let mut orgs = partners;
                orgs.push(owner);
                orgs.sort();
                orgs
            },
            purposes,
            confirms_consent_id: None,
        };
        consents::insert(&mut tx, &record).await?;
        consent_id = Some(record.id);
    }
    tx.audit(AuditEntry {
        at: Timestamp::now(),
        user_id: None,
        organisation_id: Some(owner),
        roles: "system".into(),
        action: AuditAction::DemoSeed,
        outcome: Outcome::Allowed,
        individual_id: Some(individual.id),
        case_id: Some(case_id),
        purpose: None,
        consent_id,
        request_id: None,
    });
    tx.commit().await?;
    Ok((case_id, consent_id))
}
