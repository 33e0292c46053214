//! In-app notifications, e-mail preferences, the record of reminders sent, and the look-ups
//! that choose who is notified. Notifications hold a kind and ids, never content.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::sql::ROWS_PER_INSERT;
use super::users::{self, User};
use super::{decode_code, push_values, Reads, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::domain::{
    CaseId, ConsentId, Delivery, InquiryId, InquiryState, MeetingId, NotificationKind,
    OrganisationId, Role, Timestamp, UserId,
};

crate::domain::kinds::code_enum! {
    /// What became of a notification's e-mail.
    EmailState {
        None = "none",
        Immediate = "immediate",
        DigestPending = "digest_pending",
        Digested = "digested",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: UserId,
    pub kind: NotificationKind,
    pub case_id: Option<CaseId>,
    pub subject_id: Option<String>,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, user_id, kind, case_id, subject_id, created_at, read_at";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Notification> {
    Ok(Notification {
        id: row.id("id")?,
        user_id: row.id("user_id")?,
        kind: decode_code(&row.text("kind")?, NotificationKind::from_code)?,
        case_id: row.opt_id("case_id")?,
        subject_id: row.opt_text("subject_id")?,
        created_at: Timestamp::from_micros(row.int("created_at")?),
        read_at: row.opt_int("read_at")?.map(Timestamp::from_micros),
    })
}

/// Several notifications in multi-row INSERTs, each with its e-mail state, written with the
/// transaction's commit (`Tx::write_with_commit`).
pub async fn insert_many(tx: &mut Tx, rows: &[(Notification, EmailState)]) -> StoreResult<()> {
    let insert = format!("INSERT INTO notifications ({COLUMNS}, email) VALUES ");
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        tx.write_with_commit(|sql| {
            push_values(sql, &insert, chunk, |sql, (n, email)| {
                sql.bind(n.id.to_string())
                    .push(", ")
                    .bind(n.user_id.to_string())
                    .push(", ")
                    .bind(n.kind.code())
                    .push(", ");
                sql.bind(n.case_id.map(|c| c.to_string()))
                    .push(", ")
                    .bind(n.subject_id.clone())
                    .push(", ")
                    .bind(n.created_at.micros())
                    .push(", ");
                sql.bind(n.read_at.map(Timestamp::micros))
                    .push(", ")
                    .bind(email.code());
            })
        })
        .await?;
    }
    Ok(())
}

/// The user's notifications, newest first.
pub async fn list(
    tx: &mut impl Reads,
    user: UserId,
    unread_only: bool,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Notification>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE user_id = "
    ));
    sql.bind(user.to_string());
    if unread_only {
        sql.push(" AND read_at IS NULL");
    }
    sql.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    sql.fetch_all(tx).await?.iter().map(from_row).collect()
}

pub async fn unread_count(tx: &mut impl Reads, user: UserId) -> StoreResult<i64> {
    let mut sql =
        Sql::new("SELECT COUNT(*) AS n FROM notifications WHERE read_at IS NULL AND user_id = ");
    sql.bind(user.to_string());
    sql.fetch_optional(tx).await?.map_or(Ok(0), |r| r.int("n"))
}

/// One of the user's own notifications.
pub async fn get(tx: &mut impl Reads, user: UserId, id: Uuid) -> StoreResult<Notification> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM notifications WHERE id = "));
    sql.bind(id.to_string())
        .push(" AND user_id = ")
        .bind(user.to_string());
    from_row(&sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?)
}

/// Marks the user's notifications read (one, or all with `None`); returns how many changed.
pub async fn mark_read(
    tx: &mut Tx,
    user: UserId,
    id: Option<Uuid>,
    at: Timestamp,
) -> StoreResult<u64> {
    let mut sql = Sql::new("UPDATE notifications SET read_at = ");
    sql.bind(at.micros())
        .push(" WHERE read_at IS NULL AND user_id = ")
        .bind(user.to_string());
    if let Some(id) = id {
        sql.push(" AND id = ").bind(id.to_string());
    }
    sql.execute(tx).await
}

/// The user's chosen deliveries; kinds without a row use their default.
pub async fn preferences(
    tx: &mut impl Reads,
    user: UserId,
) -> StoreResult<Vec<(NotificationKind, Delivery)>> {
    let mut sql = Sql::new("SELECT kind, delivery FROM notification_preferences WHERE user_id = ");
    sql.bind(user.to_string());
    let mut chosen = Vec::new();
    for row in sql.fetch_all(tx).await? {
        if let (Some(kind), Some(delivery)) = (
            NotificationKind::from_code(&row.text("kind")?),
            Delivery::from_code(&row.text("delivery")?),
        ) {
            chosen.push((kind, delivery));
        }
    }
    Ok(chosen)
}

pub async fn delivery(
    tx: &mut impl Reads,
    user: UserId,
    kind: NotificationKind,
) -> StoreResult<Delivery> {
    let mut sql = Sql::new("SELECT delivery FROM notification_preferences WHERE user_id = ");
    sql.bind(user.to_string())
        .push(" AND kind = ")
        .bind(kind.code());
    Ok(match sql.fetch_optional(tx).await? {
        Some(row) => Delivery::from_code(&row.text("delivery")?).unwrap_or(kind.default_delivery()),
        None => kind.default_delivery(),
    })
}

/// Who a notice is for: `users`, and with `involved_in` (a case and organisations), for each
/// of those organisations the users who have taken part in the case or, where none has, its
/// active case workers (as `involved_or_case_workers_query`).
#[derive(Clone, Copy, Debug)]
pub struct Whom<'a> {
    pub users: &'a [UserId],
    pub involved_in: Option<(CaseId, &'a [OrganisationId])>,
}

/// The users `whom` names (those that exist, each once), with their roles and how each
/// wants notifications of `kind` (their choice or the kind's default), in one query.
pub async fn recipients(
    tx: &mut impl Reads,
    whom: Whom<'_>,
    kind: NotificationKind,
) -> StoreResult<Vec<(User, Delivery)>> {
    let involved = whom.involved_in.filter(|(_, orgs)| !orgs.is_empty());
    if whom.users.is_empty() && involved.is_none() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!(
        "SELECT {}, r.role, np.delivery FROM users u LEFT JOIN user_roles r ON r.user_id = u.id \
         LEFT JOIN notification_preferences np ON np.user_id = u.id AND np.kind = ",
        users::COLUMNS
    ));
    sql.bind(kind.code()).push(" WHERE u.id IN (");
    for (n, id) in whom.users.iter().enumerate() {
        sql.push(if n == 0 {
            "SELECT "
        } else {
            " UNION ALL SELECT "
        })
        .bind(id.to_string());
    }
    if let Some((case, orgs)) = involved {
        if !whom.users.is_empty() {
            sql.push(" UNION ALL ");
        }
        sql.push("SELECT w.id FROM (");
        push_involved_or_case_workers(&mut sql, case, orgs);
        sql.push(") w");
    }
    sql.push(") ORDER BY u.id, r.role");
    let rows = sql.fetch_all(tx).await?;
    users::with_roles(&rows)?
        .into_iter()
        .map(|(user, row)| {
            let chosen = row.opt_text("delivery")?;
            let delivery = chosen
                .as_deref()
                .and_then(Delivery::from_code)
                .unwrap_or(kind.default_delivery());
            Ok((user, delivery))
        })
        .collect()
}

pub async fn set_preference(
    tx: &mut Tx,
    user: UserId,
    kind: NotificationKind,
    delivery: Delivery,
) -> StoreResult<()> {
    let mut sql =
        Sql::new("INSERT INTO notification_preferences (user_id, kind, delivery) VALUES (");
    sql.bind(user.to_string())
        .push(", ")
        .bind(kind.code())
        .push(", ")
        .bind(delivery.code())
        .push(") ON CONFLICT (user_id, kind) DO UPDATE SET delivery = excluded.delivery");
    sql.execute(tx).await?;
    Ok(())
}

/// Claims a reminder (kind, subject, due): true the first time, false ever after. Inserted
/// in the transaction that notifies, so a reminder is sent exactly once across restarts and
/// processes (a concurrent claimer waits for this one's commit and then finds the row).
pub async fn claim_reminder(
    tx: &mut Tx,
    kind: &str,
    subject: &str,
    due: &str,
) -> StoreResult<bool> {
    let mut sql =
        Sql::new("INSERT INTO reminders_sent (kind, subject_id, due, created_at) VALUES (");
    sql.bind(kind)
        .push(", ")
        .bind(subject)
        .push(", ")
        .bind(due)
        .push(", ")
        .bind(Timestamp::now().micros())
        .push(") ON CONFLICT (kind, subject_id, due) DO NOTHING");
    Ok(sql.execute(tx).await? == 1)
}

/// Users whose digest is due: they have notifications waiting for one.
pub async fn users_with_pending_digest(
    tx: &mut impl Reads,
    limit: i64,
) -> StoreResult<Vec<UserId>> {
    let mut sql = Sql::new("SELECT DISTINCT user_id FROM notifications WHERE email = ");
    sql.bind(EmailState::DigestPending.code())
        .push(" ORDER BY user_id LIMIT ")
        .bind(limit);
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| r.id("user_id"))
        .collect()
}

/// Marks the user's waiting notifications digested; returns the count per kind.
pub async fn take_digest(tx: &mut Tx, user: UserId) -> StoreResult<Vec<(NotificationKind, i64)>> {
    let mut sql = Sql::new("SELECT kind, COUNT(*) AS n FROM notifications WHERE email = ");
    sql.bind(EmailState::DigestPending.code())
        .push(" AND user_id = ")
        .bind(user.to_string())
        .push(" GROUP BY kind ORDER BY kind");
    let mut counts = Vec::new();
    for row in sql.fetch_all(tx).await? {
        if let Some(kind) = NotificationKind::from_code(&row.text("kind")?) {
            counts.push((kind, row.int("n")?));
        }
    }
    let mut sql = Sql::new("UPDATE notifications SET email = ");
    sql.bind(EmailState::Digested.code())
        .push(" WHERE email = ")
        .bind(EmailState::DigestPending.code())
        .push(" AND user_id = ")
        .bind(user.to_string());
    sql.execute(tx).await?;
    Ok(counts)
}

/// Active users of the organisation holding the role.
pub async fn users_with_role(
    tx: &mut impl Reads,
    org: OrganisationId,
    role: Role,
) -> StoreResult<Vec<UserId>> {
    let mut sql = Sql::new(
        "SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id WHERE u.active = 1 AND u.organisation_id = ",
    );
    sql.bind(org.to_string())
        .push(" AND r.role = ")
        .bind(role.code())
        .push(" ORDER BY u.id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| r.id("id"))
        .collect()
}

/// Active users of the organisation who work with cases.
pub async fn case_workers(tx: &mut impl Reads, org: OrganisationId) -> StoreResult<Vec<UserId>> {
    let mut sql = Sql::new(
        "SELECT DISTINCT u.id FROM users u JOIN user_roles r ON r.user_id = u.id WHERE u.active = 1 AND r.role <> 'org_admin' AND u.organisation_id = ",
    );
    sql.bind(org.to_string()).push(" ORDER BY u.id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| r.id("id"))
        .collect()
}

/// Users of `org` who have taken part in the case: received, were assigned or wrote in
/// one of its inquiries, wrote one of its messages, or answered one of its SIP calls.
pub async fn involved_users(
    tx: &mut impl Reads,
    case: CaseId,
    org: OrganisationId,
) -> StoreResult<Vec<UserId>> {
    let mut sql = Sql::new("SELECT u.id FROM users u WHERE u.organisation_id = ");
    sql.bind(org.to_string()).push(" AND ");
    push_involved(&mut sql, case);
    sql.push(" ORDER BY u.id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| r.id("id"))
        .collect()
}

/// For each of `orgs` (in order), the users of it who have taken part in the case (as
/// `involved_users`), or, where none has, its active case workers (as `case_workers`): one
/// query, where asking per organisation took two each while the writer waited. `recipients`
/// runs it inside its own (`Whom::involved_in`); here on its own for its plan to be checked.
pub fn involved_or_case_workers_query(case: CaseId, orgs: &[OrganisationId]) -> Sql {
    let mut sql = Sql::new("");
    push_involved_or_case_workers(&mut sql, case, orgs);
    sql
}

/// The query of `involved_or_case_workers_query` (`orgs` not empty), appended to `sql`.
fn push_involved_or_case_workers(sql: &mut Sql, case: CaseId, orgs: &[OrganisationId]) {
    let in_orgs = |sql: &mut Sql| {
        sql.push(" IN (");
        for (i, org) in orgs.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " })
                .bind(org.to_string());
        }
        sql.push(")");
    };
    sql.push(
        "WITH involved AS (SELECT u.id, u.organisation_id FROM users u WHERE u.organisation_id",
    );
    in_orgs(sql);
    sql.push(" AND ");
    push_involved(sql, case);
    sql.push(
        ") SELECT organisation_id AS org, id FROM involved UNION \
         SELECT u.organisation_id AS org, u.id FROM users u JOIN user_roles r ON r.user_id = u.id \
         WHERE u.active = 1 AND r.role <> 'org_admin' AND u.organisation_id",
    );
    in_orgs(sql);
    sql.push(
        " AND NOT EXISTS (SELECT 1 FROM involved i WHERE i.organisation_id = u.organisation_id) \
         ORDER BY org, id",
    );
}

/// The condition that the user `u` has taken part in the case (see `involved_users`).
fn push_involved(sql: &mut Sql, case: CaseId) {
    let case = case.to_string();
    sql.push("(EXISTS (SELECT 1 FROM inquiries q WHERE q.case_id = ")
        .bind(case.as_str())
        .push(" AND (q.assignee_user_id = u.id OR q.received_by_user_id = u.id OR q.sender_user_id = u.id))");
    sql.push(" OR EXISTS (SELECT 1 FROM inquiry_posts p JOIN inquiries q ON q.id = p.inquiry_id WHERE q.case_id = ")
        .bind(case.as_str())
        .push(" AND p.author_user_id = u.id)");
    sql.push(" OR EXISTS (SELECT 1 FROM sip_call_parties sp JOIN sip_calls s ON s.id = sp.call_id WHERE s.case_id = ")
        .bind(case.as_str())
        .push(" AND sp.answered_by_user_id = u.id)");
    sql.push(" OR EXISTS (SELECT 1 FROM case_messages m WHERE m.case_id = ")
        .bind(case)
        .push(" AND m.author_user_id = u.id))");
}

/// Who takes part in an inquiry, for choosing recipients.
#[derive(Clone, Debug)]
pub struct InquiryPeople {
    pub case_id: CaseId,
    pub sender_user: UserId,
    pub responsible_user: UserId,
    pub recipient: OrganisationId,
    pub assignee: Option<UserId>,
    pub recipient_functional_email: Option<String>,
}

pub async fn inquiry_people(tx: &mut impl Reads, id: InquiryId) -> StoreResult<InquiryPeople> {
    let mut sql = Sql::new(
        "SELECT q.case_id, q.sender_user_id, c.responsible_user_id, q.recipient_organisation_id, \
         q.assignee_user_id, o.functional_email FROM inquiries q JOIN cases c ON c.id = q.case_id \
         JOIN organisations o ON o.id = q.recipient_organisation_id WHERE q.id = ",
    );
    sql.bind(id.to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    Ok(InquiryPeople {
        case_id: row.id("case_id")?,
        sender_user: row.id("sender_user_id")?,
        responsible_user: row.id("responsible_user_id")?,
        recipient: row.id("recipient_organisation_id")?,
        assignee: row.opt_id("assignee_user_id")?,
        recipient_functional_email: row.opt_text("functional_email")?,
    })
}

/// Who recorded the consent, to tell them when someone else ends or annuls it.
pub async fn consent_recorder(tx: &mut impl Reads, id: ConsentId) -> StoreResult<UserId> {
    let mut sql = Sql::new("SELECT recorded_by_user_id FROM consents WHERE id = ");
    sql.bind(id.to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    row.id("recorded_by_user_id")
}

/// Inquiries owed an answer whose answer date is before `today`: (id, answer date).
pub async fn overdue_inquiries(
    tx: &mut impl Reads,
    today: chrono::NaiveDate,
    states: &[InquiryState],
    limit: i64,
) -> StoreResult<Vec<(InquiryId, String)>> {
    let mut sql = Sql::new("SELECT id, answer_by FROM inquiries WHERE state IN (");
    for (n, state) in states.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " }).bind(state.code());
    }
    sql.push(") AND answer_by < ")
        .bind(today.to_string())
        .push(" AND NOT EXISTS (SELECT 1 FROM reminders_sent r WHERE r.kind = 'inquiry_overdue' AND r.subject_id = inquiries.id AND r.due = inquiries.answer_by)")
        .push(" ORDER BY answer_by, id LIMIT ")
        .bind(limit);
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| Ok((r.id("id")?, r.text("answer_by")?)))
        .collect()
}

/// A consent that ends soon, with whom to tell.
#[derive(Clone, Debug)]
pub struct EndingConsent {
    pub id: ConsentId,
    pub case_id: Option<CaseId>,
    pub valid_until: Timestamp,
    pub recorded_by: UserId,
    pub responsible: Option<UserId>,
}

/// Active consents in force that end between `now` and `until`, not yet reminded of.
pub async fn ending_consents(
    tx: &mut impl Reads,
    now: Timestamp,
    until: Timestamp,
    limit: i64,
) -> StoreResult<Vec<EndingConsent>> {
    let mut sql = Sql::new(
        "SELECT k.id, k.case_id, k.valid_until, k.recorded_by_user_id, c.responsible_user_id \
         FROM consents k LEFT JOIN cases c ON c.id = k.case_id WHERE k.status = 'active' AND k.valid_from <= ",
    );
    sql.bind(now.micros())
        .push(" AND k.valid_until > ")
        .bind(now.micros())
        .push(" AND k.valid_until <= ")
        .bind(until.micros())
        .push(" AND NOT EXISTS (SELECT 1 FROM reminders_sent r WHERE r.kind = 'consent_ending' AND r.subject_id = k.id)")
        .push(" ORDER BY k.valid_until, k.id LIMIT ")
        .bind(limit);
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| {
            Ok(EndingConsent {
                id: r.id("id")?,
                case_id: r.opt_id("case_id")?,
                valid_until: Timestamp::from_micros(r.int("valid_until")?),
                recorded_by: r.id("recorded_by_user_id")?,
                responsible: r.opt_id("responsible_user_id")?,
            })
        })
        .collect()
}

/// Scheduled meetings starting after `now` and by `until`, not yet reminded of for that
/// start: (id, start as the reminder's due key).
pub async fn meetings_starting(
    tx: &mut impl Reads,
    now: Timestamp,
    until: Timestamp,
    limit: i64,
) -> StoreResult<Vec<(MeetingId, String)>> {
    let mut sql = Sql::new(
        "SELECT m.id, CAST(m.starts_at AS TEXT) AS due FROM meetings m WHERE m.status = 'scheduled' AND m.starts_at > ",
    );
    sql.bind(now.micros())
        .push(" AND m.starts_at <= ")
        .bind(until.micros())
        .push(" AND NOT EXISTS (SELECT 1 FROM reminders_sent r WHERE r.kind = 'meeting_reminder' AND r.subject_id = m.id AND r.due = CAST(m.starts_at AS TEXT))")
        .push(" ORDER BY m.starts_at, m.id LIMIT ")
        .bind(limit);
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| Ok((r.id("id")?, r.text("due")?)))
        .collect()
}

/// A meeting's participants who have not declined it.
pub async fn meeting_attending_users(
    tx: &mut impl Reads,
    id: MeetingId,
) -> StoreResult<Vec<UserId>> {
    let mut sql = Sql::new("SELECT user_id FROM meeting_participants WHERE meeting_id = ");
    sql.bind(id.to_string())
        .push(" AND (answer IS NULL OR answer <> 'declined') ORDER BY user_id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| r.id("user_id"))
        .collect()
}
