//! The inquiry boxes (the clinic's shared inbox, the sender's outbox), their counts, overdue
//! inquiries and the follow-up thread.

use chrono::{Days, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::inquiries::{answer_body, inquiry_in, ok, setup};
use crate::on_both_stores;

fn ids(page: &Value) -> Vec<String> {
    let mut ids: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(list: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| (*s).clone()).collect();
    v.sort();
    v
}

on_both_stores! {
    async fn the_inbox_lists_and_filters_what_the_clinic_received(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let second = app.user(&w.clinic, "rk.two", &[samverkan::domain::Role::Rehabkoordinator]).await?;
        let draft = inquiry_in(&app, &s, "draft").await?;
        let sent = inquiry_in(&app, &s, "sent").await?;
        let received = inquiry_in(&app, &s, "received").await?;
        let mine = inquiry_in(&app, &s, "assigned").await?;
        let theirs = inquiry_in(&app, &s, "received").await?;
        ok(app.post(&w.coordinator, &format!("/api/inquiries/{theirs}/assign"), json!({"assignee_user_id": second.id})).await?);
        let answered = inquiry_in(&app, &s, "answered").await?;

        let inbox = app.get(&w.coordinator, "/api/inquiries").await?;
        assert_eq!(inbox.status, StatusCode::OK);
        assert_eq!(ids(&inbox.body), sorted(&[&sent, &received, &mine, &theirs, &answered]), "the shared inbox, no drafts");
        let first = &inbox.body["items"][0];
        assert_eq!(first["id"], answered, "newest first");
        assert_eq!(first["sender_organisation_name"], "Socialtjänsten Test");
        assert_eq!(first["individual_name"], "Amina");
        assert!(first.get("questions").is_none(), "a list line carries no questions or answer");
        let unopened: Vec<_> = inbox.body["items"].as_array().unwrap().iter().filter(|i| i["opened"] == false).map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(unopened, [sent.as_str()]);

        let by = |query: &str| {
            let app = &app;
            let user = w.coordinator.clone();
            let query = query.to_owned();
            async move { app.get(&user, &format!("/api/inquiries?{query}")).await }
        };
        assert_eq!(ids(&by("box=inbox&state=received").await?.body), sorted(&[&received]));
        assert_eq!(ids(&by("assignee=me").await?.body), sorted(&[&mine, &answered]));
        assert_eq!(ids(&by(&format!("assignee={}", second.id)).await?.body), sorted(&[&theirs]));
        assert_eq!(ids(&by(&format!("case_id={}&state=sent", s.case)).await?.body), sorted(&[&sent]));
        let paged = by("limit=2&offset=1").await?;
        assert_eq!((paged.body["items"].as_array().unwrap().len(), &paged.body["limit"], &paged.body["offset"]), (2, &json!(2), &json!(1)));
        let bad = by("assignee=nobody").await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["field"], "assignee");
        assert_eq!(by("box=elsewhere").await?.status, StatusCode::UNPROCESSABLE_ENTITY);

        let outbox = app.get(&w.colleague, "/api/inquiries?box=outbox").await?;
        assert_eq!(ids(&outbox.body), sorted(&[&draft, &sent, &received, &mine, &theirs, &answered]), "the whole unit's outbox");
        assert_eq!(app.get(&w.social_worker, "/api/inquiries?box=inbox").await?.body["items"], json!([]));
        assert_eq!(app.get(&w.coordinator, "/api/inquiries?box=outbox").await?.body["items"], json!([]));
        assert_eq!(app.get(&w.other_coordinator, "/api/inquiries").await?.body["items"], json!([]));

        // One audit row per listed inquiry, under the consent for the clinic.
        let rows: Vec<_> = app.audit_rows().await?.into_iter().filter(|r| r.action == "inquiry.list" && r.user_id.as_deref() == Some(w.coordinator.id.to_string().as_str())).collect();
        assert_eq!(rows.len(), 5 + 1 + 2 + 1 + 1 + 2, "every listed line, every call");
        assert!(rows.iter().all(|r| r.consent_id.as_deref() == Some(s.consent.as_str()) && r.purpose.as_deref() == Some("rehabiliteringsforfragan")));
        Ok(())
    }

    async fn the_counts_show_unread_overdue_and_each_state_for_both_boxes(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        inquiry_in(&app, &s, "draft").await?;
        inquiry_in(&app, &s, "sent").await?;
        let late = inquiry_in(&app, &s, "sent").await?;
        inquiry_in(&app, &s, "assigned").await?;
        inquiry_in(&app, &s, "closed").await?;
        app.set_answer_by(&late, Utc::now().date_naive() - Days::new(1)).await?;

        let clinic = app.get(&w.coordinator, "/api/inquiries/counts").await?;
        assert_eq!(clinic.status, StatusCode::OK);
        assert_eq!(clinic.body["inbox"], json!({
            "unread": 2, "unread_thread_posts": 0, "overdue": 1,
            "by_state": {"sent": 2, "received": 0, "assigned": 1, "answered": 0, "closed": 1, "declined": 0, "withdrawn": 0},
        }));
        assert_eq!(clinic.body["outbox"]["by_state"]["sent"], 0);
        let social = app.get(&w.social_worker, "/api/inquiries/counts").await?;
        assert_eq!(social.body["outbox"]["by_state"]["draft"], 1);
        assert_eq!(social.body["outbox"]["by_state"]["sent"], 2);
        assert_eq!(social.body["outbox"]["overdue"], 1);
        assert_eq!(social.body["outbox"]["unread"], 0);
        assert_eq!(social.body["inbox"]["by_state"]["sent"], 0);
        assert!(social.body["inbox"]["by_state"].get("draft").is_none());

        // Opening one makes it read for the whole clinic.
        ok(app.get(&w.coordinator, &format!("/api/inquiries/{late}")).await?);
        let other = app.user(&w.clinic, "rk.two", &[samverkan::domain::Role::Rehabkoordinator]).await?;
        let after = app.get(&other, "/api/inquiries/counts").await?;
        assert_eq!(after.body["inbox"]["unread"], 1);
        assert_eq!(after.body["inbox"]["overdue"], 1, "received but not answered is still overdue");
        assert_eq!(app.get(&w.other_coordinator, "/api/inquiries/counts").await?.body["inbox"]["by_state"]["sent"], 0);
        Ok(())
    }

    async fn an_inquiry_past_its_answer_date_is_overdue_until_it_is_answered(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let next_week = Utc::now().date_naive() + Days::new(7);
        let id = app.inquiry_draft(&w.social_worker, &s.case, &w.clinic).await?;
        ok(app.patch(&w.social_worker, &format!("/api/inquiries/{id}"), json!({"answer_by": next_week.to_string()})).await?);
        let sent = ok(app.post_empty(&w.social_worker, &format!("/api/inquiries/{id}/send")).await?);
        assert_eq!(sent.body["answer_by"], next_week.to_string(), "the sender's own date wins over the default");
        assert_eq!(sent.body["overdue"], false);
        let on_time = inquiry_in(&app, &s, "assigned").await?;

        app.set_answer_by(&id, Utc::now().date_naive() - Days::new(1)).await?;
        app.set_answer_by(&on_time, Utc::now().date_naive()).await?;
        let seen = app.get(&w.social_worker, &format!("/api/inquiries/{id}")).await?;
        assert_eq!(seen.body["overdue"], true);
        assert_eq!(app.get(&w.social_worker, &format!("/api/inquiries/{on_time}")).await?.body["overdue"], false, "due today is not late");
        for (user, query) in [(&w.coordinator, "overdue=true"), (&w.social_worker, "box=outbox&overdue=true")] {
            let list = app.get(user, &format!("/api/inquiries?{query}")).await?;
            assert_eq!(ids(&list.body), vec![id.clone()], "{query}");
            assert_eq!(list.body["items"][0]["overdue"], true);
        }
        assert_eq!(ids(&app.get(&w.coordinator, "/api/inquiries?overdue=false").await?.body), vec![on_time.clone()]);

        ok(app.get(&w.coordinator, &format!("/api/inquiries/{id}")).await?);
        ok(app.post(&w.coordinator, &format!("/api/inquiries/{id}/assign"), json!({"assignee_user_id": w.coordinator.id})).await?);
        let answered = ok(app.post(&w.coordinator, &format!("/api/inquiries/{id}/answer"), answer_body()).await?);
        assert_eq!(answered.body["overdue"], false, "answered late, but no longer overdue");
        assert_eq!(app.get(&w.coordinator, "/api/inquiries/counts").await?.body["inbox"]["overdue"], 0);

        // A draft that sat until its own date passed cannot be sent with it.
        let stale = app.inquiry_draft(&w.social_worker, &s.case, &w.clinic).await?;
        app.set_answer_by(&stale, Utc::now().date_naive() - Days::new(1)).await?;
        let refused = app.post_empty(&w.social_worker, &format!("/api/inquiries/{stale}/send")).await?;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.body["errors"][0]["field"], "answer_by");
        Ok(())
    }

    async fn the_thread_carries_follow_up_questions_between_the_two_organisations(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let draft = inquiry_in(&app, &s, "draft").await?;
        let closed_thread = app.post(&w.social_worker, &format!("/api/inquiries/{draft}/thread"), json!({"body": "Hallå?"})).await?;
        assert_eq!(closed_thread.status, StatusCode::CONFLICT);
        assert!(closed_thread.body["detail"].as_str().unwrap().contains("status draft"));

        let id = inquiry_in(&app, &s, "sent").await?;
        let thread = format!("/api/inquiries/{id}/thread");
        let question = app.post(&w.social_worker, &thread, json!({"body": "  Har ni fått in journalkopian?  "})).await?;
        assert_eq!(question.status, StatusCode::CREATED, "{}", question.body);
        assert_eq!(question.body["body"], "Har ni fått in journalkopian?");
        assert_eq!(question.body["author_organisation_id"], w.social.id.to_string());
        assert_eq!(question.body["author_user_id"], w.social_worker.id.to_string());
        let blank = app.post(&w.social_worker, &thread, json!({"body": " "})).await?;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);

        let counts = app.get(&w.coordinator, "/api/inquiries/counts").await?;
        assert_eq!(counts.body["inbox"]["unread_thread_posts"], 1);
        assert_eq!(app.get(&w.social_worker, "/api/inquiries/counts").await?.body["outbox"]["unread_thread_posts"], 0, "my own posts are not unread");
        let read = app.get(&w.coordinator, &thread).await?;
        assert_eq!(read.status, StatusCode::OK);
        assert_eq!(read.body.as_array().unwrap().len(), 1);
        assert_eq!(app.get(&w.coordinator, "/api/inquiries/counts").await?.body["inbox"]["unread_thread_posts"], 0);
        assert_eq!(app.get(&w.coordinator, &format!("/api/inquiries/{id}")).await?.body["state"], "received");

        let reply = app.post(&w.coordinator, &thread, json!({"body": "Ja, vi svarar inom en vecka."})).await?;
        assert_eq!(reply.status, StatusCode::CREATED);
        assert_eq!(app.get(&w.colleague, "/api/inquiries/counts").await?.body["outbox"]["unread_thread_posts"], 1);
        let both = app.get(&w.social_worker, &thread).await?;
        let bodies: Vec<_> = both.body.as_array().unwrap().iter().map(|p| (p["author_organisation_name"].as_str().unwrap(), p["body"].as_str().unwrap())).collect();
        assert_eq!(bodies, [("Socialtjänsten Test", "Har ni fått in journalkopian?"), ("Vårdcentral Alfa", "Ja, vi svarar inom en vecka.")]);

        let posts: Vec<_> = app.events_about(&id).await?.into_iter().filter(|e| e.kind == "inquiry.thread_post").collect();
        assert_eq!(posts.len(), 2);
        assert!(posts.iter().all(|e| e.organisations() == sorted_orgs(&w.social, &w.clinic) && !format!("{e:?}").contains("journal")));
        assert!(app.audit_rows().await?.iter().any(|r| r.action == "inquiry.thread_read" && r.user_id.as_deref() == Some(w.coordinator.id.to_string().as_str())));

        // Closed: read-only. Another clinic: nothing.
        ok(app.post_empty(&w.social_worker, &format!("/api/inquiries/{id}/withdraw")).await?);
        let after = app.post(&w.coordinator, &thread, json!({"body": "Sent svar"})).await?;
        assert_eq!(after.status, StatusCode::CONFLICT);
        assert!(after.body["detail"].as_str().unwrap().contains("status withdrawn"));
        assert_eq!(app.get(&w.coordinator, &thread).await?.body.as_array().unwrap().len(), 2, "still readable");
        assert_eq!(app.get(&w.other_coordinator, &thread).await?.status, StatusCode::NOT_FOUND);
        Ok(())
    }
}
