//! An inquiry's follow-up thread: questions and answers between the two organisations, and
//! when each organisation last read it.

use crate::access::policy::{InquiryAccess, InquiryFilter};
use crate::domain::{InquiryId, InquiryPostId, InquiryState, OrganisationId, Timestamp, UserId};
use crate::store::{Reads, RowExt, Sql, StoreResult, Tx};

#[derive(Clone, Debug)]
pub struct Post {
    pub id: InquiryPostId,
    pub inquiry_id: InquiryId,
    pub author_user_id: UserId,
    pub author_name: String,
    pub author_organisation_id: OrganisationId,
    pub author_organisation_name: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// A post to add.
pub struct NewPost<'a> {
    pub id: InquiryPostId,
    pub author: UserId,
    pub organisation: OrganisationId,
    pub body: &'a str,
    pub at: Timestamp,
}

/// Adds a post provided the inquiry is still in one of `open_states`; false otherwise.
pub async fn insert(
    tx: &mut Tx,
    access: &InquiryAccess,
    open_states: &[InquiryState],
    post: &NewPost<'_>,
) -> StoreResult<bool> {
    let inquiry = access.inquiry_id().to_string();
    let mut sql = Sql::new(
        "INSERT INTO inquiry_posts (id, inquiry_id, author_user_id, author_organisation_id, body, created_at) SELECT ",
    );
    sql.bind(post.id.to_string())
        .push(", ")
        .bind(inquiry.as_str())
        .push(", ");
    sql.bind(post.author.to_string())
        .push(", ")
        .bind(post.organisation.to_string())
        .push(", ");
    sql.bind(post.body).push(", ").bind(post.at.micros());
    sql.push(" WHERE EXISTS (SELECT 1 FROM inquiries WHERE id = ")
        .bind(inquiry)
        .push(" AND state IN (");
    for (n, state) in open_states.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " }).bind(state.code());
    }
    sql.push("))");
    Ok(sql.execute(tx).await? == 1)
}

const SELECT_POSTS: &str = "SELECT p.id, p.inquiry_id, p.author_user_id, \
     u.display_name AS author_name, p.author_organisation_id, \
     o.name AS author_organisation_name, p.body, p.created_at \
     FROM inquiry_posts p JOIN users u ON u.id = p.author_user_id \
     JOIN organisations o ON o.id = p.author_organisation_id WHERE p.inquiry_id = ";

/// The thread, oldest first.
pub async fn list(tx: &mut impl Reads, access: &InquiryAccess) -> StoreResult<Vec<Post>> {
    let mut sql = Sql::new(SELECT_POSTS);
    sql.bind(access.inquiry_id().to_string())
        .push(" ORDER BY p.created_at, p.id");
    posts(tx, sql).await
}

/// One post of the thread.
pub async fn get(
    tx: &mut impl Reads,
    access: &InquiryAccess,
    id: InquiryPostId,
) -> StoreResult<Post> {
    let mut sql = Sql::new(SELECT_POSTS);
    sql.bind(access.inquiry_id().to_string())
        .push(" AND p.id = ")
        .bind(id.to_string());
    posts(tx, sql)
        .await?
        .into_iter()
        .next()
        .ok_or(crate::store::StoreError::NotFound)
}

async fn posts(tx: &mut impl Reads, sql: Sql) -> StoreResult<Vec<Post>> {
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok(Post {
                id: row.id("id")?,
                inquiry_id: row.id("inquiry_id")?,
                author_user_id: row.id("author_user_id")?,
                author_name: row.text("author_name")?,
                author_organisation_id: row.id("author_organisation_id")?,
                author_organisation_name: row.text("author_organisation_name")?,
                body: row.text("body")?,
                created_at: Timestamp::from_micros(row.int("created_at")?),
            })
        })
        .collect()
}

/// Records that `organisation` has read the thread up to `at`.
pub async fn mark_seen(
    tx: &mut Tx,
    access: &InquiryAccess,
    organisation: OrganisationId,
    at: Timestamp,
) -> StoreResult<()> {
    let mut sql =
        Sql::new("INSERT INTO inquiry_thread_seen (inquiry_id, organisation_id, seen_at) VALUES (");
    sql.bind(access.inquiry_id().to_string())
        .push(", ")
        .bind(organisation.to_string())
        .push(", ")
        .bind(at.micros());
    sql.push(
        ") ON CONFLICT (inquiry_id, organisation_id) DO UPDATE SET seen_at = excluded.seen_at",
    );
    sql.execute(tx).await?;
    Ok(())
}

/// Posts by the other organisation, in the filter's box, newer than my organisation's
/// last reading of their thread.
pub async fn unread_count(tx: &mut impl Reads, filter: &InquiryFilter) -> StoreResult<i64> {
    let org = filter.organisation().to_string();
    let mut sql = Sql::new(
        "SELECT COUNT(*) AS n FROM inquiry_posts p JOIN inquiries q ON q.id = p.inquiry_id \
         JOIN cases c ON c.id = q.case_id JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id WHERE ",
    );
    filter.push_visible(&mut sql);
    sql.push(" AND p.author_organisation_id <> ")
        .bind(org.as_str())
        .push(" AND p.created_at > COALESCE((SELECT s.seen_at FROM inquiry_thread_seen s WHERE s.inquiry_id = q.id AND s.organisation_id = ")
        .bind(org)
        .push("), 0)");
    sql.fetch_optional(tx).await?.map_or(Ok(0), |r| r.int("n"))
}
