//! Secure messages in a case, with read receipts (who, which organisation, when). Reads take
//! a `MessagesAccess` (the case, seen for `informationsutbyte`) or a `MessageAccess`.

use std::collections::BTreeMap;

use super::{Backend, Reads, RowExt, Sql, Store, StoreError, StoreResult, Tx};
use crate::access::policy::{MessageAccess, MessagesAccess};
use crate::domain::{CaseId, MessageId, OrganisationId, Timestamp, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub user_id: UserId,
    pub user_name: String,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub read_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct Message {
    pub id: MessageId,
    pub case_id: CaseId,
    pub author_user_id: UserId,
    pub author_name: String,
    pub author_organisation_id: OrganisationId,
    pub author_organisation_name: String,
    pub body: String,
    pub created_at: Timestamp,
    pub receipts: Vec<Receipt>,
}

/// Which case a message belongs to, for the policy. Not for display.
pub async fn case_of(tx: &mut impl Reads, id: MessageId) -> StoreResult<Option<CaseId>> {
    let mut sql = Sql::new("SELECT case_id FROM case_messages WHERE id = ");
    sql.bind(id.to_string());
    sql.fetch_optional(tx)
        .await?
        .map(|row| row.id("case_id"))
        .transpose()
}

/// Who writes a message, with the names it is shown with.
#[derive(Clone, Debug)]
pub struct Author {
    pub user: UserId,
    pub name: String,
    pub organisation: OrganisationId,
    pub organisation_name: String,
}

/// The author `user` of `organisation` with their names, for a message about to be written:
/// staff and organisation names, not a person's data. `NotFound` when the user is not of
/// that organisation.
pub async fn author(
    read: &mut impl Reads,
    user: UserId,
    organisation: OrganisationId,
) -> StoreResult<Author> {
    let mut sql = Sql::new(
        "SELECT u.display_name, o.name FROM users u JOIN organisations o \
         ON o.id = u.organisation_id WHERE u.id = ",
    );
    sql.bind(user.to_string())
        .push(" AND o.id = ")
        .bind(organisation.to_string());
    let row = sql
        .fetch_optional(read)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Author {
        user,
        name: row.text("display_name")?,
        organisation,
        organisation_name: row.text("name")?,
    })
}

/// `author`, read before the write's transaction where that spares the writer: on SQLite on
/// a reader, so the single writer does not wait for it. On PostgreSQL, where a second
/// connection costs more than reading it in the write's own transaction, it is read there
/// (`AuthorBefore::in_tx`).
pub async fn author_before_write(
    store: &Store,
    user: UserId,
    organisation: OrganisationId,
) -> StoreResult<AuthorBefore> {
    match store.backend() {
        Backend::Sqlite => Ok(AuthorBefore::Read(
            author(&mut store.read().await?, user, organisation).await?,
        )),
        Backend::Postgres => Ok(AuthorBefore::InTx { user, organisation }),
    }
}

/// A message's author as `author_before_write` left it: read, or still to be read in the
/// write's transaction.
pub enum AuthorBefore {
    Read(Author),
    InTx {
        user: UserId,
        organisation: OrganisationId,
    },
}

impl AuthorBefore {
    /// The author, read in `tx` unless it was read before.
    pub async fn in_tx(self, tx: &mut Tx) -> StoreResult<Author> {
        match self {
            Self::Read(author) => Ok(author),
            Self::InTx { user, organisation } => author(tx, user, organisation).await,
        }
    }
}

/// Writes a message by `author` in the case `access` is for, with the transaction's commit
/// (`Tx::write_with_commit`: on SQLite no round trip of its own on the writer), and returns it
/// as it is stored.
pub async fn insert(
    tx: &mut Tx,
    access: &MessagesAccess,
    id: MessageId,
    author: Author,
    body: &str,
    at: Timestamp,
) -> StoreResult<Message> {
    let case_id = access.case().case_id();
    tx.write_with_commit(|sql| {
        sql.push(
            "INSERT INTO case_messages (id, case_id, author_user_id, author_organisation_id, \
             body, created_at) VALUES (",
        )
        .bind(id.to_string())
        .push(", ")
        .bind(case_id.to_string())
        .push(", ");
        sql.bind(author.user.to_string())
            .push(", ")
            .bind(author.organisation.to_string())
            .push(", ");
        sql.bind(body).push(", ").bind(at.micros()).push(")");
    })
    .await?;
    Ok(Message {
        id,
        case_id,
        author_user_id: author.user,
        author_name: author.name,
        author_organisation_id: author.organisation,
        author_organisation_name: author.organisation_name,
        body: body.to_owned(),
        created_at: at,
        receipts: Vec::new(),
    })
}

const VIEW: &str = "SELECT m.id, m.case_id, m.author_user_id, u.display_name AS author_name, \
     m.author_organisation_id, o.name AS author_organisation_name, m.body, m.created_at \
     FROM case_messages m JOIN users u ON u.id = m.author_user_id \
     JOIN organisations o ON o.id = m.author_organisation_id WHERE m.case_id = ";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Message> {
    Ok(Message {
        id: row.id("id")?,
        case_id: row.id("case_id")?,
        author_user_id: row.id("author_user_id")?,
        author_name: row.text("author_name")?,
        author_organisation_id: row.id("author_organisation_id")?,
        author_organisation_name: row.text("author_organisation_name")?,
        body: row.text("body")?,
        created_at: Timestamp::from_micros(row.int("created_at")?),
        receipts: Vec::new(),
    })
}

/// Fills in each message's receipts, oldest first.
async fn with_receipts(
    tx: &mut impl Reads,
    mut messages: Vec<Message>,
) -> StoreResult<Vec<Message>> {
    if messages.is_empty() {
        return Ok(messages);
    }
    let mut sql = Sql::new(
        "SELECT r.message_id, r.user_id, u.display_name AS user_name, r.organisation_id, \
         o.name AS organisation_name, r.read_at FROM message_reads r \
         JOIN users u ON u.id = r.user_id JOIN organisations o ON o.id = r.organisation_id \
         WHERE r.message_id IN (",
    );
    for (n, message) in messages.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " })
            .bind(message.id.to_string());
    }
    sql.push(") ORDER BY r.read_at, r.user_id");
    let mut by_message: BTreeMap<MessageId, Vec<Receipt>> = BTreeMap::new();
    for row in sql.fetch_all(tx).await? {
        by_message
            .entry(row.id("message_id")?)
            .or_default()
            .push(Receipt {
                user_id: row.id("user_id")?,
                user_name: row.text("user_name")?,
                organisation_id: row.id("organisation_id")?,
                organisation_name: row.text("organisation_name")?,
                read_at: Timestamp::from_micros(row.int("read_at")?),
            });
    }
    for message in &mut messages {
        message.receipts = by_message.remove(&message.id).unwrap_or_default();
    }
    Ok(messages)
}

/// The case's messages, oldest first.
pub async fn list(
    tx: &mut impl Reads,
    access: &MessagesAccess,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Message>> {
    let mut sql = Sql::new(VIEW);
    sql.bind(access.case().case_id().to_string())
        .push(" ORDER BY m.created_at, m.id LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let messages = sql
        .fetch_all(tx)
        .await?
        .iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    with_receipts(tx, messages).await
}

pub async fn get(tx: &mut impl Reads, access: &MessageAccess) -> StoreResult<Message> {
    let mut sql = Sql::new(VIEW);
    sql.bind(access.messages().case().case_id().to_string())
        .push(" AND m.id = ")
        .bind(access.message_id().to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    let message = from_row(&row)?;
    with_receipts(tx, vec![message])
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

/// Records that `user` read the message; false when they already had.
pub async fn mark_read(
    tx: &mut Tx,
    access: &MessageAccess,
    user: UserId,
    organisation: OrganisationId,
    at: Timestamp,
) -> StoreResult<bool> {
    let mut sql = Sql::new(
        "INSERT INTO message_reads (message_id, user_id, organisation_id, read_at) VALUES (",
    );
    sql.bind(access.message_id().to_string())
        .push(", ")
        .bind(user.to_string())
        .push(", ");
    sql.bind(organisation.to_string())
        .push(", ")
        .bind(at.micros())
        .push(") ON CONFLICT (message_id, user_id) DO NOTHING");
    Ok(sql.execute(tx).await? == 1)
}
