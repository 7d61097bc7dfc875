//! The status board and phone memos over HTTP without sockets: who may set whose status,
//! statuses from the schedule, memos from leaving to handled, CSRF and bad input.

use app::org::model::StaffId;
use app::schedule::form::EventDraft;
use app::schedule::model::{Certainty, TimeRange, Visibility};
use axum::http::StatusCode;
use time::{Duration, OffsetDateTime};

use crate::facility_http::{TestApp, sato, yamada};

const CSRF: (&str, &str) = ("csrf", "csrf-token-123");

/// A colleague of 山田 in 総務課 (not 山田).
async fn colleague(app: &TestApp) -> app::org::model::Staff {
    let yamada = app.staff("yamada").await;
    app::org::store::department_members(&app.db.pool, yamada.department_id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.id != yamada.id)
        .unwrap()
}

#[tokio::test]
async fn the_board_shows_statuses_set_by_hand_and_from_the_schedule() {
    let app = TestApp::new().await;
    let yamada_id = app.staff("yamada").await.id;
    let colleague = colleague(&app).await;
    let now = OffsetDateTime::now_utc();
    let meeting = EventDraft {
        title: "予算ヒアリング".into(),
        place: String::new(),
        memo: String::new(),
        span: TimeRange::new(now - Duration::minutes(10), now + Duration::minutes(50)).unwrap(),
        all_day: false,
        certainty: Certainty::Confirmed,
        visibility: Visibility::Public,
        rule: None,
        participants: vec![colleague.id],
        facilities: vec![],
    };
    app::schedule::store::create_event(&app.db.pool, &meeting, colleague.id, now)
        .await
        .unwrap();

    let set = app
        .post(
            &format!("/whereabouts/{yamada_id}"),
            yamada(),
            &[
                CSRF,
                ("action", "set"),
                ("status", "out"),
                ("comment", "北区役所へ"),
                ("returns", "15:30"),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let back = set.location.unwrap();
    assert!(back.contains("saved=1"), "{back}");

    // 佐藤 of 財務課 looks at 総務課's board.
    let board = app.get(&back.replace("&saved=1", ""), sato()).await;
    assert_eq!(board.status, StatusCode::OK);
    let body = &board.body;
    let row = |name: &str| {
        let start = body
            .find(name)
            .unwrap_or_else(|| panic!("{name} not on {body}"));
        &body[start..start + body[start..].find("</tr>").unwrap()]
    };
    let yamada_row = row("山田 太郎");
    assert!(
        yamada_row.contains("presence-out") && yamada_row.contains("外出"),
        "{yamada_row}"
    );
    assert!(yamada_row.contains("北区役所へ") && yamada_row.contains("15:30"));
    let colleague_row = row(&colleague.name);
    assert!(
        colleague_row.contains("presence-meeting"),
        "{colleague_row}"
    );
    assert!(colleague_row.contains("予算ヒアリング") && colleague_row.contains("予定より"));
    // Others' statuses are not 佐藤's to change; a memo link is offered.
    assert!(!body.contains(&format!(r#"href="/whereabouts/{yamada_id}""#)));
    assert!(body.contains(&format!("/memos/new?to={yamada_id}")));
}

#[tokio::test]
async fn only_oneself_colleagues_and_administrators_set_a_status() {
    let app = TestApp::new().await;
    let yamada_id = app.staff("yamada").await.id;
    let colleague = colleague(&app).await;
    let path = format!("/whereabouts/{yamada_id}");
    let fields = [CSRF, ("action", "set"), ("status", "meeting")];
    assert_eq!(
        app.post(&path, sato(), &fields).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get(&path, sato()).await.status, StatusCode::FORBIDDEN);
    let forged = app
        .post(
            &path,
            yamada(),
            &[("csrf", "x"), ("action", "set"), ("status", "out")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let statuses = |id: StaffId| {
        let pool = app.db.pool.clone();
        async move {
            app::whereabouts::store::hand_statuses(&pool, &[id])
                .await
                .unwrap()
        }
    };
    assert!(statuses(yamada_id).await.is_empty(), "nothing saved");

    // A colleague in the same 課 may, and the board says who set it.
    let by_colleague = app
        .post(
            &path,
            crate::support::claims(&colleague.login, &colleague.name, Some("総務課")),
            &fields,
        )
        .await;
    assert_eq!(
        by_colleague.status,
        StatusCode::SEE_OTHER,
        "{}",
        by_colleague.body
    );
    assert_eq!(statuses(yamada_id).await[&yamada_id].set_by, colleague.id);
    let board = app.get("/whereabouts", yamada()).await;
    assert!(
        board
            .body
            .contains(&format!("{} さんが設定", colleague.name))
    );

    // Bad input is shown again and saves nothing new.
    let bad = app
        .post(
            &path,
            yamada(),
            &[
                CSRF,
                ("action", "set"),
                ("status", "lunch"),
                ("returns", "9時"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("所在を選んでください。"));
    assert!(bad.body.contains("戻り時刻を正しく入力してください"));
    assert_eq!(
        statuses(yamada_id).await[&yamada_id].presence,
        app::whereabouts::model::Presence::Meeting
    );

    // Back to the schedule.
    let cleared = app
        .post(&path, yamada(), &[CSRF, ("action", "clear")])
        .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert!(statuses(yamada_id).await.is_empty());

    // A whereabouts administrator of the whole city may set anyone's.
    let sato_id = app.staff("sato").await.id;
    app::org::store::grant_function_admin(
        &app.db.pool,
        sato_id,
        app::org::model::Module::Whereabouts,
        &app::org::store::Grant {
            kind: app::org::model::GrantKind::All,
            departments: vec![],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        app.post(&path, sato(), &fields).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_memo_is_left_counted_read_and_handled_by_its_recipient() {
    let app = TestApp::new().await;
    let yamada_id = app.staff("yamada").await.id.0.to_string();
    let form = app.get(&format!("/memos/new?to={yamada_id}"), sato()).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains(&format!(
            r#"<option value="{yamada_id}" selected>山田 太郎"#
        )),
        "the recipient from the board is chosen: {}",
        form.body
    );
    let left = app
        .post(
            "/memos",
            sato(),
            &[
                CSRF,
                ("to", &yamada_id),
                ("caller_name", "田中"),
                ("caller_org", "北区役所 保険年金課"),
                ("callback", "０７８－３２２－５１１１"),
                ("request", "call_back"),
                ("message", "国保の件で<折り返し>お願いします。"),
            ],
        )
        .await;
    assert_eq!(left.status, StatusCode::SEE_OTHER, "{}", left.body);
    assert_eq!(left.location.as_deref(), Some("/memos?box=sent&sent=1"));

    let inbox = app.get("/memos", yamada()).await;
    assert!(
        inbox.body.contains(r#"<span class="count">1</span>"#),
        "{}",
        inbox.body
    );
    assert!(inbox.body.contains("田中") && inbox.body.contains("折り返し電話をください"));
    let memo_path = {
        let at = inbox
            .body
            .match_indices("href=\"/memos/")
            .map(|(at, _)| at + 6)
            .find(|at| inbox.body[at + 7..].starts_with(|c: char| c.is_ascii_digit()))
            .unwrap();
        let rest = &inbox.body[at..];
        rest[..rest.find('"').unwrap()].to_owned()
    };
    // Nobody else may see it; its author may, without reading it for the recipient.
    let other = crate::support::claims("admin", "システム管理者", None);
    assert_eq!(
        app.get(&memo_path, other).await.status,
        StatusCode::NOT_FOUND
    );
    let seen_by_author = app.get(&memo_path, sato()).await;
    assert_eq!(seen_by_author.status, StatusCode::OK);
    assert!(seen_by_author.body.contains("未読"));
    assert!(!seen_by_author.body.contains("対応済みにする"));

    let opened = app.get(&memo_path, yamada()).await;
    assert!(opened.body.contains("078-322-5111"), "{}", opened.body);
    assert!(opened.body.contains("&#60;折り返し&#62;"), "escaped");
    assert!(
        !opened.body.contains(r#"class="count""#),
        "read now: {}",
        opened.body
    );

    let done_path = format!("{memo_path}/done");
    assert_eq!(
        app.post(&done_path, sato(), &[CSRF]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&done_path, yamada(), &[("csrf", "x")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let done = app.post(&done_path, yamada(), &[CSRF]).await;
    assert_eq!(done.location.as_deref(), Some("/memos?handled=1"));
    let inbox = app.get("/memos?handled=1", yamada()).await;
    assert!(inbox.body.contains("対応済みにしました。"));
    assert!(
        !inbox.body.contains("田中"),
        "handled memos are hidden by default"
    );
    assert!(
        app.get("/memos?all=1", yamada())
            .await
            .body
            .contains("田中")
    );
    assert!(
        app.get("/memos?box=sent", sato())
            .await
            .body
            .contains("田中")
    );
}

#[tokio::test]
async fn the_recipient_is_found_by_search_without_losing_what_was_typed() {
    let app = TestApp::new().await;
    let yamada_id = app.staff("yamada").await.id.0.to_string();
    let chosen = format!(
        r#"<option value="{yamada_id}" selected>山田 太郎（やまだ たろう）総務部 総務課・主査"#
    );

    // From a link or the address bar: a plain GET.
    let found = app
        .get(
            "/memos/new?q=%E3%82%84%E3%81%BE%E3%81%A0%E3%81%9F%E3%82%8D%E3%81%86",
            sato(),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(
        found.body.contains(&chosen),
        "one hit is chosen: {}",
        found.body
    );
    assert!(
        found.body.contains("「やまだたろう」に一致する職員: 1人"),
        "{}",
        found.body
    );

    // From the form: half-width katakana, the memo half written.
    let typed = [
        CSRF,
        ("q", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("find", "1"),
        ("to", ""),
        ("caller_name", "田中"),
        ("callback", "078-322-5111"),
        ("request", "urgent"),
        ("message", "至急の件"),
    ];
    let found = app.post("/memos", sato(), &typed).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found.body.contains(&chosen), "{}", found.body);
    for kept in [
        r#"value="ﾔﾏﾀﾞ ﾀﾛｳ""#,
        r#"value="田中""#,
        r#"value="078-322-5111""#,
        r#"value="urgent" checked"#,
        "至急の件</textarea>",
    ] {
        assert!(found.body.contains(kept), "{kept}: {}", found.body);
    }
    let yamada = app.staff("yamada").await.id;
    let inbox = |pool| async move {
        app::memo::store::inbox(pool, yamada, true, 10)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(inbox(&app.db.pool).await, 0, "searching leaves no memo");

    let nobody = app
        .post(
            "/memos",
            sato(),
            &[CSRF, ("q", "該当者なし"), ("find", "1")],
        )
        .await;
    assert!(
        nobody
            .body
            .contains("「該当者なし」に一致する職員はいません。")
    );
    let blank = app
        .post("/memos", sato(), &[CSRF, ("q", "  "), ("find", "1")])
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        blank
            .body
            .contains("探す氏名などを50文字以内で入力してください。")
    );

    let mut send: Vec<(&str, &str)> = typed
        .iter()
        .filter(|(name, _)| *name != "find" && *name != "to")
        .copied()
        .collect();
    send.push(("to", &yamada_id));
    let left = app.post("/memos", sato(), &send).await;
    assert_eq!(left.status, StatusCode::SEE_OTHER, "{}", left.body);
    assert_eq!(inbox(&app.db.pool).await, 1);
}

#[tokio::test]
async fn a_bad_memo_is_shown_again_with_every_problem_and_saves_nothing() {
    let app = TestApp::new().await;
    let bad = app
        .post(
            "/memos",
            sato(),
            &[
                CSRF,
                ("to", "999999"),
                ("caller_name", ""),
                ("callback", "いつでも"),
                ("request", "call_back"),
                ("message", "メモ"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "宛先を選んでください。",
        "相手の氏名を入力してください",
        "電話番号は数字と",
    ] {
        assert!(bad.body.contains(message), "{message}: {}", bad.body);
    }
    assert!(bad.body.contains("メモ</textarea>"), "the message is kept");
    let forged = app
        .post(
            "/memos",
            sato(),
            &[("to", "1"), ("caller_name", "x"), ("request", "call_back")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let yamada_id = app.staff("yamada").await.id;
    assert_eq!(
        app::memo::store::inbox(&app.db.pool, yamada_id, true, 10)
            .await
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn the_portal_lists_approvals_waiting_for_me_and_unread_memos() {
    let app = TestApp::new().await;
    let yamada_id = app.staff("yamada").await.id.0.to_string();
    // 佐藤 asks for the restricted room and leaves 山田 an urgent memo.
    let date = app::facility::model::iso_date(
        OffsetDateTime::now_utc()
            .to_offset(app::facility::model::JST)
            .date()
            + Duration::days(1),
    );
    let booked = app
        .post(
            "/facilities/2/reserve",
            sato(),
            &[
                CSRF,
                ("date", &date),
                ("start", "15:00"),
                ("end", "16:00"),
                ("title", "監査対応"),
            ],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
    app.post(
        "/memos",
        sato(),
        &[
            CSRF,
            ("to", &yamada_id),
            ("caller_name", "鈴木"),
            ("caller_org", "県庁"),
            ("request", "urgent"),
        ],
    )
    .await;

    // Before 山田 administers facilities he sees no approvals, only his own bookings' news.
    let portal = app.get("/", yamada()).await;
    assert!(!portal.body.contains("設備の承認待ち"));
    assert!(portal.body.contains("設備予約の結果"));
    let memos = portlet(&portal.body, "portlet-memos");
    assert!(
        memos.contains(r#"<span class="badge badge-count">1</span>"#),
        "{memos}"
    );
    assert!(
        memos.contains("<strong>") && memos.contains("鈴木（県庁）"),
        "{memos}"
    );
    assert!(memos.contains("至急連絡をください"));

    app.make_admin("yamada", app::org::model::GrantKind::Own)
        .await;
    let portal = app.get("/", yamada()).await;
    let approvals = portlet(&portal.body, "portlet-facility-approvals");
    assert!(
        approvals.contains(r#"<span class="badge badge-count">1</span>"#),
        "{approvals}"
    );
    assert!(approvals.contains("特別会議室") && approvals.contains("監査対応（佐藤 花子）"));
    assert!(approvals.contains(r#"href="/facilities/reservations/"#));
    // Nothing to tell 山田 about his own bookings, so that portlet steps aside.
    assert!(!portal.body.contains("設備予約の結果"));

    // 佐藤 is told once 山田 has decided.
    let id = approvals
        .split("href=\"/facilities/reservations/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    app.post(
        &format!("/facilities/reservations/{id}/decide"),
        yamada(),
        &[CSRF, ("decision", "reject")],
    )
    .await;
    let told = portlet(
        &app.get("/", sato()).await.body,
        "portlet-facility-decisions",
    );
    assert!(
        told.contains("却下") && told.contains("特別会議室"),
        "{told}"
    );
}

/// The `<article>` of the portlet with class `class`.
fn portlet(body: &str, class: &str) -> String {
    let start = body
        .find(&format!("portlet {class}"))
        .unwrap_or_else(|| panic!("no {class} in {body}"));
    let end = start + body[start..].find("</article>").unwrap();
    body[start..end].to_owned()
}

#[tokio::test]
async fn the_board_finds_a_colleague_anywhere_in_the_city_with_their_status() {
    let app = TestApp::new().await;
    let sato_id = app.staff("sato").await.id;
    let set = app
        .post(
            &format!("/whereabouts/{sato_id}"),
            sato(),
            &[CSRF, ("action", "set"), ("status", "telework")],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);

    let found = app
        .get("/whereabouts?q=%E3%82%B5%E3%83%88%E3%82%A6", yamada())
        .await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(
        found.body.contains("「サトウ」に一致する職員"),
        "{}",
        found.body
    );
    let line = &found.body[found.body.find("佐藤 花子").expect("佐藤 is found")..];
    let line = &line[..line.find("</tr>").unwrap()];
    assert!(line.contains("財務部 財務課・課長"), "{line}");
    assert!(line.contains("テレワーク"), "{line}");
    assert!(line.contains(&format!("/memos/new?to={sato_id}")), "{line}");
    assert!(
        !line.contains(&format!("/whereabouts/{sato_id}\"")),
        "another department's status is not 山田's to change: {line}"
    );

    let nobody = app.get("/whereabouts?q=zzzz", yamada()).await;
    assert!(nobody.body.contains("「zzzz」に一致する職員はいません。"));
    assert!(!nobody.body.contains("この部署には職員がいません。"));
}
