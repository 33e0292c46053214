//! What the server stored, read straight from the store: events, audit rows, the inquiry's
//! life-cycle columns, the outbox.

use super::{TestApp, TestOrg, TestUser};

/// A row of the event log, read straight from the `events` table.
#[derive(Clone, Debug)]
pub struct EventRow {
    pub seq: i64,
    pub kind: String,
    pub case_id: Option<String>,
    pub individual_id: Option<String>,
    pub subject_id: Option<String>,
    pub purpose: Option<String>,
    pub audience: String,
    pub audience_organisations: String,
}

impl EventRow {
    /// The audience organisations, sorted.
    pub fn organisations(&self) -> Vec<String> {
        let mut orgs: Vec<String> = self
            .audience_organisations
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        orgs.sort();
        orgs
    }
}

/// Two organisation ids, sorted, as `EventRow::organisations` gives them.
pub fn sorted_orgs(a: &TestOrg, b: &TestOrg) -> Vec<String> {
    let mut orgs = vec![a.id.to_string(), b.id.to_string()];
    orgs.sort();
    orgs
}

impl TestApp {
    /// How many rows `table` holds, read straight from the store.
    pub async fn row_count(&self, table: &str) -> anyhow::Result<i64> {
        use sqlx::Row as _;
        let mut tx = self.store.begin().await?;
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(tx.conn())
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Audit rows, oldest first, read straight from the store.
    pub async fn audit_rows(&self) -> anyhow::Result<Vec<samverkan::store::audit::AuditRow>> {
        let mut tx = self.store.begin().await?;
        let query = samverkan::store::audit::AuditQuery {
            limit: 100_000,
            ..Default::default()
        };
        let mut rows = samverkan::store::audit::search(&mut tx, &query).await?;
        rows.reverse();
        Ok(rows)
    }

    /// Every event, oldest first, read straight from the `events` table.
    pub async fn events(&self) -> anyhow::Result<Vec<EventRow>> {
        use sqlx::Row as _;
        let mut tx = self.store.begin().await?;
        let rows = sqlx::query(
            "SELECT seq, kind, case_id, individual_id, subject_id, purpose, audience, audience_organisations FROM events ORDER BY seq",
        )
        .fetch_all(tx.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EventRow {
                    seq: r.try_get("seq")?,
                    kind: r.try_get("kind")?,
                    case_id: r.try_get("case_id")?,
                    individual_id: r.try_get("individual_id")?,
                    subject_id: r.try_get("subject_id")?,
                    purpose: r.try_get("purpose")?,
                    audience: r.try_get("audience")?,
                    audience_organisations: r.try_get("audience_organisations")?,
                })
            })
            .collect()
    }

    /// Events about one subject (inquiry or message id), oldest first.
    pub async fn events_about(&self, subject: &str) -> anyhow::Result<Vec<EventRow>> {
        Ok(self
            .events()
            .await?
            .into_iter()
            .filter(|e| e.subject_id.as_deref() == Some(subject))
            .collect())
    }

    /// The audit actions written for `user`, oldest first.
    pub async fn audit_actions(&self, user: &TestUser) -> anyhow::Result<Vec<(String, String)>> {
        let id = user.id.to_string();
        Ok(self
            .audit_rows()
            .await?
            .into_iter()
            .filter(|r| r.user_id.as_deref() == Some(id.as_str()))
            .map(|r| (r.action, r.outcome))
            .collect())
    }

    /// The stored inquiry row's life-cycle columns, to show that a refused step changed nothing.
    pub async fn inquiry_snapshot(&self, id: &str) -> anyhow::Result<String> {
        use sqlx::Row as _;
        let mut tx = self.store.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT state, updated_at, COALESCE(sent_at, -1) AS sent_at, COALESCE(received_at, -1) AS received_at, \
             COALESCE(assignee_user_id, '') AS assignee, COALESCE(assigned_at, -1) AS assigned_at, \
             COALESCE(declined_at, -1) AS declined_at, COALESCE(decline_reason, '') AS decline_reason, \
             COALESCE(withdrawn_at, -1) AS withdrawn_at, COALESCE(closed_at, -1) AS closed_at, questions, \
             (SELECT COUNT(*) FROM inquiry_answers a WHERE a.inquiry_id = q.id) AS answers, \
             (SELECT COUNT(*) FROM inquiry_posts p WHERE p.inquiry_id = q.id) AS posts \
             FROM inquiries q WHERE q.id = '{id}'"
        ))
        .fetch_one(tx.conn())
        .await?;
        let ints = [
            "updated_at",
            "sent_at",
            "received_at",
            "assigned_at",
            "declined_at",
            "withdrawn_at",
            "closed_at",
            "answers",
            "posts",
        ]
        .iter()
        .map(|c| row.try_get::<i64, _>(*c).map(|v| format!("{c}={v}")))
        .collect::<Result<Vec<_>, _>>()?;
        let texts = ["state", "assignee", "decline_reason", "questions"]
            .iter()
            .map(|c| row.try_get::<String, _>(*c).map(|v| format!("{c}={v}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(format!("{} {}", texts.join(" "), ints.join(" ")))
    }

    /// Moves an inquiry's answer date (back-dating makes it overdue).
    pub async fn set_answer_by(&self, id: &str, date: chrono::NaiveDate) -> anyhow::Result<()> {
        let mut tx = self.store.begin().await?;
        samverkan::store::inquiries::set_answer_by(&mut tx, id.parse()?, date).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The users an event about `subject` was addressed to (audience `users`), oldest first.
    pub async fn event_users(&self, subject: &str) -> anyhow::Result<Vec<(String, Vec<String>)>> {
        use sqlx::Row as _;
        let mut tx = self.store.begin().await?;
        let rows = sqlx::query(
            "SELECT kind, audience_users FROM events WHERE subject_id = $1 ORDER BY seq",
        )
        .bind(subject)
        .fetch_all(tx.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let users: String = r.try_get("audience_users")?;
                let mut users: Vec<String> = users
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                users.sort();
                Ok((r.try_get("kind")?, users))
            })
            .collect()
    }

    /// (recipient, kind, sent) of every outbox row, oldest first.
    pub async fn outbox(&self) -> anyhow::Result<Vec<(String, String, bool)>> {
        use sqlx::Row as _;
        let mut tx = self.store.begin().await?;
        let rows = sqlx::query(
            "SELECT recipient, kind, CASE WHEN sent_at IS NULL THEN 'no' ELSE 'yes' END AS sent FROM outbox ORDER BY created_at, id",
        )
        .fetch_all(tx.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let sent: String = r.try_get("sent")?;
                Ok((r.try_get("recipient")?, r.try_get("kind")?, sent == "yes"))
            })
            .collect()
    }
}
