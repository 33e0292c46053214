//! What changed between two versions of a plan, for showing them side by side.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, Goal, PlanContent};
use crate::domain::{OrganisationId, PlanActionId, PlanGoalId};

/// How one part of a plan changed from one version to the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    /// Changed, naming the fields that differ.
    Changed(Vec<&'static str>),
}

/// The parts of a plan a change can be about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    OwnGoal,
    Goal(PlanGoalId),
    Action(PlanActionId),
    Overall,
    FollowUp,
    /// An organisation added to or removed from the readers.
    Reader(OrganisationId),
}

/// What changed from `before` to `after`, for showing two versions side by side. Goals and
/// actions are matched by their ids, which stay the same across versions.
pub fn diff(before: &PlanContent, after: &PlanContent) -> Vec<(Part, Change)> {
    let mut changes = Vec::new();
    if before.own_goal != after.own_goal {
        changes.push((Part::OwnGoal, presence(&before.own_goal, &after.own_goal)));
    }
    let goals = |c: &PlanContent| -> BTreeMap<PlanGoalId, Goal> {
        c.goals.iter().map(|g| (g.id, g.clone())).collect()
    };
    for (id, change) in keyed_diff(&goals(before), &goals(after), goal_fields) {
        changes.push((Part::Goal(id), change));
    }
    let actions = |c: &PlanContent| -> BTreeMap<PlanActionId, Action> {
        c.actions.iter().map(|a| (a.id, a.clone())).collect()
    };
    for (id, change) in keyed_diff(&actions(before), &actions(after), action_fields) {
        changes.push((Part::Action(id), change));
    }
    if before.overall != after.overall {
        changes.push((Part::Overall, presence(&before.overall, &after.overall)));
    }
    if before.follow_up_on != after.follow_up_on {
        changes.push((
            Part::FollowUp,
            presence(&before.follow_up_on, &after.follow_up_on),
        ));
    }
    let readers = |c: &PlanContent| {
        c.readers
            .iter()
            .map(|r| (*r, ()))
            .collect::<BTreeMap<_, _>>()
    };
    for (id, change) in keyed_diff(&readers(before), &readers(after), |_, _| Vec::new()) {
        changes.push((Part::Reader(id), change));
    }
    changes
}

fn presence<T>(before: &Option<T>, after: &Option<T>) -> Change {
    match (before, after) {
        (None, Some(_)) => Change::Added,
        (Some(_), None) => Change::Removed,
        _ => Change::Changed(vec!["value"]),
    }
}

fn keyed_diff<K: Ord + Copy, V>(
    before: &BTreeMap<K, V>,
    after: &BTreeMap<K, V>,
    fields: fn(&V, &V) -> Vec<&'static str>,
) -> Vec<(K, Change)> {
    let keys: BTreeSet<K> = before.keys().chain(after.keys()).copied().collect();
    keys.into_iter()
        .filter_map(|k| match (before.get(&k), after.get(&k)) {
            (None, Some(_)) => Some((k, Change::Added)),
            (Some(_), None) => Some((k, Change::Removed)),
            (Some(b), Some(a)) => {
                let changed = fields(b, a);
                (!changed.is_empty()).then_some((k, Change::Changed(changed)))
            }
            (None, None) => None,
        })
        .collect()
}

/// The names of the fields whose `differs` flag is set.
fn named(fields: &[(&'static str, bool)]) -> Vec<&'static str> {
    fields.iter().filter(|(_, d)| *d).map(|(n, _)| *n).collect()
}

fn goal_fields(b: &Goal, a: &Goal) -> Vec<&'static str> {
    named(&[
        ("level", b.level != a.level),
        ("text", b.text != a.text),
        ("serves", b.serves != a.serves),
    ])
}

fn action_fields(b: &Action, a: &Action) -> Vec<&'static str> {
    named(&[
        ("what", b.what != a.what),
        ("responsible", b.responsible != a.responsible),
        ("due_on", b.due_on != a.due_on),
        ("goal", b.goal != a.goal),
        ("category", b.category != a.category),
        (
            "status",
            b.status != a.status || b.status_on != a.status_on || b.note != a.note,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::content::tests::{adoptable, day};
    use super::super::ActionStatus;
    use super::*;

    #[test]
    fn identical_versions_have_no_changes() {
        let plan = adoptable(OrganisationId::new(), OrganisationId::new());
        assert_eq!(diff(&plan, &plan.clone()), vec![]);
    }

    #[test]
    fn changes_are_matched_by_id_and_name_their_fields() {
        let before = adoptable(OrganisationId::new(), OrganisationId::new());
        let mut after = before.clone();
        let action = after.actions[0].id;
        after.actions[0].status = ActionStatus::Done;
        after.actions[0].due_on = Some(day(22));
        let removed = after.goals.remove(1).id;
        let mut added = after.actions[0].clone();
        added.id = PlanActionId::new();
        after.actions.push(added.clone());
        after.follow_up_on = None;
        let reader = OrganisationId::new();
        after.readers.push(reader);

        let mut expected = vec![
            (Part::Goal(removed), Change::Removed),
            (
                Part::Action(action),
                Change::Changed(vec!["due_on", "status"]),
            ),
            (Part::Action(added.id), Change::Added),
            (Part::FollowUp, Change::Removed),
            (Part::Reader(reader), Change::Added),
        ];
        let mut got = diff(&before, &after);
        // Actions come in id order; compare as sets of (part, change).
        got.sort_by_key(|(p, _)| *p);
        expected.sort_by_key(|(p, _)| *p);
        assert_eq!(got, expected);
    }

    #[test]
    fn the_own_goal_is_added_changed_and_removed() {
        let mut before = adoptable(OrganisationId::new(), OrganisationId::new());
        before.own_goal = None;
        let mut after = before.clone();
        after.own_goal = Some("Jobba".to_owned());
        assert_eq!(diff(&before, &after), vec![(Part::OwnGoal, Change::Added)]);
        let mut later = after.clone();
        later.own_goal = Some("Plugga".to_owned());
        assert_eq!(
            diff(&after, &later),
            vec![(Part::OwnGoal, Change::Changed(vec!["value"]))]
        );
    }
}
