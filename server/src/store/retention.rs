//! Retention (gallring): closed cases' records purged class by class once their period has
//! run, never a case under legal hold; the audit log's oldest rows cut at a checkpoint.
//!
//! A record class belongs to a case (`case_id`) and goes when that case has been closed for
//! longer than the class's period (`case_closures`) and is not held (`case_legal_holds`).
//! Counting and deleting use the same predicate, so a dry run counts what a purge removes.
//! The audit chain can only lose a prefix: the cut is the last row before the first one that
//! must stay, and its sequence number and hash become the checkpoint verification starts from.

use super::{RowExt, Sql, StoreResult, Tx};
use crate::config::RetentionSettings;
use crate::domain::{CaseId, Timestamp, UserId};

const DAY_MICROS: i64 = 86_400_000_000;

/// One class's records: what is counted, and the deletes (the last removes the counted rows).
struct Class {
    name: &'static str,
    count: Sql,
    deletes: Vec<Sql>,
}

/// Rows of one class that went (or, in a dry run, would go).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purged {
    pub class: &'static str,
    pub rows: i64,
}

/// What a purge did (or would do), without any personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeReport {
    pub classes: Vec<Purged>,
    /// The audit chain's new checkpoint (row, hash), when audit rows went.
    pub checkpoint: Option<(i64, String)>,
}

/// Counts (`dry_run`) or purges, as of `now`, in `tx`.
pub async fn purge(
    tx: &mut Tx,
    settings: &RetentionSettings,
    now: Timestamp,
    dry_run: bool,
) -> StoreResult<PurgeReport> {
    let cutoff = |days: i64| now.micros() - days.max(0) * DAY_MICROS;
    let classes = [
        messages(cutoff(settings.messages_days)),
        inquiries(cutoff(settings.inquiries_days)),
        // A SIP call names its meeting, so it goes first, with the meetings' period.
        sip_calls(cutoff(settings.meetings_days)),
        plans(cutoff(settings.plans_days)),
        fordjupad(cutoff(settings.plans_days)),
        meetings(cutoff(settings.meetings_days)),
        consents(cutoff(settings.consents_days), now.micros()),
        notifications(cutoff(settings.notifications_days)),
        sent_email(cutoff(settings.sent_email_days)),
    ];
    let mut report = PurgeReport {
        classes: Vec::new(),
        checkpoint: None,
    };
    for class in classes {
        let rows = if dry_run {
            class
                .count
                .fetch_optional(tx)
                .await?
                .map_or(Ok(0), |r| r.int("n"))?
        } else {
            let mut removed = 0;
            for delete in &class.deletes {
                removed = i64::try_from(delete.execute(tx).await?).unwrap_or(i64::MAX);
            }
            removed
        };
        report.classes.push(Purged {
            class: class.name,
            rows,
        });
    }
    let (rows, checkpoint) = purge_audit(tx, cutoff(settings.audit_days), now, dry_run).await?;
    report.classes.push(Purged {
        class: "audit",
        rows,
    });
    report.checkpoint = checkpoint;
    Ok(report)
}

/// `case_id IN (closed before cutoff, not held)`.
fn push_expired_cases(sql: &mut Sql, cutoff: i64) {
    sql.push("(SELECT cc.case_id FROM case_closures cc WHERE cc.closed_at < ")
        .bind(cutoff)
        .push(" AND cc.case_id NOT IN (SELECT h.case_id FROM case_legal_holds h))");
}

/// A class of rows in `table` whose `case_id` expired, with the rows of `children` (table,
/// column naming the parent's id) deleted first.
fn case_bound(name: &'static str, table: &str, cutoff: i64, children: &[(&str, &str)]) -> Class {
    let parents = |sql: &mut Sql| {
        sql.push(&format!("(SELECT p.id FROM {table} p WHERE p.case_id IN "));
        push_expired_cases(sql, cutoff);
        sql.push(")");
    };
    let mut count = Sql::new(&format!(
        "SELECT COUNT(*) AS n FROM {table} WHERE case_id IN "
    ));
    push_expired_cases(&mut count, cutoff);
    let mut deletes = Vec::new();
    for (child, column) in children {
        let mut sql = Sql::new(&format!("DELETE FROM {child} WHERE {column} IN "));
        parents(&mut sql);
        deletes.push(sql);
    }
    let mut main = Sql::new(&format!("DELETE FROM {table} WHERE case_id IN "));
    push_expired_cases(&mut main, cutoff);
    deletes.push(main);
    Class {
        name,
        count,
        deletes,
    }
}

fn messages(cutoff: i64) -> Class {
    case_bound(
        "messages",
        "case_messages",
        cutoff,
        &[("message_reads", "message_id")],
    )
}

fn inquiries(cutoff: i64) -> Class {
    case_bound(
        "inquiries",
        "inquiries",
        cutoff,
        &[
            ("inquiry_answers", "inquiry_id"),
            ("inquiry_posts", "inquiry_id"),
            ("inquiry_thread_seen", "inquiry_id"),
        ],
    )
}

fn sip_calls(cutoff: i64) -> Class {
    case_bound(
        "sip_calls",
        "sip_calls",
        cutoff,
        &[("sip_call_parties", "call_id")],
    )
}

/// Joint plans with every adopted version, their parties and actions.
fn plans(cutoff: i64) -> Class {
    case_bound(
        "plans",
        "plans",
        cutoff,
        &[
            ("plan_versions", "plan_id"),
            ("plan_parties", "plan_id"),
            ("plan_actions", "plan_id"),
        ],
    )
}

/// A case's fördjupad samverkan with its decisions, codings, phases and follow-ups, with the
/// plans' period (the progressionsplan's context).
fn fordjupad(cutoff: i64) -> Class {
    let mut count = Sql::new("SELECT COUNT(*) AS n FROM fordjupad_cases WHERE case_id IN ");
    push_expired_cases(&mut count, cutoff);
    let deletes = [
        "fordjupad_follow_ups",
        "fordjupad_phases",
        "fordjupad_codings",
        "fordjupad_decisions",
        "fordjupad_cases",
    ]
    .iter()
    .map(|table| {
        let mut sql = Sql::new(&format!("DELETE FROM {table} WHERE case_id IN "));
        push_expired_cases(&mut sql, cutoff);
        sql
    })
    .collect();
    Class {
        name: "fordjupad",
        count,
        deletes,
    }
}

fn meetings(cutoff: i64) -> Class {
    case_bound(
        "meetings",
        "meetings",
        cutoff,
        &[
            ("meeting_participants", "meeting_id"),
            ("meeting_attendees", "meeting_id"),
        ],
    )
}

fn notifications(cutoff: i64) -> Class {
    case_bound("notifications", "notifications", cutoff, &[])
}

/// Consents of an expired case that are no longer in force (ended, annulled or run out); a
/// confirmation made from one keeps its own force and loses only the link.
fn consents(cutoff: i64, now: i64) -> Class {
    let chosen = |sql: &mut Sql| {
        sql.push("(SELECT k.id FROM consents k WHERE k.case_id IN ");
        push_expired_cases(sql, cutoff);
        sql.push(" AND (k.status <> 'active' OR k.valid_until <= ")
            .bind(now)
            .push("))");
    };
    let mut count = Sql::new("SELECT COUNT(*) AS n FROM consents WHERE id IN ");
    chosen(&mut count);
    let mut unlink =
        Sql::new("UPDATE consents SET confirms_consent_id = NULL WHERE confirms_consent_id IN ");
    chosen(&mut unlink);
    let mut deletes = vec![unlink];
    for child in ["consent_organisations", "consent_purposes"] {
        let mut sql = Sql::new(&format!("DELETE FROM {child} WHERE consent_id IN "));
        chosen(&mut sql);
        deletes.push(sql);
    }
    let mut main = Sql::new("DELETE FROM consents WHERE id IN ");
    chosen(&mut main);
    deletes.push(main);
    Class {
        name: "consents",
        count,
        deletes,
    }
}

/// Settled e-mails (sent, given up or superseded) from before `cutoff`; e-mails name no case.
fn sent_email(cutoff: i64) -> Class {
    let predicate = |sql: &mut Sql| {
        sql.push(" WHERE sent_at < ")
            .bind(cutoff)
            .push(" OR failed_at < ")
            .bind(cutoff)
            .push(" OR superseded_at < ")
            .bind(cutoff);
    };
    let mut count = Sql::new("SELECT COUNT(*) AS n FROM outbox");
    predicate(&mut count);
    let mut main = Sql::new("DELETE FROM outbox");
    predicate(&mut main);
    Class {
        name: "sent_email",
        count,
        deletes: vec![main],
    }
}

/// Cuts the audit log before its first row that must stay: one newer than `cutoff`, or one
/// naming a case that is open, under legal hold or closed after `cutoff`.
async fn purge_audit(
    tx: &mut Tx,
    cutoff: i64,
    now: Timestamp,
    dry_run: bool,
) -> StoreResult<(i64, Option<(i64, String)>)> {
    let mut first_kept = Sql::new("SELECT MIN(seq) AS seq FROM audit_log WHERE at >= ");
    first_kept
        .bind(cutoff)
        .push(" OR (case_id IS NOT NULL AND case_id NOT IN ");
    push_expired_cases(&mut first_kept, cutoff);
    first_kept.push(")");
    let first_kept = first_kept
        .fetch_optional(tx)
        .await?
        .map_or(Ok(None), |r| r.opt_int("seq"))?;
    let cut = match first_kept {
        Some(seq) => seq - 1,
        None => Sql::new("SELECT last_seq FROM audit_head WHERE id = 1")
            .fetch_optional(tx)
            .await?
            .map_or(Ok(0), |r| r.int("last_seq"))?,
    };
    let mut count = Sql::new("SELECT COUNT(*) AS n FROM audit_log WHERE seq <= ");
    count.bind(cut);
    let counted = count.fetch_optional(tx).await?;
    let rows = counted.as_ref().map_or(Ok(0), |r| r.int("n"))?;
    if rows == 0 || dry_run {
        return Ok((rows, None));
    }
    let mut at_cut = Sql::new("SELECT hash FROM audit_log WHERE seq = ");
    at_cut.bind(cut);
    let hash = at_cut
        .fetch_optional(tx)
        .await?
        .ok_or(super::StoreError::NotFound)?
        .text("hash")?;
    let mut checkpoint =
        Sql::new("INSERT INTO audit_checkpoint (id, seq, hash, created_at) VALUES (1, ");
    checkpoint
        .bind(cut)
        .push(", ")
        .bind(hash.as_str())
        .push(", ")
        .bind(now.micros())
        .push(
            ") ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
             created_at = excluded.created_at",
        );
    checkpoint.execute(tx).await?;
    let mut delete = Sql::new("DELETE FROM audit_log WHERE seq <= ");
    delete.bind(cut);
    let removed = delete.execute(tx).await?;
    Ok((
        i64::try_from(removed).unwrap_or(i64::MAX),
        Some((cut, hash)),
    ))
}

/// The checkpoint the chain starts from after purged rows: (row, hash), if any were purged.
pub async fn checkpoint(tx: &mut Tx) -> StoreResult<Option<(i64, String)>> {
    // A store from before retention (verify-audit never migrates) has no checkpoint table.
    let exists = match tx.backend() {
        super::Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'audit_checkpoint'"
        }
        super::Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM pg_tables WHERE tablename = 'audit_checkpoint' \
             AND schemaname = current_schema()"
        }
    };
    if Sql::new(exists)
        .fetch_optional(tx)
        .await?
        .map_or(Ok(0), |r| r.int("n"))?
        == 0
    {
        return Ok(None);
    }
    let row = Sql::new("SELECT seq, hash FROM audit_checkpoint WHERE id = 1")
        .fetch_optional(tx)
        .await?;
    row.map(|r| Ok((r.int("seq")?, r.text("hash")?)))
        .transpose()
}

/// Notes that `case_id` was closed now, unless it already was; a reopened case forgets it.
pub async fn note_status(tx: &mut Tx, case_id: CaseId, closed: bool) -> StoreResult<()> {
    let sql = if closed {
        let mut sql = Sql::new("INSERT INTO case_closures (case_id, closed_at) VALUES (");
        sql.bind(case_id.to_string())
            .push(", ")
            .bind(Timestamp::now().micros())
            .push(") ON CONFLICT (case_id) DO NOTHING");
        sql
    } else {
        let mut sql = Sql::new("DELETE FROM case_closures WHERE case_id = ");
        sql.bind(case_id.to_string());
        sql
    };
    sql.execute(tx).await?;
    Ok(())
}

/// A case's legal hold, if it has one.
#[derive(Clone, Debug)]
pub struct LegalHold {
    pub reason: String,
    pub set_by: UserId,
    pub set_at: Timestamp,
}

/// Sets (or replaces) the hold on the case `access` names.
pub async fn set_hold(
    tx: &mut Tx,
    access: &crate::access::policy::LegalHoldAccess,
    hold: &LegalHold,
) -> StoreResult<()> {
    let mut sql =
        Sql::new("INSERT INTO case_legal_holds (case_id, reason, set_by_user_id, set_at) VALUES (");
    sql.bind(access.case_id().to_string())
        .push(", ")
        .bind(hold.reason.as_str())
        .push(", ")
        .bind(hold.set_by.to_string())
        .push(", ")
        .bind(hold.set_at.micros())
        .push(
            ") ON CONFLICT (case_id) DO UPDATE SET reason = excluded.reason, \
             set_by_user_id = excluded.set_by_user_id, set_at = excluded.set_at",
        );
    sql.execute(tx).await?;
    Ok(())
}

/// Clears the hold; whether there was one.
pub async fn clear_hold(
    tx: &mut Tx,
    access: &crate::access::policy::LegalHoldAccess,
) -> StoreResult<bool> {
    let mut sql = Sql::new("DELETE FROM case_legal_holds WHERE case_id = ");
    sql.bind(access.case_id().to_string());
    Ok(sql.execute(tx).await? > 0)
}
