//! Who sees a meeting: my meetings in a window, a case's meetings while the consent holds,
//! partnership meetings, live events, and the people who can be invited; outsiders get 404.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use samverkan::domain::Role;
use serde_json::{json, Value};

use super::{at, body, book, case_with_consent, ids, rfc};
use crate::helpers::*;
use crate::on_both_stores;

on_both_stores! {
    async fn my_meetings_are_listed_within_a_window(app) {
        let (w, case, consent) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let mut booked = Vec::new();
        for start in [2.0, 50.0, 200.0] {
            let reply = book(&app, &w.social_worker, body(Some(&case), "trepartsmote", start, start + 1.0, &[&w.coordinator])).await?;
            booked.push(reply.id());
        }
        let general = book(&app, &w.coordinator, body(None, "other", 5.0, 6.0, &[])).await?.id();
        let all = app.get(&w.coordinator, "/api/meetings").await?;
        let listed: Vec<&str> = all.body["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(listed, [booked[0].as_str(), general.as_str(), booked[1].as_str(), booked[2].as_str()], "earliest first");
        let window = format!("/api/meetings?from={}&to={}", rfc(at(24.0)), rfc(at(100.0)));
        let some = app.get(&w.coordinator, &window).await?;
        assert_eq!(some.status, StatusCode::OK, "{}", some.body);
        let listed: Vec<&str> = some.body["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(listed, [booked[1].as_str()]);
        let paged = app.get(&w.coordinator, "/api/meetings?limit=1&offset=1").await?;
        assert_eq!(paged.body["items"][0]["id"], general);
        let past = app.get(&w.coordinator, &format!("/api/meetings?from={}&to={}", rfc(Utc::now() - Duration::days(3)), rfc(Utc::now() - Duration::days(1)))).await?;
        assert_eq!(past.status, StatusCode::OK, "{}", past.body);
        assert_eq!(past.body["items"], json!([]));
        let backwards = app.get(&w.coordinator, &format!("/api/meetings?from={}&to={}", rfc(at(10.0)), rfc(at(5.0)))).await?;
        assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(backwards.field_codes(), [("to".to_owned(), "before_from".to_owned())]);
        let colleague = app.get(&w.colleague, "/api/meetings").await?;
        assert_eq!(colleague.body["items"], json!([]), "only meetings I take part in");
        // One row per case meeting shown: three in the full list, one in the window, none on
        // the page (the general meeting) or in the past; each naming the case and the consent.
        let listed_audit: Vec<_> = app.audit_rows().await?.into_iter()
            .filter(|r| r.action == "meeting.list" && r.user_id == Some(w.coordinator.id.to_string())).collect();
        assert_eq!(listed_audit.len(), 4, "each listed case meeting is audited");
        for row in &listed_audit {
            assert_eq!((row.case_id.as_deref(), row.consent_id.as_deref(), row.outcome.as_str()), (Some(case.as_str()), Some(consent.as_str()), "allowed"));
        }
        Ok(())
    }

    async fn a_cases_meetings_show_while_the_consent_holds(app) {
        let (w, case, consent) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let shared = app.meeting(&w.social_worker, Some(&case), "trepartsmote", &[&w.coordinator]).await?;
        let internal = app.meeting(&w.social_worker, Some(&case), "sip_mote", &[&w.colleague]).await?;
        let path = format!("/api/cases/{case}/meetings");
        let owner = app.get(&w.rehab_lead, &path).await?;
        assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
        let listed: Vec<&str> = owner.body["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(listed.len(), 2, "the owner sees every meeting of the case");
        let clinic = app.get(&w.coordinator, &path).await?;
        let listed: Vec<&str> = clinic.body["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(listed, [shared.as_str()], "not the SIP meeting: no consent for sip");
        assert_eq!(app.get(&w.coordinator, &format!("/api/meetings/{internal}")).await?.status, StatusCode::NOT_FOUND);

        let ended = app.end_consent(&w.social_worker, &consent).await?;
        assert_eq!(ended.status, StatusCode::OK, "{}", ended.body);
        let gone = app.get(&w.coordinator, &format!("/api/meetings/{shared}")).await?;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        let mine = app.get(&w.coordinator, "/api/meetings").await?;
        assert_eq!(mine.body["items"], json!([]), "the meeting leaves my list with the consent");
        assert_eq!(app.get(&w.coordinator, &path).await?.status, StatusCode::NOT_FOUND);
        let answer = app.post(&w.coordinator, &format!("/api/meetings/{shared}/answer"), json!({"answer": "accepted"})).await?;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        Ok(())
    }

    async fn outsiders_get_404_and_are_audited(app) {
        let (w, case, _) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let id = app.meeting(&w.social_worker, Some(&case), "trepartsmote", &[&w.coordinator]).await?;
        let routes: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, format!("/api/meetings/{id}"), None),
            (Method::PATCH, format!("/api/meetings/{id}"), Some(json!({"place": "Rum 9"}))),
            (Method::POST, format!("/api/meetings/{id}/cancel"), None),
            (Method::POST, format!("/api/meetings/{id}/answer"), Some(json!({"answer": "accepted"}))),
            (Method::POST, format!("/api/meetings/{id}/participants"), Some(json!({"user_ids": []}))),
            (Method::GET, format!("/api/cases/{case}/meetings"), None),
        ];
        for user in [&w.other_coordinator, &w.clinic_admin, &w.social_admin] {
            for (method, path, payload) in &routes {
                let before = app.audit_actions(user).await?.len();
                let mut request = app.client.request(method.clone(), app.url(path)).bearer_auth(&user.token);
                if let Some(payload) = payload {
                    request = request.json(payload);
                }
                let reply = app.raw(request).await?;
                assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}: {}", reply.body);
                let after = app.audit_actions(user).await?;
                assert_eq!(after.len(), before + 1, "{method} {path} audited");
                assert_eq!(after.last().unwrap().1, "denied");
            }
        }
        let unknown = app.get(&w.social_worker, &format!("/api/meetings/{}", uuid::Uuid::new_v4())).await?;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        let listed = app.get(&w.other_coordinator, "/api/meetings").await?;
        assert_eq!(listed.body["items"], json!([]));
        Ok(())
    }

    async fn a_partnership_meeting_needs_no_case_and_shows_to_its_people_only(app) {
        let w = app.world().await?;
        let jobbcoach = app.user(&w.jobbtorg, "jc", &[Role::Jobbcoach]).await?;
        let created = book(&app, &w.rehab_lead, body(None, "uppfoljning_fordjupad_samverkan", 3.0, 4.0, &[&w.coordinator, &jobbcoach])).await?;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert!(created.body["case_id"].is_null());
        assert_eq!(created.body["purpose"], "fordjupad_samverkan");
        let id = created.id();
        assert_eq!(app.get(&jobbcoach, &format!("/api/meetings/{id}")).await?.status, StatusCode::OK);
        assert_eq!(app.get(&w.coordinator, "/api/meetings").await?.body["items"][0]["id"], id);
        assert_eq!(app.get(&w.other_coordinator, &format!("/api/meetings/{id}")).await?.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&w.social_worker, &format!("/api/meetings/{id}")).await?.status, StatusCode::NOT_FOUND, "a colleague who is not invited");
        let added = app.post(&w.rehab_lead, &format!("/api/meetings/{id}/participants"), json!({
            "user_ids": [w.social_worker.id, w.coordinator.id],
            "external_attendees": [{"name": "Extern Konsult", "email": "konsult@example.org"}],
        })).await?;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
        assert_eq!(added.body["sequence"], 1);
        assert_eq!(added.body["participants"].as_array().unwrap().len(), 4);
        assert_eq!(app.get(&w.social_worker, &format!("/api/meetings/{id}")).await?.status, StatusCode::OK);
        assert_eq!(app.event_users(&id).await?, [
            ("meeting.invited".to_owned(), ids(&[&w.rehab_lead, &w.coordinator, &jobbcoach])),
            ("meeting.invited".to_owned(), ids(&[&w.social_worker])),
            ("meeting.updated".to_owned(), ids(&[&w.rehab_lead, &w.coordinator, &jobbcoach])),
        ]);
        let event = app.events_about(&id).await?.remove(0);
        assert_eq!(event.case_id, None);
        let admin = book(&app, &w.rehab_lead, body(None, "other", 3.0, 4.0, &[&w.clinic_admin])).await?;
        assert_eq!(admin.field_codes(), [("participant_user_ids[0]".to_owned(), "invalid_participant".to_owned())]);
        // The organiser and a repeat are skipped, but an error names the position as sent.
        let skipped = book(&app, &w.rehab_lead, body(None, "other", 3.0, 4.0, &[&w.rehab_lead, &w.coordinator, &w.coordinator, &w.clinic_admin])).await?;
        assert_eq!(skipped.field_codes(), [("participant_user_ids[3]".to_owned(), "invalid_participant".to_owned())]);
        let admin_books = book(&app, &w.social_admin, body(None, "other", 3.0, 4.0, &[])).await?;
        assert_eq!(admin_books.status, StatusCode::FORBIDDEN);
        Ok(())
    }

    async fn meeting_events_reach_the_invited_and_no_one_else_live(app) {
        let (w, case, _) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let mut invited = crate::stream::StreamClient::connect(&app, &w.coordinator, None).await?;
        let mut colleague = crate::stream::StreamClient::connect(&app, &w.colleague, None).await?;
        let mut other = crate::stream::StreamClient::connect(&app, &w.other_coordinator, None).await?;
        let id = app.meeting(&w.social_worker, Some(&case), "trepartsmote", &[&w.coordinator]).await?;
        app.post(&w.coordinator, &format!("/api/meetings/{id}/answer"), json!({"answer": "accepted"})).await?;
        app.post_empty(&w.social_worker, &format!("/api/meetings/{id}/cancel")).await?;
        let wait = std::time::Duration::from_secs(5);
        let events = invited.until(wait, |e| e["type"] == "meeting.cancelled").await?;
        // Under load the case's own earlier events may still be on their way; skip them.
        let events: Vec<Value> = events.into_iter().filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("meeting."))).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap_or_default()).collect();
        assert_eq!(kinds, ["meeting.invited", "meeting.answered", "meeting.cancelled"]);
        assert!(events.iter().all(|e| e["subject_id"] == id && e["case_id"] == case));
        let keys: Vec<_> = events[0].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["at", "case_id", "seq", "subject_id", "type"], "thin events only");
        // A colleague who sees the case but is not invited, and another clinic: nothing.
        let quiet = std::time::Duration::from_millis(300);
        for client in [&mut colleague, &mut other] {
            let seen = client.until(quiet, |_| false).await?;
            assert!(seen.iter().all(|e| !e["type"].as_str().unwrap_or_default().starts_with("meeting.")), "{seen:?}");
        }
        Ok(())
    }

    async fn the_lists_and_the_single_meeting_apply_the_same_rule(app) {
        let (w, case, clinic_consent) = case_with_consent(&app, &["informationsutbyte", "sip"]).await?;
        let coach = app.user(&w.jobbtorg, "jc", &[Role::Jobbcoach]).await?;
        app.consent(&w.social_worker, &case, &[&w.jobbtorg], &["finsamteam"]).await?;
        let kinds = ["sip_mote", "finsamteam_mote", "trepartsmote", "avstamningsmote", "gemensam_kartlaggning", "uppfoljning_fordjupad_samverkan", "other"];
        let mut meetings = Vec::new();
        for (n, kind) in kinds.iter().enumerate() {
            let purpose = match *kind { "sip_mote" => "sip", "finsamteam_mote" => "finsamteam", "uppfoljning_fordjupad_samverkan" => "fordjupad_samverkan", _ => "informationsutbyte" };
            let invited: Vec<&TestUser> = match purpose {
                "sip" | "informationsutbyte" => vec![&w.coordinator],
                "finsamteam" => vec![&coach],
                _ => vec![&w.colleague],
            };
            let start = n as f64 * 2.0;
            let reply = book(&app, &w.social_worker, body(Some(&case), kind, start, start + 1.0, &invited)).await?;
            assert_eq!(reply.status, StatusCode::CREATED, "{kind}: {}", reply.body);
            assert_eq!(reply.body["purpose"], purpose, "{kind}");
            meetings.push(reply.id());
        }
        meetings.push(book(&app, &w.coordinator, body(None, "other", 20.0, 21.0, &[&coach])).await?.id());
        let users = [&w.social_worker, &w.colleague, &w.rehab_lead, &w.coordinator, &coach, &w.other_coordinator, &w.clinic_admin];
        for round in ["consents in force", "the clinic's consent ended"] {
            for user in users {
                let mut readable = Vec::new();
                for id in &meetings {
                    let reply = app.get(user, &format!("/api/meetings/{id}")).await?;
                    if reply.status == StatusCode::OK {
                        let takes_part = reply.body["participants"].as_array().unwrap().iter().any(|p| p["user_id"] == user.id.to_string());
                        readable.push((id.clone(), takes_part, !reply.body["case_id"].is_null()));
                    } else {
                        assert_eq!(reply.status, StatusCode::NOT_FOUND);
                    }
                }
                let listed = |reply: Reply| -> Vec<String> {
                    reply.body["items"].as_array().map(|items| items.iter().map(|m| m["id"].as_str().unwrap_or_default().to_owned()).collect()).unwrap_or_default()
                };
                let mine = listed(app.get(user, "/api/meetings?limit=200").await?);
                let expected: Vec<String> = readable.iter().filter(|r| r.1).map(|r| r.0.clone()).collect();
                assert_eq!(mine, expected, "{round}: my meetings for {}", user.id);
                let of_case = listed(app.get(user, &format!("/api/cases/{case}/meetings?limit=200")).await?);
                let expected: Vec<String> = readable.iter().filter(|r| r.2).map(|r| r.0.clone()).collect();
                assert_eq!(of_case, expected, "{round}: the case's meetings for {}", user.id);
            }
            app.end_consent(&w.social_worker, &clinic_consent).await?;
        }
        Ok(())
    }

    async fn the_people_who_can_be_invited_are_listed_per_organisation_without_e_mail(app) {
        let w = app.world().await?;
        let extra = app.user(&w.clinic, "rk-slutat", &[Role::Rehabkoordinator]).await?;
        let off = app.patch(&w.clinic_admin, &format!("/api/users/{}", extra.id), json!({"active": false})).await?;
        assert_eq!(off.status, StatusCode::OK, "{}", off.body);
        let people = app.get(&w.social_worker, &format!("/api/organisations/{}/people", w.clinic.id)).await?;
        assert_eq!(people.status, StatusCode::OK, "{}", people.body);
        let listed = people.body.as_array().unwrap();
        // The coordinator only: not the admin (works with no cases), not the inactive user.
        assert_eq!(listed.len(), 1, "{}", people.body);
        assert_eq!(listed[0]["id"], w.coordinator.id.to_string());
        assert_eq!(listed[0]["display_name"], "Test rk");
        assert_eq!(listed[0]["roles"], json!(["rehabkoordinator"]));
        assert!(listed[0].get("email").is_none(), "no e-mail addresses across agencies");
        assert!(listed[0].get("username").is_none());
        let admin = app.get(&w.social_admin, &format!("/api/organisations/{}/people", w.clinic.id)).await?;
        assert_eq!(admin.status, StatusCode::FORBIDDEN);
        assert_eq!(admin.body["code"], "role_not_allowed");
        let nowhere = app.get(&w.social_worker, &format!("/api/organisations/{}/people", uuid::Uuid::new_v4())).await?;
        assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
        Ok(())
    }
}
