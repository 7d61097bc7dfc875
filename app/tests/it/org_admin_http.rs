//! The organisation administration pages over HTTP: only system administrators get in, the HR
//! CSV is checked then applied, and function administrators are granted and revoked.

use std::time::Duration;

use app::i18n::Lang;
use app::org::model::{Module, Role, Scope};
use app::org::store as org;
use app::state::AppState;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use crate::support::{Keys, TestDb, claims, sqlite_db};

struct TestApp {
    keys: Keys,
    state: AppState,
    db: TestDb,
}

const BOUNDARY: &str = "yakuba-test-boundary";

impl TestApp {
    async fn new() -> TestApp {
        let db = sqlite_db().await;
        org::insert_city(&db.pool, &app::org::seed::demo_city())
            .await
            .unwrap();
        let admin = org::find_staff_by_login(&db.pool, "admin")
            .await
            .unwrap()
            .unwrap();
        org::grant_role(&db.pool, admin.id, Role::SystemAdmin)
            .await
            .unwrap();
        let keys = Keys::generate();
        let state = AppState::new(db.pool.clone(), keys.verifier(), Lang::Ja);
        TestApp { keys, state, db }
    }

    async fn send(
        &self,
        who: &str,
        request: axum::http::request::Builder,
        body: Body,
    ) -> (StatusCode, String) {
        let token = self
            .keys
            .signer(Duration::from_secs(60))
            .sign(claims(who, who, None))
            .unwrap();
        let request = request
            .header(sso::assertion::HEADER, token)
            .body(body)
            .unwrap();
        let response = app::routes::router(self.state.clone())
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn get(&self, who: &str, path: &str) -> (StatusCode, String) {
        self.send(who, Request::get(path), Body::empty()).await
    }

    async fn upload(
        &self,
        who: &str,
        path: &str,
        csrf: &str,
        field: &str,
        bytes: &[u8],
    ) -> (StatusCode, String) {
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"hr.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let request = Request::post(path).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
        self.send(who, request, Body::from(body)).await
    }

    async fn post(&self, who: &str, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(who, request, Body::from(body)).await
    }
}

/// The HR line for `login` as stored, with `department` instead of their own.
async fn line_for(app: &TestApp, login: &str, department_code: &str) -> String {
    let current = app::org::import::store::current(&app.db.pool)
        .await
        .unwrap();
    let s = current.staff.iter().find(|s| s.login == login).unwrap();
    format!(
        "{},{},{},{},{department_code},{},{},,在職",
        s.employee_no, s.login, s.name, s.kana, s.position, s.mail
    )
}

fn shift_jis(text: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
}

#[tokio::test]
async fn only_system_administrators_reach_the_administration_pages() {
    let app = TestApp::new().await;
    for path in ["/admin/org", "/admin/function-admins"] {
        assert_eq!(
            app.get("yamada", path).await.0,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        let (status, body) = app.get("admin", path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let (status, _) = app
        .upload(
            "yamada",
            "/admin/org/import",
            "csrf-token-123",
            "file",
            b"x",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_hr_file_in_shift_jis_is_checked_then_applied() {
    let app = TestApp::new().await;
    let departments = org::departments(&app.db.pool).await.unwrap();
    let target = departments.iter().find(|d| d.name == "人事課").unwrap();
    let header = app::org::import::model::HEADER.join(",");
    let text = format!(
        "{header}\n{}\n",
        line_for(&app, "yamada", &target.code).await
    );
    let bytes = shift_jis(&text);

    let (status, body) = app
        .upload(
            "admin",
            "/admin/org/import",
            "csrf-token-123",
            "file",
            &bytes,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("文字コード: Shift_JIS"), "{body}");
    assert!(body.contains("異動 1人"), "{body}");
    assert!(body.contains(&format!("→ {}", target.code)), "{body}");
    let before = org::find_staff_by_login(&app.db.pool, "yamada")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        before.department_id, target.id,
        "checking applied something"
    );

    let (status, body) = app
        .upload(
            "admin",
            "/admin/org/import/apply",
            "csrf-token-123",
            "content",
            text.as_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("反映しました"), "{body}");
    let after = org::find_staff_by_login(&app.db.pool, "yamada")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.department_id, target.id);

    let broken = format!(
        "{header}\n{}\nbroken,line\n",
        line_for(&app, "sato", "NOPE").await
    );
    let (_, body) = app
        .upload(
            "admin",
            "/admin/org/import",
            "csrf-token-123",
            "file",
            broken.as_bytes(),
        )
        .await;
    assert!(
        body.contains("2行目: 所属コード「NOPE」の組織がありません"),
        "{body}"
    );
    assert!(body.contains("3行目: 列の数が2個です"), "{body}");
    let (status, _) = app
        .upload(
            "admin",
            "/admin/org/import/apply",
            "forged",
            "content",
            text.as_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn function_administrators_are_granted_and_revoked_from_the_page() {
    let app = TestApp::new().await;
    let departments = org::departments(&app.db.pool).await.unwrap();
    let kyoku = departments
        .iter()
        .find(|d| d.name == "財政局")
        .unwrap()
        .id
        .to_string();
    let (status, _) = app
        .post(
            "admin",
            "/admin/function-admins",
            &[
                ("csrf", "csrf-token-123"),
                ("staff", "yamada"),
                ("module", "facility"),
                ("scope", "selected"),
                ("departments", &kyoku),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let yamada = org::find_staff_by_login(&app.db.pool, "yamada")
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(org::admin_scope(&app.db.pool, yamada.id, Module::Facility).await.unwrap(), Scope::Departments(d) if d.len() == 1)
    );
    let (_, page) = app.get("admin", "/admin/function-admins").await;
    assert!(
        page.contains("財政局") && page.contains("山田 太郎"),
        "{page}"
    );

    let (status, body) = app
        .post(
            "admin",
            "/admin/function-admins",
            &[
                ("csrf", "csrf-token-123"),
                ("staff", "nobody"),
                ("module", "facility"),
                ("scope", "all"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("見つからない"));
    let (status, _) = app
        .post(
            "admin",
            "/admin/function-admins",
            &[
                ("csrf", "csrf-token-123"),
                ("staff", "yamada"),
                ("module", "schedule"),
                ("scope", "selected"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        org::function_admin_grant(&app.db.pool, yamada.id, Module::Schedule)
            .await
            .unwrap(),
        None
    );

    let id = yamada.id.to_string();
    let forged = app
        .post(
            "admin",
            "/admin/function-admins/revoke",
            &[("staff", &id), ("module", "facility")],
        )
        .await;
    assert_eq!(forged.0, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            "admin",
            "/admin/function-admins/revoke",
            &[
                ("csrf", "csrf-token-123"),
                ("staff", &id),
                ("module", "facility"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        org::admin_scope(&app.db.pool, yamada.id, Module::Facility)
            .await
            .unwrap(),
        Scope::Nothing
    );
}

#[tokio::test]
async fn departments_are_added_one_level_down_and_renamed_or_reordered() {
    let app = TestApp::new().await;
    let departments = org::departments(&app.db.pool).await.unwrap();
    let bu = departments.iter().find(|d| d.name == "総務部").unwrap();
    let kakari = departments.iter().find(|d| d.name == "庶務係").unwrap();
    let parent = bu.id.to_string();
    let csrf = ("csrf", "csrf-token-123");
    let (status, body) = app
        .post(
            "admin",
            "/admin/org/departments",
            &[
                csrf,
                ("parent", &parent),
                ("code", "D9001"),
                ("name", "デジタル推進課"),
                ("display_order", "0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let added = org::departments(&app.db.pool).await.unwrap();
    let new = added.iter().find(|d| d.code == "D9001").unwrap();
    assert_eq!(
        (new.kind, new.parent_id),
        (app::org::model::DepartmentKind::Ka, Some(bu.id))
    );
    // Display order 0 puts it first among the 部's 課.
    let first_child = added
        .iter()
        .position(|d| d.parent_id == Some(bu.id))
        .unwrap();
    assert_eq!(added[first_child].code, "D9001");

    let under_kakari = kakari.id.to_string();
    let (status, body) = app
        .post(
            "admin",
            "/admin/org/departments",
            &[
                csrf,
                ("parent", &under_kakari),
                ("code", "D9002"),
                ("name", "班"),
                ("display_order", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("係の下には組織を作れません"), "{body}");
    let (status, body) = app
        .post(
            "admin",
            "/admin/org/departments",
            &[
                csrf,
                ("parent", &parent),
                ("code", "D9001"),
                ("name", "重複"),
                ("display_order", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("D9001"), "{body}");

    let (status, _) = app
        .post(
            "admin",
            &format!("/admin/org/departments/{}", new.id),
            &[csrf, ("name", "DX推進課"), ("display_order", "9")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let renamed = org::find_department(&app.db.pool, new.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.display_order),
        ("DX推進課", 9)
    );
    assert_eq!(
        app.post(
            "yamada",
            &format!("/admin/org/departments/{}", new.id),
            &[csrf, ("name", "x"), ("display_order", "1")]
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn departments_are_moved_and_abolished_from_their_page() {
    let app = TestApp::new().await;
    let find = |name: &'static str| {
        let pool = app.db.pool.clone();
        async move {
            org::departments(&pool)
                .await
                .unwrap()
                .into_iter()
                .find(|d| d.name == name)
                .unwrap()
        }
    };
    let soumu_ka = find("総務課").await;
    let zaimu_bu = find("財務部").await;
    let zaisei = find("財政局").await;
    let page = format!("/admin/org/departments/{}", soumu_ka.id);
    let (status, body) = app.get("admin", &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("総務課") && body.contains("csrf-token-123"),
        "{body}"
    );
    // Only a 部 is offered as the new parent of a 課.
    let move_form = body
        .split("/move\"")
        .nth(1)
        .and_then(|rest| rest.split("</form>").next())
        .unwrap();
    assert!(
        move_form.contains(&format!("value=\"{}\"", zaimu_bu.id)),
        "{move_form}"
    );
    assert!(
        !move_form.contains(&format!("value=\"{}\"", zaisei.id)),
        "{move_form}"
    );
    assert_eq!(app.get("yamada", &page).await.0, StatusCode::FORBIDDEN);

    let csrf = ("csrf", "csrf-token-123");
    let move_to = |parent: String| {
        let page = format!("{page}/move");
        let app = &app;
        async move { app.post("admin", &page, &[csrf, ("parent", &parent)]).await }
    };
    let (status, body) = move_to(zaisei.id.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("1段上の組織の下にのみ置けます"), "{body}");
    let (status, _) = app
        .post(
            "yamada",
            &format!("{page}/move"),
            &[csrf, ("parent", &zaimu_bu.id.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            "admin",
            &format!("{page}/move"),
            &[("parent", &zaimu_bu.id.to_string())],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a form without its CSRF token"
    );
    assert_eq!(
        org::find_department(&app.db.pool, soumu_ka.id)
            .await
            .unwrap()
            .unwrap()
            .parent_id,
        soumu_ka.parent_id,
        "a refused move changed the tree"
    );
    let (status, _) = move_to(zaimu_bu.id.to_string()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        org::department_path(&app.db.pool, soumu_ka.id)
            .await
            .unwrap(),
        ["財政局", "財務部", "総務課"]
    );

    // 広報係 has staff: abolishing it asks where they go, then moves them with it.
    let kouhou = find("広報係").await;
    let kouchou = find("広聴係").await;
    let members = org::department_members(&app.db.pool, kouhou.id)
        .await
        .unwrap();
    let yamada = org::find_staff_by_login(&app.db.pool, "yamada")
        .await
        .unwrap()
        .unwrap();
    org::grant_function_admin(
        &app.db.pool,
        yamada.id,
        Module::Facility,
        &org::Grant {
            kind: app::org::model::GrantKind::Selected,
            departments: vec![kouhou.id],
        },
    )
    .await
    .unwrap();
    let abolish = format!("/admin/org/departments/{}/abolish", kouhou.id);
    let (status, body) = app.post("admin", &abolish, &[csrf, ("move_to", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("移動先を選んでから廃止してください"),
        "{body}"
    );
    let target = kouchou.id.to_string();
    let (status, _) = app
        .post("admin", &abolish, &[csrf, ("move_to", &target)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    for person in &members {
        let now = org::find_staff(&app.db.pool, person.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(now.department_id, kouchou.id, "{}", person.login);
    }
    // Listed as abolished on the overview, and no longer offered by pickers.
    let (_, overview) = app.get("admin", "/admin/org").await;
    assert!(overview.contains("廃止された組織"), "{overview}");
    let (status, grid) = app.get("yamada", "/schedule/group").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        grid.contains(&format!("value=\"{}\"", kouchou.id)),
        "{grid}"
    );
    assert!(
        !grid.contains(&format!("value=\"{}\"", kouhou.id)),
        "the department grid still offers an abolished department"
    );
    // A grant that named it still says which department it was.
    let (_, admins) = app.get("admin", "/admin/function-admins").await;
    assert!(admins.contains("広報係（廃止）"), "{admins}");
    let (status, body) = app
        .get("admin", &format!("/admin/org/departments/{}", kouhou.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("廃止されました") && !body.contains("/abolish"),
        "{body}"
    );
}
