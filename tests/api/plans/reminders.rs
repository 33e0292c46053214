//! Reminders: an action due soon or overdue tells who holds it and the overall responsible;
//! a follow-up coming up or passed tells the overall responsible and the plan's owner. Each
//! once, across rounds and restarts.

use chrono::Duration;

use super::{adopted, setup};
use crate::on_both_stores;

on_both_stores! {
    async fn due_actions_and_follow_ups_remind_once_each(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        adopted(&app, &s).await?;
        let now = chrono::Utc::now();
        // The clinic's action is due in two days, Jobbtorg's was due yesterday.
        assert_eq!(app.scheduler_round(now).await?.plan_reminders, 2);
        assert_eq!(app.scheduler_round(now + Duration::minutes(1)).await?.plan_reminders, 0, "once");
        let app = app.restart().await?;
        assert_eq!(app.scheduler_round(now + Duration::minutes(2)).await?.plan_reminders, 0, "once across restarts");
        let count = |kinds: Vec<String>, kind: &str| kinds.iter().filter(|k| *k == kind).count();
        assert_eq!(count(app.notification_kinds(&w.coordinator).await?, "plan_action_due"), 1, "the clinic's case workers");
        assert_eq!(count(app.notification_kinds(&s.jobbcoach).await?, "plan_action_due"), 1);
        assert_eq!(count(app.notification_kinds(&w.social_worker).await?, "plan_action_due"), 2, "the overall responsible");
        assert_eq!(count(app.notification_kinds(&w.other_coordinator).await?, "plan_action_due"), 0);
        let mails: Vec<_> = app.outbox().await?.into_iter().filter(|(_, kind, _)| kind == "plan_action_due").collect();
        assert_eq!(mails.len(), 4, "content-free e-mail as each prefers: {mails:?}");
        assert!(mails.iter().any(|(to, _, _)| to == "rk@example.se"));

        // The clinic's date passes: one more, once.
        assert_eq!(app.scheduler_round(now + Duration::days(3)).await?.plan_reminders, 1);
        assert_eq!(app.scheduler_round(now + Duration::days(3)).await?.plan_reminders, 0);
        // The follow-up (in 30 days) comes within the window, the own action (20) has passed.
        assert_eq!(app.scheduler_round(now + Duration::days(28)).await?.plan_reminders, 2);
        assert_eq!(count(app.notification_kinds(&w.social_worker).await?, "plan_follow_up_due"), 1);
        assert_eq!(count(app.notification_kinds(&w.coordinator).await?, "plan_follow_up_due"), 0);
        // And passes.
        assert_eq!(app.scheduler_round(now + Duration::days(31)).await?.plan_reminders, 1);
        assert_eq!(count(app.notification_kinds(&w.social_worker).await?, "plan_follow_up_due"), 2);
        Ok(())
    }
}
