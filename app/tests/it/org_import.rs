//! The HR CSV import on SQLite and on the harness's PostgreSQL: the April 1 transfer of
//! hundreds of staff in one Shift_JIS file, and a file with errors that changes nothing.

use std::collections::HashMap;

use app::org::import::model::{HEADER, decode, parse, plan};
use app::org::import::store::{self as import, Current};
use app::org::model::{Employment, Post};
use app::org::seed::synthetic_city;
use app::org::store as org;
use sqlx::AnyPool;
use time::macros::datetime;

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
                    let db = crate::support::postgres_db(concat!("imp_", stringify!($test))).await;
                    super::$test(&db.pool).await;
                }
            )*
        }
    };
}

on_sqlite_and_postgres!(
    the_april_transfer_moves_hundreds_of_staff_in_one_file,
    a_file_with_one_bad_line_changes_nothing,
);

/// The whole stored organisation as an HR file would state it, as rows of cells.
fn roster(current: &Current) -> Vec<Vec<String>> {
    current
        .staff
        .iter()
        .map(|s| {
            let posts: Vec<String> = s.posts.iter().map(|(c, t)| format!("{c}:{t}")).collect();
            vec![
                s.employee_no.clone(),
                s.login.clone(),
                s.name.clone(),
                s.kana.clone(),
                s.department_code.clone(),
                s.position.clone(),
                s.mail.clone(),
                posts.join(";"),
                if s.employment == Employment::Active {
                    "在職"
                } else {
                    "退職"
                }
                .to_owned(),
            ]
        })
        .collect()
}

fn shift_jis(rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

async fn the_april_transfer_moves_hundreds_of_staff_in_one_file(pool: &AnyPool) {
    org::insert_city(pool, &synthetic_city(3_000, 200, 5))
        .await
        .unwrap();
    let before = import::current(pool).await.unwrap();
    let codes: Vec<String> = {
        let mut codes: Vec<String> = before.departments.keys().cloned().collect();
        codes.sort();
        codes
    };
    let mut rows = roster(&before);
    // 400 transfers to another department, 20 retirements, 10 new concurrent posts.
    for (i, row) in rows.iter_mut().enumerate().take(400) {
        let next = codes
            .iter()
            .position(|c| *c == row[4])
            .map_or(0, |p| (p + 1 + i % 7) % codes.len());
        row[4] = codes[next].clone();
    }
    for row in rows.iter_mut().skip(400).take(20) {
        row[8] = "退職".into();
    }
    for row in rows.iter_mut().skip(420).take(10) {
        row[7] = format!("{}:課長補佐（兼務）", codes[3]);
    }
    // 30 new hires.
    for n in 0..30 {
        rows.push(vec![
            format!("{}", 900_000 + n),
            format!("new{n:03}"),
            format!("新人 {n}郎"),
            format!("しんじん {n}ろう"),
            codes[10].clone(),
            "主事".into(),
            String::new(),
            String::new(),
            "在職".into(),
        ]);
    }
    let bytes = shift_jis(&rows);
    let (text, _) = decode(&bytes).unwrap();
    let records = parse(&text, &before.departments, &before.logins).unwrap();
    let plan = plan(records, &before.staff);
    assert_eq!(plan.added.len(), 30);
    assert_eq!(plan.transfers(), 400);
    assert_eq!(plan.retirements(), 20);
    assert_eq!(plan.changed.len(), 430);
    assert_eq!(plan.unchanged, 3_000 - 430);

    let started = std::time::Instant::now();
    let applied = import::apply(
        pool,
        &plan,
        &before.departments,
        "hr_csv",
        "admin",
        datetime!(2026-04-01 08:00 +9),
    )
    .await
    .unwrap();
    eprintln!("applied the April transfer in {:?}", started.elapsed());
    assert_eq!(
        (applied.added, applied.changed, applied.retired),
        (30, 430, 20)
    );

    let after = import::current(pool).await.unwrap();
    let by_no: HashMap<&str, _> = after
        .staff
        .iter()
        .map(|s| (s.employee_no.as_str(), s))
        .collect();
    for row in &rows {
        let stored = by_no[row[0].as_str()];
        assert_eq!(stored.department_code, row[4], "{}", row[0]);
    }
    let retired = by_no[rows[400][0].as_str()];
    assert_eq!(retired.employment, Employment::Retired);
    let posted = org::find_staff_by_login(pool, &rows[420][1])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        org::posts_of(pool, posted.id).await.unwrap(),
        [Post {
            department_id: before.departments[&codes[3]],
            position: "課長補佐（兼務）".into()
        }]
    );
    assert_eq!(org::count_staff(pool).await.unwrap(), 3_030);
    // Running the same file again finds nothing to do.
    let again = plan_of(pool, &bytes).await;
    assert!(again.is_empty(), "{} changes left", again.changed.len());
    let log = import::recent_changes(pool, 5).await.unwrap();
    assert_eq!(log.len(), 1);
    assert!(log[0].3.contains("400 transfers"), "{}", log[0].3);
}

async fn plan_of(pool: &AnyPool, bytes: &[u8]) -> app::org::import::model::Plan {
    let current = import::current(pool).await.unwrap();
    let (text, _) = decode(bytes).unwrap();
    plan(
        parse(&text, &current.departments, &current.logins).unwrap(),
        &current.staff,
    )
}

async fn a_file_with_one_bad_line_changes_nothing(pool: &AnyPool) {
    org::insert_city(pool, &synthetic_city(200, 30, 2))
        .await
        .unwrap();
    let before = import::current(pool).await.unwrap();
    let mut rows = roster(&before);
    rows[0][4] = "NO-SUCH".into();
    rows[5][8] = "出向".into();
    let (text, _) = decode(&shift_jis(&rows)).unwrap();
    let errors = parse(&text, &before.departments, &before.logins).unwrap_err();
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 7]);
    assert_eq!(import::current(pool).await.unwrap().staff, before.staff);
}
