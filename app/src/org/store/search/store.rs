//! Staff search: current staff found by a part of their name, reading, login or personnel
//! number, for every page where someone picks a person (the memo form now, the schedule's
//! participant picker next). Fast at city scale through `staff_search_terms`, every suffix of
//! each folded field (see `fold.rs` and migration 0007), so that a partial match is one index
//! range on both backends; the search first brings up to date the terms of staff that the
//! database's triggers queued as changed.

#[path = "fold.rs"]
mod fold;

use sqlx::{Any, AnyPool, Transaction};
use tracing::{info, warn};

use fold::fold;

use super::placeholders;
use crate::org::model::{DepartmentId, Employment, Staff, StaffId};

/// Longest search text, in characters.
pub const MAX_QUERY_CHARS: usize = 50;

/// Staff whose terms one transaction rewrites: on SQLite a batch holds the write lock for
/// about a tenth of a second, so bookings and memos keep going while a whole city is built.
const REFRESH_STAFF: i64 = 500;

/// How often [`keep_search_current`] looks for queued staff.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Term rows per `INSERT`: 3 values each, 3,000 in all, under both backends' limits.
const TERM_ROWS: usize = 1000;

/// What someone typed to find a member of staff, folded for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffQuery {
    folded: String,
    after: String,
    /// One character only: match the start of a field, not anywhere in it. 「た」 anywhere
    /// would be most of the city; at the start it is the 田中s and the たかはしs.
    starts_only: bool,
}

impl StaffQuery {
    /// The query for `text`, or `None` when nothing is left to search for once folded
    /// (blank, or only spaces and dots) or it is longer than [`MAX_QUERY_CHARS`].
    pub fn parse(text: &str) -> Option<StaffQuery> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return None;
        }
        let folded = fold(text.trim());
        let after = fold::after_prefix(&folded)?;
        let starts_only = folded.chars().count() == 1;
        Some(StaffQuery {
            folded,
            after,
            starts_only,
        })
    }

    /// The folded text.
    pub fn folded(&self) -> &str {
        &self.folded
    }
}

/// A member of staff found by a search, with where they sit in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffHit {
    /// The member of staff (current, never retired).
    pub staff: Staff,
    /// Their department with the one above it (「総務部 総務課」), which tells apart
    /// namesakes and same-named 係.
    pub department: String,
    /// Whether the query matched the start of a field rather than its middle.
    pub prefix: bool,
}

#[derive(sqlx::FromRow)]
struct HitRow {
    id: i64,
    login: String,
    employee_no: String,
    name: String,
    kana: String,
    department_id: i64,
    position: String,
    mail: String,
    retired: i64,
    department: String,
    rank: i64,
}

/// Current staff matching `query` anywhere in their name, reading, login or personnel
/// number (a one-character query: at the start of one), those matched at the start of a
/// field first, then by reading; at most `limit`, and whether more matched.
pub async fn search_staff(
    pool: &AnyPool,
    query: &StaffQuery,
    limit: usize,
) -> Result<(Vec<StaffHit>, bool), sqlx::Error> {
    if let Err(error) = refresh_search_terms(pool).await {
        // A busy writer (a long HR import) only delays the refresh: search what is there.
        if crate::error::is_busy(&error) {
            warn!(%error, "staff search terms not refreshed: database busy");
        } else {
            return Err(error);
        }
    }
    let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    // A literal `position = 0`, so that both backends can use the partial index of field
    // starts (migration 0009).
    let starts = if query.starts_only {
        "AND t.position = 0 "
    } else {
        ""
    };
    let sql = format!(
        "SELECT s.id, s.login, s.employee_no, s.name, s.kana, s.department_id, s.position, \
                s.mail, s.retired, COALESCE(p.name || ' ', '') || d.name AS department, \
                MIN(t.position) AS rank \
         FROM staff_search_terms t \
         JOIN staff s ON s.id = t.staff_id \
         JOIN departments d ON d.id = s.department_id \
         LEFT JOIN departments p ON p.id = d.parent_id \
         WHERE t.term >= $1 AND t.term < $2 {starts}AND s.retired = 0 \
         GROUP BY s.id, s.login, s.employee_no, s.name, s.kana, s.department_id, s.position, \
                  s.mail, s.retired, d.name, p.name \
         ORDER BY rank, s.kana, s.id LIMIT $3"
    );
    let rows = sqlx::query_as::<_, HitRow>(&sql)
        .bind(query.folded.as_str())
        .bind(query.after.as_str())
        .bind(fetch)
        .fetch_all(pool)
        .await?;
    let more = rows.len() > limit;
    let hits = rows
        .into_iter()
        .take(limit)
        .map(|row| StaffHit {
            prefix: row.rank == 0,
            department: row.department,
            staff: Staff {
                id: StaffId(row.id),
                login: row.login,
                employee_no: row.employee_no,
                name: row.name,
                kana: row.kana,
                department_id: DepartmentId(row.department_id),
                position: row.position,
                mail: row.mail,
                employment: Employment::from_flag(row.retired),
            },
        })
        .collect();
    Ok((hits, more))
}

/// Keeps the search terms current in the background: at once (after the migration or a city
/// load every member of staff is queued) and then every minute, so that a search rarely finds
/// more than a few changed staff to refresh first. Runs until the app stops.
pub async fn keep_search_current(pool: AnyPool) {
    let mut tick = tokio::time::interval(REFRESH_EVERY);
    loop {
        tick.tick().await;
        if let Err(error) = refresh_search_terms(&pool).await {
            warn!(%error, "staff search terms not refreshed; the next search or minute retries");
        }
    }
}

/// Rewrites the search terms of every member of staff the triggers queued as changed (all of
/// them after the migration or a city load), a batch per transaction; returns how many. Two
/// app nodes refreshing at once write the same terms, which the second one skips.
pub async fn refresh_search_terms(pool: &AnyPool) -> Result<usize, sqlx::Error> {
    let sqlite = is_sqlite(pool);
    let mut done = 0;
    loop {
        let queued: Option<i64> = sqlx::query_scalar("SELECT seq FROM staff_search_stale LIMIT 1")
            .fetch_optional(pool)
            .await?;
        if queued.is_none() {
            break;
        }
        let mut tx = if sqlite {
            pool.begin_with("BEGIN IMMEDIATE").await?
        } else {
            pool.begin().await?
        };
        // SQLite's write lock already keeps other refreshes out; on PostgreSQL another node
        // may be refreshing, and skipping the entries it holds leaves them to it.
        let sql = if sqlite {
            "SELECT seq, staff_id FROM staff_search_stale ORDER BY seq LIMIT $1"
        } else {
            "SELECT seq, staff_id FROM staff_search_stale ORDER BY seq LIMIT $1 \
             FOR UPDATE SKIP LOCKED"
        };
        let stale: Vec<(i64, i64)> = sqlx::query_as(sql)
            .bind(REFRESH_STAFF)
            .fetch_all(&mut *tx)
            .await?;
        if stale.is_empty() {
            // Another node refreshed them in the meantime, or is refreshing them now.
            tx.rollback().await?;
            break;
        }
        let mut people: Vec<i64> = stale.iter().map(|(_, staff)| *staff).collect();
        people.sort_unstable();
        people.dedup();
        rewrite(&mut tx, &people).await?;
        // Only the queue entries read above: a change committed since has its own entry.
        for chunk in stale.chunks(TERM_ROWS) {
            let sql = format!(
                "DELETE FROM staff_search_stale WHERE seq IN ({})",
                placeholders(1, chunk.len())
            );
            let mut delete = sqlx::query(&sql);
            for (seq, _) in chunk {
                delete = delete.bind(*seq);
            }
            delete.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        done += people.len();
    }
    if done > 0 {
        info!(
            staff = done,
            "staff search terms refreshed for {done} staff"
        );
    }
    Ok(done)
}

/// Replaces the terms of `people` with terms made from their current fields.
async fn rewrite(tx: &mut Transaction<'static, Any>, people: &[i64]) -> Result<(), sqlx::Error> {
    let mut terms: Vec<(String, i64, i64)> = Vec::new();
    for chunk in people.chunks(TERM_ROWS) {
        let list = placeholders(1, chunk.len());
        let sql = format!("DELETE FROM staff_search_terms WHERE staff_id IN ({list})");
        let mut delete = sqlx::query(&sql);
        for id in chunk {
            delete = delete.bind(*id);
        }
        delete.execute(&mut **tx).await?;
        let sql =
            format!("SELECT id, name, kana, login, employee_no FROM staff WHERE id IN ({list})");
        let mut select = sqlx::query_as::<_, (i64, String, String, String, String)>(&sql);
        for id in chunk {
            select = select.bind(*id);
        }
        for (id, name, kana, login, employee_no) in select.fetch_all(&mut **tx).await? {
            let fields = [
                name.as_str(),
                kana.as_str(),
                login.as_str(),
                employee_no.as_str(),
            ];
            terms.extend(
                fold::terms(&fields)
                    .into_iter()
                    .map(|(term, position)| (term, id, position)),
            );
        }
    }
    // In key order, each insert lands next to the previous one in the index.
    terms.sort_unstable();
    for chunk in terms.chunks(TERM_ROWS) {
        let rows = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO staff_search_terms (term, staff_id, position) VALUES {rows} \
             ON CONFLICT DO NOTHING"
        );
        let mut insert = sqlx::query(&sql);
        for (term, staff, position) in chunk {
            insert = insert.bind(term.as_str()).bind(*staff).bind(*position);
        }
        insert.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Whether `pool` is SQLite, where a refresh takes the write lock before it reads the queue
/// (`BEGIN IMMEDIATE`: a read transaction that later writes could fail on a stale snapshot).
fn is_sqlite(pool: &AnyPool) -> bool {
    pool.connect_options().database_url.scheme() == "sqlite"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_folded_and_blank_or_overlong_ones_are_refused() {
        let query = StaffQuery::parse(" ﾔﾏﾀﾞ ").unwrap();
        assert_eq!(query.folded(), "やまだ");
        assert_eq!(query.after, "やまち");
        assert!(!query.starts_only);
        assert!(StaffQuery::parse("ﾀ").unwrap().starts_only);
        assert_eq!(StaffQuery::parse("   "), None);
        assert_eq!(StaffQuery::parse("・"), None);
        assert!(StaffQuery::parse(&"あ".repeat(MAX_QUERY_CHARS)).is_some());
        assert_eq!(StaffQuery::parse(&"あ".repeat(MAX_QUERY_CHARS + 1)), None);
    }
}
