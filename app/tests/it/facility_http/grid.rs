//! The availability grid: pages need the gateway's assertion, free slots link to the form
//! and bookings are shown (escaped), and the grid opens on the category of the user's
//! department rather than the first.

use app::facility::model::{FacilityInput, NewReservation, Rules, Slot, Visibility, iso_date};
use app::facility::store;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use time::Time;

use super::{TestApp, sato, tomorrow, yamada};

#[tokio::test]
async fn facility_pages_need_the_gateways_assertion() {
    let app = TestApp::new().await;
    for path in ["/facilities", "/facilities/mine", "/facilities/admin"] {
        let reply = app
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn the_grid_links_free_slots_to_the_form_and_shows_bookings() {
    let app = TestApp::new().await;
    let yamada = app.staff("yamada").await;
    let rights = store::booker_rights(&app.db.pool, yamada.id).await.unwrap();
    let slot = Slot::on_day(
        tomorrow(),
        Time::from_hms(10, 0, 0).unwrap(),
        Time::from_hms(11, 0, 0).unwrap(),
    )
    .unwrap();
    let new = NewReservation {
        facility_id: app.room,
        slot,
        title: "<b>係会議</b>".into(),
        visibility: Visibility::Public,
        event_id: None,
    };
    store::book(&app.db.pool, &new, &rights).await.unwrap();
    let date = iso_date(tomorrow());
    let reply = app
        .get(
            &format!("/facilities?category={}&date={date}", app.category),
            sato(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert!(
        body.contains("第1会議室") && body.contains("特別会議室"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "/facilities/{}/reserve?date={date}&#38;start=08:00",
            app.room
        )),
        "free cells link to the form: {body}"
    );
    assert!(body.contains("10:00〜11:00"), "{body}");
    assert!(
        body.contains("&#60;b&#62;係会議&#60;/b&#62;"),
        "titles are escaped"
    );
    assert!(!body.contains("<b>係会議</b>"));
    assert!(body.contains("山田 太郎"));
    assert!(body.contains("要承認"), "restricted rooms are tagged");
    // The 10:00 half hours are taken, so no link books them.
    assert!(!body.contains(&format!(
        "/facilities/{}/reserve?date={date}&#38;start=10:00",
        app.room
    )));
    assert!(!body.contains(&format!(
        "/facilities/{}/reserve?date={date}&#38;start=10:30",
        app.room
    )));

    let english = app
        .get(&format!("/facilities?date={date}&lang=en"), sato())
        .await;
    assert!(english.body.contains("Availability"), "{}", english.body);
}

#[tokio::test]
async fn the_grid_opens_on_the_category_of_the_users_department_not_the_first() {
    let app = TestApp::new().await;
    let sato_department = app.staff("sato").await.department_id;
    let cars = store::insert_category(&app.db.pool, "公用車")
        .await
        .unwrap();
    sqlx::query("UPDATE facility_categories SET display_order = 0 WHERE id = $1")
        .bind(cars.0)
        .execute(&app.db.pool)
        .await
        .unwrap();
    store::insert_facility(
        &app.db.pool,
        &FacilityInput {
            category_id: cars,
            name: "公用車1号".into(),
            place: "本庁舎 地下駐車場".into(),
            capacity: Some(5),
            department_id: sato_department,
            rules: Rules::DEFAULT,
            note: String::new(),
            in_service: true,
        },
    )
    .await
    .unwrap();
    // The current tab of the category tabs (the module navigation marks its own).
    let current = |body: &str| {
        let tabs = &body[body.find("<nav class=\"tabs\"").unwrap()..];
        let marker = "aria-current=\"page\">";
        let end = tabs.find(marker).unwrap() + marker.len();
        tabs[end..].split('<').next().unwrap().to_owned()
    };

    let yamada_grid = app.get("/facilities", yamada()).await;
    assert_eq!(current(&yamada_grid.body), "本庁舎 会議室");
    assert!(yamada_grid.body.contains("第1会議室"));
    let sato_grid = app.get("/facilities", sato()).await;
    assert_eq!(current(&sato_grid.body), "公用車");
    assert!(sato_grid.body.contains("公用車1号"));
    let chosen = app
        .get(&format!("/facilities?category={}", app.category), sato())
        .await;
    assert_eq!(current(&chosen.body), "本庁舎 会議室", "a chosen tab wins");
}
