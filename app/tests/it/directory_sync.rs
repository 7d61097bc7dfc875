//! Directory synchronisation against a real OpenLDAP server from the harness, on SQLite and on
//! the harness's PostgreSQL: names, mail and departments follow the directory, staff it no
//! longer lists retire (and are refused by the app), break-glass accounts stay.

use app::org::import::directory::SyncOptions;
use app::org::import::sync::{SyncError, synchronise};
use app::org::model::{Employment, NewStaff};
use app::org::store as org;
use harness::slapd::{self, Slapd, TANAKA};
use sso::ldap::{LdapDirectory, LdapSettings};
use time::OffsetDateTime;

fn staff(login: &str, department_code: &str, employee_no: &str) -> NewStaff {
    NewStaff {
        login: login.into(),
        employee_no: employee_no.into(),
        name: "旧 氏名".into(),
        kana: "きゅう しめい".into(),
        department_code: department_code.into(),
        position: "主事".into(),
        mail: "old@example".into(),
    }
}

#[tokio::test]
async fn the_directory_renames_moves_and_retires_staff_on_sqlite() {
    let db = crate::support::sqlite_db().await;
    the_directory_renames_moves_and_retires_staff(&db.pool).await;
}

#[tokio::test]
async fn the_directory_renames_moves_and_retires_staff_on_postgres() {
    let db = crate::support::postgres_db("app_directory_sync").await;
    the_directory_renames_moves_and_retires_staff(&db.pool).await;
}

async fn the_directory_renames_moves_and_retires_staff(pool: &sqlx::AnyPool) {
    let ldap = tokio::task::spawn_blocking(|| Slapd::start(&slapd::sample_directory_ldif()))
        .await
        .unwrap()
        .unwrap();
    let mut city = app::org::seed::demo_city();
    let soumu = city
        .departments
        .iter()
        .find(|d| d.name == "総務課")
        .unwrap()
        .code
        .clone();
    let jinji = city
        .departments
        .iter()
        .find(|d| d.name == "人事課")
        .unwrap()
        .code
        .clone();
    city.staff.push(staff(TANAKA.uid, &jinji, "900001"));
    city.staff.push(staff("leaver", &jinji, "900002"));
    org::insert_city(pool, &city).await.unwrap();

    let mut settings = LdapSettings::new(
        vec![ldap.url.clone()],
        &ldap.admin_dn,
        slapd::PEOPLE_DN,
        "(uid={login})",
    );
    settings.bind_password = ldap.admin_password.clone();
    let directory = LdapDirectory::new(settings).unwrap();
    // The demo city's own staff are not in this small directory: keep them out of the
    // retirements by listing them, as a site keeps its local accounts.
    let keep: Vec<String> = city
        .staff
        .iter()
        .map(|s| s.login.clone())
        .filter(|l| l != "leaver" && l != TANAKA.uid)
        .collect();
    let options = SyncOptions {
        filter: "(objectClass=inetOrgPerson)".into(),
        keep,
        max_retire: 1,
        ..SyncOptions::default()
    };

    let (plan, applied) = synchronise(pool, &directory, &options, false, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert!(applied.is_none());
    assert_eq!(plan.plan.retirements(), 1);
    assert_eq!(plan.unknown, ["suzuki"]);
    // Suzuki is unknown to HR, so her department (財政課, which the city does not have) moves
    // nobody and is not reported against anyone.
    assert!(
        plan.unmatched_departments.is_empty(),
        "{:?}",
        plan.unmatched_departments
    );
    let tanaka = org::find_staff_by_login(pool, TANAKA.uid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tanaka.name, "旧 氏名", "a dry run changed something");

    let (_, applied) = synchronise(pool, &directory, &options, true, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(applied.unwrap().retired, 1);
    let tanaka = org::find_staff_by_login(pool, TANAKA.uid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (tanaka.name.as_str(), tanaka.mail.as_str()),
        (TANAKA.display_name, TANAKA.mail)
    );
    let departments = org::departments(pool).await.unwrap();
    let soumu_id = departments.iter().find(|d| d.code == soumu).unwrap().id;
    assert_eq!(tanaka.department_id, soumu_id);
    let leaver = org::find_staff_by_login(pool, "leaver")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(leaver.employment, Employment::Retired);

    // A listing that would retire more than allowed is refused and changes nothing.
    let strict = SyncOptions {
        keep: vec![],
        max_retire: 5,
        ..options
    };
    let refused = synchronise(pool, &directory, &strict, true, OffsetDateTime::now_utc()).await;
    assert!(matches!(refused, Err(SyncError::Refused(_))), "{refused:?}");
    assert_eq!(
        org::find_staff_by_login(pool, "yamada")
            .await
            .unwrap()
            .unwrap()
            .employment,
        Employment::Active
    );
}
