//! `samverkan admin …`: create organisations and users, check the audit chain.

use std::io::BufRead;
use std::path::PathBuf;

use clap::Subcommand;

use crate::access::password;
use crate::backup;
use crate::config::Settings;
use crate::domain::{OrganisationId, OrganisationKind, Role, UserId};
use crate::store::audit::{self, ChainReport};
use crate::store::organisations::{self, Organisation};
use crate::store::users::{self, User};
use crate::store::Store;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an organisation.
    CreateOrganisation {
        #[arg(long)]
        name: String,
        /// socialtjanst, vardcentral, psykiatri, jobbtorg, forsakringskassan, arbetsformedlingen, samordningsforbund
        #[arg(long)]
        kind: String,
        /// Functional mailbox (funktionsbrevlåda).
        #[arg(long)]
        functional_email: Option<String>,
    },
    /// Create a user; the password is read from the first line of standard input.
    CreateUser {
        /// The organisation's exact name.
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        email: String,
        /// One or more: socialsekreterare, rehabansvarig, bitradande_enhetschef, rehabkoordinator,
        /// finsamkoordinator, handlaggare, arbetsformedlare, jobbcoach, org_admin
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Check the audit log's hash chain, reading only; exits non-zero naming the first changed
    /// or missing row, or when there is no store at database.url.
    VerifyAudit {
        /// A head seen earlier (the hub logs it at start and daily, and shows it on
        /// /metrics): the chain must still reach row ROW with hash HASH, so a chain
        /// rewritten from some row on, hashes and all, is caught.
        #[arg(long, value_name = "ROW:HASH", value_parser = parse_head)]
        expect_head: Option<(i64, String)>,
    },
    /// Write a consistent copy of the SQLite store to FILE while the hub serves (PostgreSQL:
    /// use pg_dump, see the README).
    Backup { file: PathBuf },
    /// Replace the SQLite store with the backup FILE, after checking its audit chain; the hub
    /// must be stopped (refused while any process has the store open).
    Restore { file: PathBuf },
    /// Purge what the retention periods ([retention]) let go: closed cases' records, settled
    /// e-mails and the oldest audit rows (leaving a checkpoint). Prints counts per class only.
    Purge {
        /// Count what would go; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `ROW:HASH`: a row number from 1 and a SHA-256 in hex.
fn parse_head(text: &str) -> Result<(i64, String), String> {
    let (row, hash) = text
        .split_once(':')
        .ok_or("expected ROW:HASH, e.g. 1234:9f86d0…")?;
    let row = row
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|row| *row >= 1)
        .ok_or("ROW must be a row number from 1")?;
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("HASH must be 64 hexadecimal digits (SHA-256)".into());
    }
    Ok((row, hash))
}

pub async fn run(settings: &Settings, command: AdminCommand) -> anyhow::Result<()> {
    // Backup and restore work on the store's file, never through a migrating connection.
    match &command {
        AdminCommand::Backup { file } => {
            let rows = backup::backup(&settings.database, file).await?;
            println!(
                "backup written to {}: audit chain intact, {rows} rows",
                file.display()
            );
            return Ok(());
        }
        AdminCommand::Restore { file } => {
            let rows = backup::restore(&settings.database, file).await?;
            println!(
                "store replaced by {}: audit chain intact, {rows} rows; start the hub",
                file.display()
            );
            return Ok(());
        }
        _ => {}
    }
    // Checking must not change what it checks: no file created, no migration run.
    let store = match command {
        AdminCommand::VerifyAudit { .. } => Store::open_read_only(&settings.database).await?,
        _ => Store::connect(&settings.database).await?,
    };
    match command {
        AdminCommand::CreateOrganisation {
            name,
            kind,
            functional_email,
        } => {
            let kind = OrganisationKind::from_code(&kind)
                .ok_or_else(|| anyhow::anyhow!("unknown organisation kind {kind:?}"))?;
            let id = create_organisation(&store, &name, kind, functional_email).await?;
            println!("{id}");
        }
        AdminCommand::CreateUser {
            organisation,
            username,
            display_name,
            email,
            roles,
        } => {
            let roles = roles
                .iter()
                .map(|r| Role::from_code(r).ok_or_else(|| anyhow::anyhow!("unknown role {r:?}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let password = line.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 12 {
                anyhow::bail!(
                    "the password (first line of standard input) must have at least 12 characters"
                );
            }
            let mut tx = store.begin().await?;
            let org = organisations::find_by_name(&mut tx, &organisation)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no organisation named {organisation:?}"))?;
            drop(tx);
            let id = create_user(
                &store,
                org.id,
                &username,
                &display_name,
                &email,
                password,
                roles,
            )
            .await?;
            println!("{id}");
        }
        AdminCommand::VerifyAudit { expect_head } => {
            let report = verify_audit(&store).await?;
            match report {
                ChainReport::Intact { rows } => {
                    if let Some((row, hash)) = expect_head {
                        reaches_head(&store, rows, row, &hash).await?;
                        println!("audit log intact: {rows} rows, reaching row {row} as expected");
                    } else {
                        println!("audit log intact: {rows} rows");
                    }
                }
                ChainReport::Changed { seq } => {
                    anyhow::bail!("audit log row {seq} has been changed")
                }
                ChainReport::Missing { seq } => anyhow::bail!("audit log row {seq} is missing"),
            }
        }
        AdminCommand::Purge { dry_run } => {
            let report = crate::retention::purge(
                &store,
                &settings.retention,
                crate::domain::Timestamp::now(),
                dry_run,
            )
            .await?;
            print!("{}", crate::retention::describe(&report, dry_run));
        }
        AdminCommand::Backup { .. } | AdminCommand::Restore { .. } => {}
    }
    store.close().await;
    Ok(())
}

pub async fn create_organisation(
    store: &Store,
    name: &str,
    kind: OrganisationKind,
    functional_email: Option<String>,
) -> anyhow::Result<OrganisationId> {
    let org = Organisation {
        id: OrganisationId::new(),
        name: name.to_owned(),
        kind,
        functional_email,
    };
    let mut tx = store.begin().await?;
    organisations::insert(&mut tx, &org).await?;
    tx.commit().await?;
    Ok(org.id)
}

pub async fn create_user(
    store: &Store,
    organisation_id: OrganisationId,
    username: &str,
    display_name: &str,
    email: &str,
    password: &str,
    roles: Vec<Role>,
) -> anyhow::Result<UserId> {
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || password::hash(&password)).await??;
    let user = User {
        id: UserId::new(),
        organisation_id,
        username: username.to_owned(),
        display_name: display_name.to_owned(),
        email: email.to_owned(),
        active: true,
        roles,
    };
    let mut tx = store.begin().await?;
    users::insert(&mut tx, &user, &hash).await?;
    tx.commit().await?;
    Ok(user.id)
}

/// After an intact chain of `rows` rows: fails, naming the problem, unless row `row` is
/// there with hash `hash`.
/// Does the intact chain of `rows` rows still reach row `row` with `hash`? After retention
/// purged the oldest rows, the chain starts after its checkpoint: a head at the checkpoint is
/// checked against it, and an older one can no longer be proven either way.
pub async fn reaches_head(store: &Store, rows: i64, row: i64, hash: &str) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    let checkpoint = crate::store::retention::checkpoint(&mut tx).await?;
    let last = checkpoint.as_ref().map_or(0, |(seq, _)| *seq) + rows;
    if row > last {
        anyhow::bail!(
            "the audit log ends at row {last}, before the expected head row {row}: \
             rows after {last} were removed or the chain was rebuilt shorter"
        );
    }
    let found = match checkpoint {
        Some((seq, _)) if row < seq => anyhow::bail!(
            "audit log row {row} was purged by retention (the chain now starts after its \
             checkpoint at row {seq}): check against a head recorded at or after row {seq}"
        ),
        Some((seq, checkpoint_hash)) if row == seq => Some(checkpoint_hash),
        _ => audit::hash_of(&mut tx, row).await?,
    };
    match found {
        Some(found) if found.eq_ignore_ascii_case(hash) => Ok(()),
        Some(found) => anyhow::bail!(
            "audit log row {row} has hash {found}, not the expected {hash}: \
             the chain was rewritten at or before row {row}"
        ),
        None => anyhow::bail!("audit log row {row} is missing"),
    }
}

pub async fn verify_audit(store: &Store) -> anyhow::Result<ChainReport> {
    let mut tx = store.begin().await?;
    Ok(audit::verify(&mut tx).await?)
}

#[cfg(test)]
mod tests {
    use super::parse_head;

    #[test]
    fn an_expected_head_is_a_row_and_a_sha256() {
        let hash = "AB".repeat(32);
        assert_eq!(parse_head(&format!("42:{hash}")), Ok((42, "ab".repeat(32))));
        assert!(parse_head(&format!("0:{hash}")).is_err());
        assert!(parse_head(&format!("x:{hash}")).is_err());
        assert!(parse_head("42:abc").is_err());
        assert!(parse_head(&"ab".repeat(32)).is_err());
        assert!(parse_head(&format!("42:{}", "zz".repeat(32))).is_err());
    }
}
