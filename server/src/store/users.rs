//! User accounts and their roles.

use super::{decode_code, Reads, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::domain::{OrganisationId, Role, Timestamp, UserId};

#[derive(Clone, Debug)]
pub struct User {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub active: bool,
    pub roles: Vec<Role>,
}

/// A user with the stored password hash, for login only.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

pub(super) const COLUMNS: &str =
    "u.id, u.organisation_id, u.username, u.display_name, u.email, u.active";

async fn hydrate(tx: &mut impl Reads, row: &sqlx::any::AnyRow) -> StoreResult<User> {
    let id: UserId = row.id("id")?;
    let mut sql = Sql::new("SELECT role FROM user_roles WHERE user_id = ");
    sql.bind(id.to_string()).push(" ORDER BY role");
    let roles = sql
        .fetch_all(tx)
        .await?
        .iter()
        .map(|r| decode_code(&r.text("role")?, Role::from_code))
        .collect::<StoreResult<Vec<_>>>()?;
    from_row(row, id, roles)
}

/// A user from a row with the `COLUMNS` (but its id), given the id and the roles.
pub(super) fn from_row(row: &sqlx::any::AnyRow, id: UserId, roles: Vec<Role>) -> StoreResult<User> {
    Ok(User {
        id,
        organisation_id: row.id("organisation_id")?,
        username: row.text("username")?,
        display_name: row.text("display_name")?,
        email: row.text("email")?,
        active: row.int("active")? != 0,
        roles,
    })
}

pub async fn insert(tx: &mut Tx, user: &User, password_hash: &str) -> StoreResult<()> {
    let mut sql = Sql::new(
        "INSERT INTO users (id, organisation_id, username, display_name, email, password_hash, active, created_at) VALUES (",
    );
    sql.bind(user.id.to_string())
        .push(", ")
        .bind(user.organisation_id.to_string())
        .push(", ");
    sql.bind(user.username.as_str())
        .push(", ")
        .bind(user.display_name.as_str())
        .push(", ");
    sql.bind(user.email.as_str())
        .push(", ")
        .bind(password_hash)
        .push(", ");
    sql.bind(i64::from(user.active))
        .push(", ")
        .bind(Timestamp::now().micros())
        .push(")");
    sql.execute(tx).await?;
    set_roles(tx, user.id, &user.roles).await
}

pub async fn set_roles(tx: &mut Tx, user: UserId, roles: &[Role]) -> StoreResult<()> {
    let mut sql = Sql::new("DELETE FROM user_roles WHERE user_id = ");
    sql.bind(user.to_string());
    sql.execute(tx).await?;
    for role in roles {
        let mut sql = Sql::new("INSERT INTO user_roles (user_id, role) VALUES (");
        sql.bind(user.to_string())
            .push(", ")
            .bind(role.code())
            .push(")");
        sql.execute(tx).await?;
    }
    Ok(())
}

pub async fn update_profile(tx: &mut Tx, user: &User) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE users SET display_name = ");
    sql.bind(user.display_name.as_str())
        .push(", email = ")
        .bind(user.email.as_str());
    sql.push(", active = ")
        .bind(i64::from(user.active))
        .push(" WHERE id = ")
        .bind(user.id.to_string());
    if sql.execute(tx).await? == 0 {
        return Err(StoreError::NotFound);
    }
    set_roles(tx, user.id, &user.roles).await
}

pub async fn set_password_hash(tx: &mut Tx, user: UserId, password_hash: &str) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE users SET password_hash = ");
    sql.bind(password_hash)
        .push(" WHERE id = ")
        .bind(user.to_string());
    match sql.execute(tx).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub async fn get(tx: &mut impl Reads, id: UserId) -> StoreResult<User> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM users u WHERE u.id = "));
    sql.bind(id.to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    hydrate(tx, &row).await
}

/// The users of `rows` (ordered by user, one row per role, `COLUMNS` and `r.role`), each
/// with its first row for the columns a query adds.
pub(super) fn with_roles(
    rows: &[sqlx::any::AnyRow],
) -> StoreResult<Vec<(User, &sqlx::any::AnyRow)>> {
    let mut users = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let id: UserId = rows[start].id("id")?;
        let mut end = start;
        let mut roles = Vec::new();
        while end < rows.len() && rows[end].id::<UserId>("id")? == id {
            if let Some(code) = rows[end].opt_text("role")? {
                roles.push(decode_code(&code, Role::from_code)?);
            }
            end += 1;
        }
        users.push((from_row(&rows[start], id, roles)?, &rows[start]));
        start = end;
    }
    Ok(users)
}

pub async fn credentials(tx: &mut impl Reads, username: &str) -> StoreResult<Option<Credentials>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS}, u.password_hash FROM users u WHERE u.username = "
    ));
    sql.bind(username);
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    let password_hash = row.text("password_hash")?;
    Ok(Some(Credentials {
        user: hydrate(tx, &row).await?,
        password_hash,
    }))
}

pub async fn username_taken(tx: &mut impl Reads, username: &str) -> StoreResult<bool> {
    let mut sql = Sql::new("SELECT 1 AS one FROM users WHERE username = ");
    sql.bind(username);
    Ok(sql.fetch_optional(tx).await?.is_some())
}

pub async fn list_by_organisation(
    tx: &mut impl Reads,
    org: OrganisationId,
) -> StoreResult<Vec<User>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM users u WHERE u.organisation_id = "
    ));
    sql.bind(org.to_string())
        .push(" ORDER BY u.display_name, u.username");
    let rows = sql.fetch_all(tx).await?;
    let mut users = Vec::with_capacity(rows.len());
    for row in &rows {
        users.push(hydrate(tx, row).await?);
    }
    Ok(users)
}

/// When each user of `org` last signed in (users who never did are left out).
pub async fn last_sign_ins(
    tx: &mut impl Reads,
    org: OrganisationId,
) -> StoreResult<std::collections::HashMap<UserId, Timestamp>> {
    let mut sql =
        Sql::new("SELECT id, last_sign_in_at FROM users WHERE last_sign_in_at IS NOT NULL AND organisation_id = ");
    sql.bind(org.to_string());
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.id("id")?,
                Timestamp::from_micros(row.int("last_sign_in_at")?),
            ))
        })
        .collect()
}
