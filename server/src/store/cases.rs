//! Cases (ärenden). Every read takes a policy value: a `CaseFilter` for lists, a
//! `CaseAccess` for one case.

use super::{consents, decode_code, Arg, Reads, RowExt, Sql, StoreError, StoreResult, Tx};
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use crate::access::policy::{CaseAccess, CaseFacts, CaseFilter, CaseWrite, ConsentFacts};
use crate::domain::{
    CaseId, CaseStatus, CloseReason, ConsentId, ConsentStatus, IndividualId, OrganisationId,
    Purpose, Timestamp, UserId,
};

/// A case as shown to someone allowed to see it, with its individual.
#[derive(Clone, Debug)]
pub struct CaseView {
    pub id: CaseId,
    pub title: String,
    pub status: CaseStatus,
    pub individual_id: IndividualId,
    pub personnummer: String,
    pub individual_name: String,
    pub protected_identity: bool,
    pub owner_organisation_id: OrganisationId,
    pub owner_organisation_name: String,
    pub responsible_user_id: UserId,
    pub responsible_user_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub via_consent: Option<ConsentId>,
    /// Why it was closed, while it is.
    pub close_reason: Option<CloseReason>,
    pub close_text: Option<String>,
}

const VIEW_FROM: &str =
    "SELECT c.id, c.title, c.status, c.individual_id, i.personnummer, i.name AS individual_name, \
     i.protected_identity, c.owner_organisation_id, o.name AS owner_organisation_name, \
     c.responsible_user_id, u.display_name AS responsible_user_name, c.created_at, c.updated_at, \
     c.close_reason, c.close_text";
const VIEW_JOIN: &str = " FROM cases c JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id \
     JOIN organisations o ON o.id = c.owner_organisation_id JOIN users u ON u.id = c.responsible_user_id";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<CaseView> {
    Ok(CaseView {
        id: row.id("id")?,
        title: row.text("title")?,
        status: decode_code(&row.text("status")?, CaseStatus::from_code)?,
        individual_id: row.id("individual_id")?,
        personnummer: row.text("personnummer")?,
        individual_name: row.text("individual_name")?,
        protected_identity: row.int("protected_identity")? != 0,
        owner_organisation_id: row.id("owner_organisation_id")?,
        owner_organisation_name: row.text("owner_organisation_name")?,
        responsible_user_id: row.id("responsible_user_id")?,
        responsible_user_name: row.text("responsible_user_name")?,
        created_at: Timestamp::from_micros(row.int("created_at")?),
        updated_at: Timestamp::from_micros(row.int("updated_at")?),
        via_consent: row.opt_id("via_consent")?,
        close_reason: match row.opt_text("close_reason")? {
            Some(code) => Some(decode_code(&code, CloseReason::from_code)?),
            None => None,
        },
        close_text: row.opt_text("close_text")?,
    })
}

/// Filters a caller may add to the case list.
#[derive(Clone, Debug, Default)]
pub struct CaseQuery {
    pub status: Option<CaseStatus>,
    pub responsible_user_id: Option<UserId>,
    pub individual_id: Option<IndividualId>,
    pub case_id: Option<CaseId>,
    pub limit: i64,
    pub offset: i64,
}

/// The cases the filter lets through, newest activity first.
pub async fn list(
    tx: &mut impl Reads,
    filter: &CaseFilter,
    query: &CaseQuery,
) -> StoreResult<Vec<CaseView>> {
    let mut sql = Sql::visible_list(
        VIEW_FROM,
        VIEW_JOIN,
        |sql| filter.push_grant(sql),
        |sql| filter.push_visible(sql),
    );
    sql.and_if(" AND c.status = ", query.status.map(|s| s.code()))
        .and_if(
            " AND c.responsible_user_id = ",
            query.responsible_user_id.map(|u| u.to_string()),
        )
        .and_if(
            " AND c.individual_id = ",
            query.individual_id.map(|i| i.to_string()),
        )
        .and_if(" AND c.id = ", query.case_id.map(|c| c.to_string()))
        .page("c.updated_at DESC, c.id DESC", query.limit, query.offset);
    sql.fetch_all(tx).await?.iter().map(from_row).collect()
}

pub async fn get(tx: &mut impl Reads, access: &CaseAccess) -> StoreResult<CaseView> {
    let mut sql = Sql::new(VIEW_FROM);
    sql.push(", NULL AS via_consent")
        .push(VIEW_JOIN)
        .push(" WHERE c.id = ")
        .bind(access.case_id().to_string());
    let mut view = from_row(&sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?)?;
    view.via_consent = match access.grant() {
        crate::access::policy::Grant::Consent(id) => Some(id),
        crate::access::policy::Grant::Owner => None,
    };
    Ok(view)
}

pub struct NewCase {
    pub id: CaseId,
    pub individual_id: IndividualId,
    pub owner_organisation_id: OrganisationId,
    pub responsible_user_id: UserId,
    pub title: String,
}

pub async fn insert(tx: &mut Tx, case: &NewCase) -> StoreResult<()> {
    let now = Timestamp::now().micros();
    let mut sql = Sql::new(
        "INSERT INTO cases (id, individual_id, owner_organisation_id, responsible_user_id, title, status, created_at, updated_at) VALUES (",
    );
    sql.bind(case.id.to_string())
        .push(", ")
        .bind(case.individual_id.to_string())
        .push(", ");
    sql.bind(case.owner_organisation_id.to_string()).push(", ");
    sql.bind(case.responsible_user_id.to_string())
        .push(", ")
        .bind(case.title.as_str())
        .push(", ");
    sql.bind(CaseStatus::Open.code())
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    sql.execute(tx).await?;
    super::responsibility::start(
        tx,
        case.id,
        case.responsible_user_id,
        Timestamp::from_micros(now),
    )
    .await
}

/// Why a case is closed: the reason and its optional text (`None` when not closing).
pub type CloseWhy<'a> = Option<(CloseReason, Option<&'a str>)>;

/// What a change of a case sets; `None` leaves a column as it is.
#[derive(Default)]
pub struct CaseChange<'a> {
    pub title: Option<&'a str>,
    /// Closing takes its reason; reopening clears it.
    pub status: Option<(CaseStatus, CloseWhy<'a>)>,
    pub responsible: Option<UserId>,
}

pub async fn update(tx: &mut Tx, write: &CaseWrite, change: &CaseChange<'_>) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE cases SET updated_at = ");
    sql.bind(Timestamp::now().micros());
    if let Some(title) = change.title {
        sql.push(", title = ").bind(title);
    }
    if let Some((status, reason)) = change.status {
        sql.push(", status = ").bind(status.code());
        sql.push(", close_reason = ")
            .bind(reason.map(|(code, _)| code.code()))
            .push(", close_text = ")
            .bind(reason.and_then(|(_, text)| text));
    }
    if let Some(user) = change.responsible {
        sql.push(", responsible_user_id = ").bind(user.to_string());
    }
    sql.push(" WHERE id = ")
        .bind(write.access().case_id().to_string());
    if sql.execute(tx).await? == 0 {
        return Err(StoreError::NotFound);
    }
    if let Some((status, _)) = change.status {
        let closed = status == CaseStatus::Closed;
        super::retention::note_status(tx, write.access().case_id(), closed).await?;
    }
    Ok(())
}

const FACTS: &str = "SELECT c.id, c.individual_id, c.owner_organisation_id, c.responsible_user_id, i.protected_identity \
     FROM cases c JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id WHERE ";

async fn facts_from_rows(
    tx: &mut impl Reads,
    rows: Vec<sqlx::any::AnyRow>,
) -> StoreResult<Vec<CaseFacts>> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let consents = consents::facts_for_individual(tx, first.id("individual_id")?).await?;
    rows.iter()
        .map(|row| {
            Ok(CaseFacts {
                case_id: row.id("id")?,
                individual_id: row.id("individual_id")?,
                owner: row.id("owner_organisation_id")?,
                responsible: row.id("responsible_user_id")?,
                protected_identity: row.int("protected_identity")? != 0,
                consents: consents.clone(),
            })
        })
        .collect()
}

/// What the policy needs to decide on one case. Not for display. Read again only where the
/// unit of work cannot know them unchanged (`Reads::kept_facts`).
pub async fn facts(tx: &mut impl Reads, id: CaseId) -> StoreResult<Option<CaseFacts>> {
    if let Some(kept) = tx.kept_facts(id) {
        return Ok(kept);
    }
    let mut sql = Sql::new(&format!("SELECT {ONE_CASE_FACTS} FROM cases c"));
    sql.push(ONE_CASE_FACTS_JOIN)
        .push(" WHERE c.id = ")
        .bind(id.to_string());
    let rows = sql.fetch_all(tx).await?;
    let facts = one_case_facts(&rows)?;
    tx.keep_facts(id, &facts);
    Ok(facts)
}

/// A row of `table` and its case's facts, in one round trip: `columns` of the row (the table
/// is `s`, with an `id` and a `case_id`), read by `decode`, beside `ONE_CASE_FACTS`. What an
/// inquiry, a SIP call, a plan or a referral is decided on with its case. Not for display.
pub(crate) async fn facts_with<T>(
    tx: &mut impl Reads,
    table: &str,
    columns: &str,
    id: impl std::fmt::Display,
    decode: impl FnOnce(&sqlx::any::AnyRow) -> StoreResult<T>,
) -> StoreResult<Option<(T, Option<CaseFacts>)>> {
    let mut sql = Sql::new(&format!(
        "SELECT {columns}, {ONE_CASE_FACTS} FROM {table} s JOIN cases c ON c.id = s.case_id\
         {ONE_CASE_FACTS_JOIN} WHERE s.id = "
    ));
    sql.bind(id.to_string());
    let rows = sql.fetch_all(tx).await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(Some((decode(row)?, one_case_facts(&rows)?)))
}

/// Columns of `one_case_facts`: the case, and each of its individual's consents once per
/// covered organisation and purpose (absent when there is no consent).
const ONE_CASE_FACTS: &str =
    "c.id AS case_id, c.individual_id, c.owner_organisation_id, c.responsible_user_id, \
     i.protected_identity, k.id AS consent_id, k.recorded_by_organisation_id, k.status AS consent_status, \
     k.valid_from, k.valid_until, ko.organisation_id AS consent_organisation, kp.purpose AS consent_purpose";
/// Joins `ONE_CASE_FACTS` needs after `cases c`.
const ONE_CASE_FACTS_JOIN: &str = " JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id \
     LEFT JOIN consents k ON k.individual_id = c.individual_id \
     LEFT JOIN consent_organisations ko ON ko.consent_id = k.id \
     LEFT JOIN consent_purposes kp ON kp.consent_id = k.id";

/// One case's facts from the rows of one round trip over `ONE_CASE_FACTS`.
fn one_case_facts(rows: &[sqlx::any::AnyRow]) -> StoreResult<Option<CaseFacts>> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut consents: BTreeMap<ConsentId, ConsentFacts> = BTreeMap::new();
    for row in rows {
        let Some(id) = row.opt_id::<ConsentId>("consent_id")? else {
            continue;
        };
        let consent = match consents.entry(id) {
            Entry::Occupied(found) => found.into_mut(),
            Entry::Vacant(slot) => slot.insert(ConsentFacts {
                id,
                recorded_by_organisation: row.id("recorded_by_organisation_id")?,
                status: decode_code(&row.text("consent_status")?, ConsentStatus::from_code)?,
                valid_from: Timestamp::from_micros(row.int("valid_from")?),
                valid_until: Timestamp::from_micros(row.int("valid_until")?),
                organisations: Vec::new(),
                purposes: Vec::new(),
            }),
        };
        if let Some(org) = row.opt_id("consent_organisation")? {
            consent.organisations.push(org);
        }
        if let Some(purpose) = row.opt_text("consent_purpose")? {
            consent
                .purposes
                .push(decode_code(&purpose, Purpose::from_code)?);
        }
    }
    let consents = consents
        .into_values()
        .map(|mut c| {
            c.organisations.sort();
            c.organisations.dedup();
            c.purposes.sort();
            c.purposes.dedup();
            c
        })
        .collect();
    Ok(Some(CaseFacts {
        case_id: first.id("case_id")?,
        individual_id: first.id("individual_id")?,
        owner: first.id("owner_organisation_id")?,
        responsible: first.id("responsible_user_id")?,
        protected_identity: first.int("protected_identity")? != 0,
        consents,
    }))
}

/// The policy facts of every case of one individual. Not for display.
pub async fn facts_for_individual(
    tx: &mut impl Reads,
    individual: IndividualId,
) -> StoreResult<Vec<CaseFacts>> {
    let mut sql = Sql::new(FACTS);
    sql.push("c.individual_id = ")
        .bind(individual.to_string())
        .push(" ORDER BY c.id");
    let rows = sql.fetch_all(tx).await?;
    facts_from_rows(tx, rows).await
}

/// The scaffolding every list through a policy filter shares (cases here, inquiries,
/// meetings): the view's columns with the grant that let each row through, only the rows
/// the filter lets through, then the caller's own filters and a page.
impl Sql {
    /// `SELECT <columns>, <grant> AS via_consent <from> WHERE <visible>`.
    pub(crate) fn visible_list(
        columns: &str,
        from: &str,
        grant: impl FnOnce(&mut Sql),
        visible: impl FnOnce(&mut Sql),
    ) -> Sql {
        let mut sql = Sql::new(columns);
        sql.push(", ");
        grant(&mut sql);
        sql.push(" AS via_consent").push(from).push(" WHERE ");
        visible(&mut sql);
        sql
    }

    /// `<condition>` bound to the value, when there is one (`" AND c.status = "`).
    pub(crate) fn and_if(&mut self, condition: &str, value: Option<impl Into<Arg>>) -> &mut Self {
        if let Some(value) = value {
            self.push(condition).bind(value);
        }
        self
    }

    /// ` ORDER BY <order> LIMIT <limit> OFFSET <offset>`.
    pub(crate) fn page(&mut self, order: &str, limit: i64, offset: i64) -> &mut Self {
        self.push(" ORDER BY ")
            .push(order)
            .push(" LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset)
    }
}
