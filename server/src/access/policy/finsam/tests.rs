//! One test per rule of the Finsam referral policy.

use super::*;
use crate::domain::{ConsentStatus, IndividualId, UserId};
use crate::sql::Arg;

fn actor(organisation: OrganisationId, role: Role) -> Actor {
    Actor {
        user_id: UserId::new(),
        organisation_id: organisation,
        roles: vec![role],
        request_id: None,
    }
}

fn consent(
    recorder: OrganisationId,
    covered: &[OrganisationId],
    purposes: &[Purpose],
) -> ConsentFacts {
    let now = Timestamp::now();
    ConsentFacts {
        id: ConsentId::new(),
        recorded_by_organisation: recorder,
        status: ConsentStatus::Active,
        valid_from: now.plus_days(-1),
        valid_until: now.plus_days(30),
        organisations: covered.to_vec(),
        purposes: purposes.to_vec(),
    }
}

fn case(owner: OrganisationId, consents: Vec<ConsentFacts>) -> CaseFacts {
    CaseFacts {
        case_id: CaseId::new(),
        individual_id: IndividualId::new(),
        owner,
        responsible: UserId::new(),
        protected_identity: false,
        consents,
    }
}

fn facts(case: &CaseFacts, forbund: OrganisationId, state: ReferralState) -> ReferralFacts {
    ReferralFacts {
        case_id: case.case_id,
        referrer: case.owner,
        forbund,
        state,
    }
}

fn access(who: &Actor, case: &CaseFacts, facts: ReferralFacts) -> Result<ReferralAccess, AppError> {
    referral_access(
        who,
        FinsamReferralId::new(),
        Some(facts),
        Some(case.clone()),
        AuditAction::FinsamReferralRead,
        Timestamp::now(),
    )
}

fn written(facts: ConsentFacts) -> ReferralConsent {
    ReferralConsent {
        facts,
        forms: vec![ConsentForm::Skriftligt],
        document_reference: Some("Samtycke 2026-12-01".into()),
    }
}

#[test]
fn the_coordinator_sees_a_sent_referral_only_while_the_consent_covers_the_forbund() {
    let (owner, forbund) = (OrganisationId::new(), OrganisationId::new());
    let covered = case(
        owner,
        vec![consent(owner, &[forbund], &[Purpose::Finsamteam])],
    );
    let coordinator = actor(forbund, Role::Finsamkoordinator);
    let got = access(
        &coordinator,
        &covered,
        facts(&covered, forbund, ReferralState::Sent),
    );
    assert_eq!(got.ok().map(|a| a.side()), Some(Side::Coordinator));
    // Never a draft.
    let draft = access(
        &coordinator,
        &covered,
        facts(&covered, forbund, ReferralState::Draft),
    );
    assert!(draft.is_err());
    // Another purpose does not do.
    let sip = case(owner, vec![consent(owner, &[forbund], &[Purpose::Sip])]);
    assert!(access(
        &coordinator,
        &sip,
        facts(&sip, forbund, ReferralState::Sent)
    )
    .is_err());
    // The consent ended: gone.
    let mut ended = consent(owner, &[forbund], &[Purpose::Finsamteam]);
    ended.status = ConsentStatus::Ended;
    let gone = case(owner, vec![ended]);
    assert!(access(
        &coordinator,
        &gone,
        facts(&gone, forbund, ReferralState::Sent)
    )
    .is_err());
}

#[test]
fn only_the_forbunds_coordinators_and_the_referrer_see_it() {
    let (owner, forbund, other) = (
        OrganisationId::new(),
        OrganisationId::new(),
        OrganisationId::new(),
    );
    let covered = case(
        owner,
        vec![consent(owner, &[forbund, other], &[Purpose::Finsamteam])],
    );
    let sent = facts(&covered, forbund, ReferralState::Sent);
    let referrer = actor(owner, Role::Jobbcoach);
    assert_eq!(
        access(&referrer, &covered, sent.clone())
            .ok()
            .map(|a| a.side()),
        Some(Side::Referrer)
    );
    // A caseworker of the förbund without the coordinator role, and a covered member: no.
    assert!(access(&actor(forbund, Role::Handlaggare), &covered, sent.clone()).is_err());
    assert!(access(&actor(other, Role::Finsamkoordinator), &covered, sent).is_err());
}

#[test]
fn each_side_takes_only_its_own_steps() {
    let (owner, forbund) = (OrganisationId::new(), OrganisationId::new());
    let covered = case(
        owner,
        vec![consent(owner, &[forbund], &[Purpose::Finsamteam])],
    );
    let coordinator = actor(forbund, Role::Finsamkoordinator);
    let referrer = actor(owner, Role::Jobbcoach);
    let sent = facts(&covered, forbund, ReferralState::Sent);
    let as_coordinator = access(&coordinator, &covered, sent.clone());
    let as_referrer = access(&referrer, &covered, sent);
    assert!(as_coordinator.is_ok() && as_referrer.is_ok(), "both see it");
    let (Ok(c), Ok(r)) = (as_coordinator, as_referrer) else {
        return;
    };
    let accept = AuditAction::FinsamReferralAccept;
    assert_eq!(
        c.step(&coordinator, ReferralStep::Accept, accept).ok(),
        Some(ReferralState::Accepted)
    );
    assert!(matches!(
        r.step(&referrer, ReferralStep::Accept, accept),
        Err(AppError::Refused {
            code: "wrong_party",
            ..
        })
    ));
    assert!(matches!(
        r.step(&referrer, ReferralStep::Complete, accept),
        Err(AppError::Conflict {
            code: "invalid_transition",
            ..
        })
    ));
    assert_eq!(
        c.steps(),
        vec![
            ReferralStep::Return,
            ReferralStep::Accept,
            ReferralStep::Decline
        ]
    );
    assert_eq!(r.organisations(ReferralState::Draft), vec![owner]);
    assert_eq!(r.organisations(ReferralState::Sent), vec![owner, forbund]);
}

#[test]
fn only_the_case_owner_drafts_a_referral() {
    let (owner, forbund) = (OrganisationId::new(), OrganisationId::new());
    let covered = case(
        owner,
        vec![consent(owner, &[forbund], &[Purpose::Finsamteam])],
    );
    let now = Timestamp::now();
    let create = AuditAction::FinsamReferralCreate;
    let mine = referral_write(
        &actor(owner, Role::Jobbcoach),
        covered.case_id,
        Some(covered.clone()),
        create,
        now,
    );
    assert!(mine.is_ok());
    let theirs = referral_write(
        &actor(forbund, Role::Finsamkoordinator),
        covered.case_id,
        Some(covered.clone()),
        create,
        now,
    );
    assert!(matches!(
        theirs,
        Err(AppError::Refused {
            code: "not_case_owner",
            ..
        })
    ));
    let admin = referral_write(
        &actor(owner, Role::OrgAdmin),
        covered.case_id,
        Some(covered),
        create,
        now,
    );
    assert!(admin.is_err());
}

#[test]
fn the_written_consent_covering_the_forbund_and_the_team_lets_it_go() {
    let (referrer, forbund, fk, af) = (
        OrganisationId::new(),
        OrganisationId::new(),
        OrganisationId::new(),
        OrganisationId::new(),
    );
    let members = [fk, af, referrer];
    let now = Timestamp::now();
    let good = written(consent(
        referrer,
        &[forbund, fk, af],
        &[Purpose::Finsamteam],
    ));
    let id = good.facts.id;
    assert_eq!(
        referral_consent(
            referrer,
            forbund,
            &members,
            std::slice::from_ref(&good),
            now
        ),
        Ok(id)
    );

    // Oral only.
    let mut oral = good.clone();
    oral.forms = vec![ConsentForm::Muntligt];
    assert_eq!(
        referral_consent(referrer, forbund, &members, &[oral], now),
        Err(ConsentMissing {
            gaps: vec![ConsentGap::NotWritten],
            uncovered: vec![]
        })
    );

    // The förbund and a member not covered.
    let narrow = written(consent(referrer, &[fk], &[Purpose::Finsamteam]));
    assert_eq!(
        referral_consent(referrer, forbund, &members, &[narrow], now),
        Err(ConsentMissing {
            gaps: vec![ConsentGap::ForbundNotCovered, ConsentGap::MemberNotCovered],
            uncovered: vec![forbund, af]
        })
    );

    // Recorded by someone else, or for another purpose: as if none.
    let foreign = written(consent(fk, &[forbund, fk, af], &[Purpose::Finsamteam]));
    let other_purpose = written(consent(referrer, &[forbund, fk, af], &[Purpose::Sip]));
    assert_eq!(
        referral_consent(referrer, forbund, &members, &[foreign, other_purpose], now),
        Err(ConsentMissing {
            gaps: vec![ConsentGap::NoConsent],
            uncovered: vec![forbund, fk, af]
        })
    );

    // A sufficient one among insufficient ones wins.
    let mut undocumented = good.clone();
    undocumented.facts.id = ConsentId::new();
    undocumented.document_reference = None;
    assert_eq!(
        referral_consent(referrer, forbund, &members, &[undocumented, good], now),
        Ok(id)
    );
}

#[test]
fn the_inbox_is_the_coordinators_and_never_shows_drafts() {
    let forbund = OrganisationId::new();
    let now = Timestamp::now();
    let coordinator = actor(forbund, Role::Finsamkoordinator);
    let filter = referral_filter(&coordinator, ReferralBox::Inbox, now);
    let mut sql = Sql::new("SELECT 1 FROM finsam_referrals r WHERE ");
    if let Some(filter) = &filter {
        filter.push_visible(&mut sql);
        sql.push(" AND ");
        filter.push_count(InboxCount::New, &mut sql);
    }
    let (text, args) = sql.parts();
    assert!(text.contains("r.forbund_organisation_id = "), "{text}");
    assert!(text.contains("r.state <> "), "{text}");
    assert!(text.contains("r.state IN ("), "{text}");
    assert!(args
        .iter()
        .any(|a| matches!(a, Arg::Text(t) if t == "draft")));
    assert!(args
        .iter()
        .any(|a| matches!(a, Arg::Text(t) if t == "sent")));
    assert!(referral_filter(&actor(forbund, Role::Handlaggare), ReferralBox::Inbox, now).is_none());
    assert!(referral_filter(&actor(forbund, Role::OrgAdmin), ReferralBox::Sent, now).is_none());
    let sent = referral_filter(&actor(forbund, Role::Jobbcoach), ReferralBox::Sent, now);
    let mut sql = Sql::new("");
    if let Some(filter) = &sent {
        filter.push_visible(&mut sql);
    }
    assert!(sql.parts().0.contains("r.referrer_organisation_id = "));
}
