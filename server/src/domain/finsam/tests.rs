use super::*;

#[test]
fn the_referrer_drafts_sends_and_may_withdraw_before_a_decision() {
    assert_eq!(next(S::Draft, P::Edit, Side::Referrer), Ok(S::Draft));
    assert_eq!(next(S::Draft, P::Send, Side::Referrer), Ok(S::Sent));
    for open in [S::Draft, S::Sent, S::Returned] {
        assert_eq!(next(open, P::Withdraw, Side::Referrer), Ok(S::Withdrawn));
    }
    for decided in [S::Accepted, S::Declined, S::Closed, S::Withdrawn] {
        assert_eq!(
            next(decided, P::Withdraw, Side::Referrer),
            Err(StepRefused::WrongState(decided, P::Withdraw))
        );
    }
    // A sent referral is no longer edited; it is completed only when returned.
    assert_eq!(
        next(S::Sent, P::Edit, Side::Referrer),
        Err(StepRefused::WrongState(S::Sent, P::Edit))
    );
}

#[test]
fn the_return_for_completion_round_trip_comes_back_as_new() {
    let returned = next(S::Sent, P::Return, Side::Coordinator);
    assert_eq!(returned, Ok(S::Returned));
    assert_eq!(S::Returned.inbox_count(), Some(InboxCount::Waiting));
    let resent = next(S::Returned, P::Complete, Side::Referrer);
    assert_eq!(resent, Ok(S::Sent));
    assert_eq!(S::Sent.inbox_count(), Some(InboxCount::New));
    // The coordinator cannot decide while the question is out.
    assert_eq!(
        next(S::Returned, P::Accept, Side::Coordinator),
        Err(StepRefused::WrongState(S::Returned, P::Accept))
    );
}

#[test]
fn only_the_coordinator_decides_and_only_the_referrer_writes() {
    for step in [P::Return, P::Accept, P::Decline, P::PutOnAgenda, P::Close] {
        assert_eq!(
            next(S::Sent, step, Side::Referrer),
            Err(StepRefused::NotYours(step)),
            "{step}"
        );
    }
    for step in [P::Edit, P::Send, P::Withdraw, P::Complete] {
        assert_eq!(
            next(S::Draft, step, Side::Coordinator),
            Err(StepRefused::NotYours(step)),
            "{step}"
        );
    }
    assert_eq!(next(S::Sent, P::Accept, Side::Coordinator), Ok(S::Accepted));
    assert_eq!(
        next(S::Sent, P::Decline, Side::Coordinator),
        Ok(S::Declined)
    );
}

#[test]
fn after_acceptance_the_team_plans_follows_up_and_closes() {
    let mut state = S::Accepted;
    // The plan is adopted by its owner and driver, the referrer; the rest is the team's.
    for (step, by, to) in [
        (P::PutOnAgenda, Side::Coordinator, S::OnAgenda),
        (P::TakeOffAgenda, Side::Coordinator, S::Accepted),
        (P::PutOnAgenda, Side::Coordinator, S::OnAgenda),
        (P::AdoptPlan, Side::Referrer, S::PlanAdopted),
        (P::FollowUp, Side::Coordinator, S::FollowedUp),
        (P::FollowUp, Side::Coordinator, S::FollowedUp),
        (P::Close, Side::Coordinator, S::Closed),
    ] {
        state = next(state, step, by).unwrap_or(state);
        assert_eq!(state, to, "{step}");
    }
    assert_eq!(
        next(S::OnAgenda, P::AdoptPlan, Side::Coordinator),
        Err(StepRefused::NotYours(P::AdoptPlan))
    );
    for from in [S::Accepted, S::OnAgenda, S::PlanAdopted, S::FollowedUp] {
        assert_eq!(next(from, P::Close, Side::Coordinator), Ok(S::Closed));
    }
    assert!(next(S::Sent, P::Close, Side::Coordinator).is_err());
}

#[test]
fn declined_withdrawn_and_closed_are_final_and_nothing_else_is() {
    for state in ReferralState::ALL {
        let expected = matches!(state, S::Declined | S::Withdrawn | S::Closed);
        assert_eq!(state.is_final(), expected, "{state}");
        if expected {
            assert!(steps(*state, Side::Referrer).is_empty());
            assert!(steps(*state, Side::Coordinator).is_empty());
        }
    }
}

#[test]
fn every_state_is_reachable_from_draft() {
    let mut reached = vec![S::Draft];
    let mut i = 0;
    while i < reached.len() {
        let from = reached[i];
        for row in TRANSITIONS.iter().filter(|r| r.from == from) {
            if !reached.contains(&row.to) {
                reached.push(row.to);
            }
        }
        i += 1;
    }
    for state in ReferralState::ALL {
        assert!(reached.contains(state), "{state} unreachable");
    }
}

#[test]
fn the_table_has_one_row_per_state_step_and_side() {
    for (i, a) in TRANSITIONS.iter().enumerate() {
        for b in &TRANSITIONS[i + 1..] {
            assert!(
                !(a.from == b.from && a.step == b.step && a.by == b.by),
                "{a:?} twice"
            );
        }
    }
    // Each step belongs to exactly one side.
    for step in ReferralStep::ALL {
        let sides: Vec<Side> = TRANSITIONS
            .iter()
            .filter(|r| r.step == *step)
            .map(|r| r.by)
            .collect();
        assert!(!sides.is_empty(), "{step} unused");
        assert!(sides.iter().all(|s| *s == sides[0]), "{step}");
    }
}

#[test]
fn what_each_side_is_offered_follows_the_table() {
    assert_eq!(
        steps(S::Draft, Side::Referrer),
        vec![P::Edit, P::Send, P::Withdraw]
    );
    assert_eq!(
        steps(S::Sent, Side::Coordinator),
        vec![P::Return, P::Accept, P::Decline]
    );
    assert_eq!(steps(S::Sent, Side::Referrer), vec![P::Withdraw]);
    assert_eq!(
        steps(S::Returned, Side::Referrer),
        vec![P::Withdraw, P::Complete]
    );
}

#[test]
fn the_forbund_never_sees_a_draft_and_counts_only_open_ones() {
    for state in ReferralState::ALL {
        assert_eq!(state.visible_to_forbund(), *state != S::Draft);
        let counted = state.inbox_count().is_some();
        assert_eq!(counted, matches!(state, S::Sent | S::Returned), "{state}");
    }
}

#[test]
fn each_decline_reason_is_checked() {
    let text = "Passar bättre i SIP.";
    for reason in ReferralDeclineReason::ALL {
        let without_route = check_decline(*reason, None, text);
        let with_route = check_decline(*reason, Some(OtherRoute::Sip), text);
        if *reason == ReferralDeclineReason::OtherRoute {
            assert_eq!(without_route, vec![DeclineProblem::RouteRequired]);
            assert!(with_route.is_empty());
        } else {
            assert!(without_route.is_empty(), "{reason}");
            assert_eq!(
                with_route,
                vec![DeclineProblem::RouteNotAllowed],
                "{reason}"
            );
        }
        assert_eq!(
            check_decline(*reason, None, "  ").last(),
            Some(&DeclineProblem::TextRequired)
        );
    }
    assert_eq!(DeclineProblem::RouteRequired.field(), "other_route");
    assert_eq!(DeclineProblem::TextRequired.field(), "text");
}

#[test]
fn the_codes_are_the_issues_words() {
    let reasons: Vec<&str> = ReferralDeclineReason::ALL
        .iter()
        .map(|r| r.code())
        .collect();
    assert_eq!(
        reasons,
        [
            "not_target_group",
            "other_route",
            "person_declined",
            "consent_insufficient",
            "other"
        ]
    );
    assert_eq!(Outcome::ALL.len(), 12);
    assert_eq!(
        Outcome::from_code("no_need_too_ill"),
        Some(Outcome::NoNeedTooIll)
    );
    assert!(Outcome::FinsamEffort.names_effort());
    assert_eq!(Outcome::ALL.iter().filter(|o| o.names_effort()).count(), 1);
    assert_eq!(ReferralState::from_code("returned"), Some(S::Returned));
}

#[test]
fn the_team_needs_a_written_consent_with_its_document() {
    assert!(form_gaps(&[ConsentForm::Skriftligt], Some("Dnr 2026-14")).is_empty());
    assert_eq!(
        form_gaps(&[ConsentForm::Muntligt], Some("Dnr 2026-14")),
        vec![ConsentGap::NotWritten]
    );
    assert_eq!(
        form_gaps(&[ConsentForm::Skriftligt], Some("  ")),
        vec![ConsentGap::NoDocumentReference]
    );
    assert_eq!(
        form_gaps(&[ConsentForm::Muntligt], None),
        vec![ConsentGap::NotWritten, ConsentGap::NoDocumentReference]
    );
    assert!(form_gaps(&[ConsentForm::Muntligt, ConsentForm::Skriftligt], Some("x")).is_empty());
    assert_eq!(PURPOSE, Purpose::Finsamteam);
}

#[test]
fn refusals_carry_stable_codes() {
    assert_eq!(StepRefused::NotYours(P::Accept).code(), "forbidden");
    assert_eq!(
        StepRefused::WrongState(S::Closed, P::Accept).code(),
        "invalid_transition"
    );
    assert!(StepRefused::WrongState(S::Closed, P::Accept)
        .to_string()
        .contains("Avslutad"));
}

#[test]
fn the_follow_up_falls_the_configured_months_after() {
    let adopted = crate::domain::Timestamp::from_datetime(
        chrono::DateTime::parse_from_rfc3339("2026-08-31T10:00:00Z")
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_default(),
    );
    let due = super::follow_up_due(adopted, 6).to_datetime().to_rfc3339();
    assert!(due.starts_with("2027-02-28T10:00:00"), "{due}");
}
