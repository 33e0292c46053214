//! Double bookings: other meetings at an overlapping time (a warning, never a block).

use crate::domain::{MeetingAnswer, MeetingId, MeetingStatus, Timestamp, UserId};
use crate::store::{Reads, RowExt, Sql, StoreResult};

/// One clash: `user` is booked in `meeting` at an overlapping time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clash {
    pub user_id: UserId,
    pub meeting_id: MeetingId,
    /// Whether `asker` takes part in the other meeting too (and so may be told which it is).
    pub asker_takes_part: bool,
}

/// Other scheduled meetings overlapping `[starts_at, ends_at)` that these users have not
/// declined. Returns ids only: nothing about the other meetings' cases.
pub async fn clashes(
    tx: &mut impl Reads,
    users: &[UserId],
    starts_at: Timestamp,
    ends_at: Timestamp,
    except: MeetingId,
    asker: UserId,
) -> StoreResult<Vec<Clash>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT p.user_id, m.id, (SELECT COUNT(*) FROM meeting_participants q WHERE q.meeting_id = m.id AND q.user_id = ",
    );
    sql.bind(asker.to_string()).push(
        ") AS asker_takes_part FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id WHERE p.user_id IN (",
    );
    for (n, user) in users.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " })
            .bind(user.to_string());
    }
    sql.push(") AND m.id <> ")
        .bind(except.to_string())
        .push(" AND m.status = ")
        .bind(MeetingStatus::Scheduled.code());
    sql.push(" AND (p.answer IS NULL OR p.answer <> ")
        .bind(MeetingAnswer::Declined.code())
        .push(")");
    sql.push(" AND m.starts_at < ")
        .bind(ends_at.micros())
        .push(" AND m.ends_at > ")
        .bind(starts_at.micros());
    sql.push(" ORDER BY p.user_id, m.starts_at, m.id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok(Clash {
                user_id: row.id("user_id")?,
                meeting_id: row.id("id")?,
                asker_takes_part: row.int("asker_takes_part")? != 0,
            })
        })
        .collect()
}
