//! SQL for phone memos: writing one, the recipient's inbox and unread count, the author's
//! sent list, and marking read and done. Portable SQL for SQLite and PostgreSQL.

use sqlx::AnyPool;
use time::OffsetDateTime;

use super::model::{Memo, MemoId, NewMemo, Request};
use crate::org::model::StaffId;

const MEMO_SELECT: &str = "SELECT m.id, m.recipient_id, r.name AS recipient_name, m.author_id, \
     a.name AS author_name, m.caller_name, m.caller_org, m.callback, m.request, m.message, \
     m.received_at, m.read_at, m.done_at FROM phone_memos m \
     JOIN staff r ON r.id = m.recipient_id JOIN staff a ON a.id = m.author_id";

#[derive(sqlx::FromRow)]
struct MemoRow {
    id: i64,
    recipient_id: i64,
    recipient_name: String,
    author_id: i64,
    author_name: String,
    caller_name: String,
    caller_org: String,
    callback: String,
    request: String,
    message: String,
    received_at: i64,
    read_at: Option<i64>,
    done_at: Option<i64>,
}

impl From<MemoRow> for Memo {
    fn from(row: MemoRow) -> Memo {
        let at =
            |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Memo {
            id: MemoId(row.id),
            recipient: StaffId(row.recipient_id),
            recipient_name: row.recipient_name,
            author: StaffId(row.author_id),
            author_name: row.author_name,
            caller_name: row.caller_name,
            caller_org: row.caller_org,
            callback: row.callback,
            // The CHECK constraint allows only the four requests; a call-back request is the
            // reading that loses nothing.
            request: Request::parse(&row.request).unwrap_or(Request::CallBack),
            message: row.message,
            received_at: at(row.received_at),
            read_at: row.read_at.map(at),
            done_at: row.done_at.map(at),
        }
    }
}

/// Writes `memo`, taken by `author` at `now`.
pub async fn insert(
    pool: &AnyPool,
    memo: &NewMemo,
    author: StaffId,
    now: OffsetDateTime,
) -> Result<MemoId, sqlx::Error> {
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO phone_memos (recipient_id, author_id, caller_name, caller_org, callback, \
         request, message, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(memo.recipient)
    .bind(author)
    .bind(memo.caller_name.as_str())
    .bind(memo.caller_org.as_str())
    .bind(memo.callback.as_str())
    .bind(memo.request.as_str())
    .bind(memo.message.as_str())
    .bind(now.unix_timestamp())
    .fetch_one(pool)
    .await
    .map(MemoId)
}

/// The memo `id`, if there is one.
pub async fn memo(pool: &AnyPool, id: MemoId) -> Result<Option<Memo>, sqlx::Error> {
    let sql = format!("{MEMO_SELECT} WHERE m.id = $1");
    let row = sqlx::query_as::<_, MemoRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(Memo::from))
}

/// The memos for `recipient`, newest first, at most `limit`; handled ones only when
/// `with_done`.
pub async fn inbox(
    pool: &AnyPool,
    recipient: StaffId,
    with_done: bool,
    limit: i64,
) -> Result<Vec<Memo>, sqlx::Error> {
    let done = if with_done {
        ""
    } else {
        " AND m.done_at IS NULL"
    };
    let sql = format!(
        "{MEMO_SELECT} WHERE m.recipient_id = $1{done} ORDER BY m.received_at DESC, m.id DESC \
         LIMIT $2"
    );
    let rows = sqlx::query_as::<_, MemoRow>(&sql)
        .bind(recipient)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Memo::from).collect())
}

/// The unread memos for `recipient`, newest first, at most `limit`: the portal's list.
pub async fn unread(
    pool: &AnyPool,
    recipient: StaffId,
    limit: i64,
) -> Result<Vec<Memo>, sqlx::Error> {
    let sql = format!(
        "{MEMO_SELECT} WHERE m.recipient_id = $1 AND m.read_at IS NULL \
         ORDER BY m.received_at DESC, m.id DESC LIMIT $2"
    );
    let rows = sqlx::query_as::<_, MemoRow>(&sql)
        .bind(recipient)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Memo::from).collect())
}

/// How many memos `recipient` has not opened.
pub async fn unread_count(pool: &AnyPool, recipient: StaffId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM phone_memos WHERE recipient_id = $1 AND read_at IS NULL",
    )
    .bind(recipient)
    .fetch_one(pool)
    .await
}

/// The memos `author` left, newest first, at most `limit`.
pub async fn sent(pool: &AnyPool, author: StaffId, limit: i64) -> Result<Vec<Memo>, sqlx::Error> {
    let sql = format!(
        "{MEMO_SELECT} WHERE m.author_id = $1 ORDER BY m.received_at DESC, m.id DESC LIMIT $2"
    );
    let rows = sqlx::query_as::<_, MemoRow>(&sql)
        .bind(author)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Memo::from).collect())
}

/// Marks memo `id` read at `now` if `recipient` is its recipient and has not read it yet.
pub async fn mark_read(
    pool: &AnyPool,
    id: MemoId,
    recipient: StaffId,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE phone_memos SET read_at = $1 \
         WHERE id = $2 AND recipient_id = $3 AND read_at IS NULL",
    )
    .bind(now.unix_timestamp())
    .bind(id)
    .bind(recipient)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Marks memo `id` handled (and read) at `now` if `recipient` is its recipient; returns
/// whether it was theirs and not yet handled.
pub async fn mark_done(
    pool: &AnyPool,
    id: MemoId,
    recipient: StaffId,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE phone_memos SET done_at = $1, read_at = COALESCE(read_at, $1) \
         WHERE id = $2 AND recipient_id = $3 AND done_at IS NULL",
    )
    .bind(now.unix_timestamp())
    .bind(id)
    .bind(recipient)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Leaves two unread memos for the demo's 山田, taken by a colleague, unless he has any.
pub async fn load_demo(pool: &AnyPool, now: OffsetDateTime) -> Result<usize, sqlx::Error> {
    use time::Duration;
    let Some(yamada) = crate::org::store::find_staff_by_login(pool, "yamada").await? else {
        return Ok(0);
    };
    if !inbox(pool, yamada.id, true, 1).await?.is_empty() {
        return Ok(0);
    }
    let members = crate::org::store::department_members(pool, yamada.department_id).await?;
    let Some(author) = members.iter().find(|s| s.id != yamada.id) else {
        return Ok(0);
    };
    let memos = [
        (
            NewMemo {
                recipient: yamada.id,
                caller_name: "田中".into(),
                caller_org: "北区役所 保険年金課".into(),
                callback: "078-322-5111".into(),
                request: Request::CallBack,
                message: "来週の説明会資料の件で確認したいことがあるそうです。".into(),
            },
            Duration::minutes(40),
        ),
        (
            NewMemo {
                recipient: yamada.id,
                caller_name: "鈴木".into(),
                caller_org: "株式会社やくばシステム".into(),
                callback: String::new(),
                request: Request::WillCall,
                message: "15時ごろにもう一度かけ直すとのことです。".into(),
            },
            Duration::minutes(10),
        ),
    ];
    for (memo, ago) in &memos {
        insert(pool, memo, author.id, now - *ago).await?;
    }
    Ok(memos.len())
}
