//! Staff search, one suite on SQLite and on the harness's PostgreSQL: by any part of the
//! name, reading, login or personnel number, whatever the width or kana script typed; changes
//! to staff found at once; retired staff never.

use app::org::model::StaffId;
use app::org::store::{
    StaffHit, StaffQuery, find_staff_by_login, insert_city, refresh_search_terms, search_staff,
};
use sqlx::AnyPool;

macro_rules! on_sqlite_and_postgres {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let db = crate::support::sqlite_db().await;
                    super::$test(&db.pool).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let db = crate::support::postgres_db(
                        concat!("app_search_", stringify!($test)),
                    )
                    .await;
                    super::$test(&db.pool).await;
                }
            )*
        }
    };
}

on_sqlite_and_postgres!(
    found_by_any_part_of_name_reading_login_or_number,
    changed_and_new_staff_found_retired_not,
    a_broad_query_is_cut_with_field_starts_first,
    refreshing_twice_at_once_writes_each_term_once,
);

async fn search(pool: &AnyPool, text: &str) -> Vec<StaffHit> {
    let query = StaffQuery::parse(text).unwrap();
    search_staff(pool, &query, 50).await.unwrap().0
}

async fn finds(pool: &AnyPool, text: &str, who: StaffId) -> bool {
    search(pool, text)
        .await
        .iter()
        .any(|hit| hit.staff.id == who)
}

async fn found_by_any_part_of_name_reading_login_or_number(pool: &AnyPool) {
    insert_city(pool, &app::org::seed::demo_city())
        .await
        .unwrap();
    let yamada = find_staff_by_login(pool, "yamada").await.unwrap().unwrap();
    let number = yamada.employee_no.clone();
    let tail: String = number.chars().skip(2).collect();
    let wide: String = number
        .chars()
        .map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap())
        .collect();
    for typed in [
        "山田",
        "太郎",
        "山田 太郎",
        "山田太郎",
        "やまだ",
        "ヤマダ",
        "ﾔﾏﾀﾞ",
        "やまだ　たろう",
        "たろう",
        "yamada",
        "YAMADA",
        "Ｙａｍａｄａ",
        "amad",
        &number,
        &tail,
        &wide,
    ] {
        assert!(
            finds(pool, typed, yamada.id).await,
            "{typed:?} finds 山田 太郎"
        );
    }
    let hits = search(pool, "やまだ たろう").await;
    assert_eq!(hits[0].staff.id, yamada.id);
    assert!(hits[0].prefix);
    assert_eq!(hits[0].department, "総務部 総務課");
    assert!(!finds(pool, "やまだじろう", yamada.id).await);
    assert!(!finds(pool, "山本", yamada.id).await);
}

async fn changed_and_new_staff_found_retired_not(pool: &AnyPool) {
    insert_city(pool, &app::org::seed::demo_city())
        .await
        .unwrap();
    let sato = find_staff_by_login(pool, "sato").await.unwrap().unwrap();
    assert!(finds(pool, "さとう", sato.id).await);

    // Renamed by HR with the 戸籍 kanji and a katakana reading, as HR files have them.
    sqlx::query("UPDATE staff SET name = $1, kana = $2 WHERE id = $3")
        .bind("髙橋 花子")
        .bind("ﾀｶﾊｼ ﾊﾅｺ")
        .bind(sato.id)
        .execute(pool)
        .await
        .unwrap();
    assert!(finds(pool, "高橋", sato.id).await);
    assert!(finds(pool, "たかはし", sato.id).await);
    assert!(finds(pool, "タカハシ ハナコ", sato.id).await);
    assert!(
        !finds(pool, "さとう", sato.id).await,
        "the old reading is gone"
    );
    assert!(
        finds(pool, "sato", sato.id).await,
        "the login did not change"
    );

    sqlx::query(
        "INSERT INTO staff (login, employee_no, name, kana, department_id, position, mail) \
         VALUES ('kawase.new', '9900123', '川瀬 新', 'かわせ あらた', $1, '主事', 'k@example')",
    )
    .bind(sato.department_id)
    .execute(pool)
    .await
    .unwrap();
    let hits = search(pool, "かわせ").await;
    assert!(
        hits.iter().any(|h| h.staff.login == "kawase.new"),
        "a new member is found"
    );

    sqlx::query("UPDATE staff SET retired = 1 WHERE id = $1")
        .bind(sato.id)
        .execute(pool)
        .await
        .unwrap();
    assert!(
        !finds(pool, "高橋", sato.id).await,
        "retired staff are not offered"
    );
}

async fn a_broad_query_is_cut_with_field_starts_first(pool: &AnyPool) {
    insert_city(pool, &app::org::seed::synthetic_city(2000, 120, 7))
        .await
        .unwrap();
    let query = StaffQuery::parse("s").unwrap();
    let (hits, more) = search_staff(pool, &query, 20).await.unwrap();
    assert_eq!(hits.len(), 20);
    assert!(more, "every synthetic login starts with s");
    assert!(hits.iter().all(|h| h.prefix));
    // A match in the middle only comes after every match at a field's start.
    let query = StaffQuery::parse("こう").unwrap();
    let (hits, _) = search_staff(pool, &query, 2000).await.unwrap();
    let first_middle = hits.iter().position(|h| !h.prefix).unwrap();
    assert!(first_middle > 0);
    assert!(hits[first_middle..].iter().all(|h| !h.prefix));

    // One character matches the start of a field only: the given name's reading after the
    // space is no start.
    let query = StaffQuery::parse("た").unwrap();
    let (hits, _) = search_staff(pool, &query, 2000).await.unwrap();
    assert!(!hits.is_empty() && hits.iter().all(|h| h.prefix));
}

async fn refreshing_twice_at_once_writes_each_term_once(pool: &AnyPool) {
    insert_city(pool, &app::org::seed::synthetic_city(300, 30, 3))
        .await
        .unwrap();
    let (a, b) = tokio::join!(refresh_search_terms(pool), refresh_search_terms(pool));
    assert_eq!(
        a.unwrap() + b.unwrap(),
        300,
        "each queued member refreshed once"
    );
    assert_eq!(
        refresh_search_terms(pool).await.unwrap(),
        0,
        "nothing left queued"
    );
    let duplicates: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT term, staff_id FROM staff_search_terms \
         GROUP BY term, staff_id HAVING COUNT(*) > 1) d",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(duplicates, 0);
}
