//! The fixed texts of the schedule in Japanese and English, kept with the feature so that
//! each module owns its words. Texts with `{name}` are filled in with `str::replace`.

use super::form::Problem;
use crate::i18n::Lang;

/// Every fixed text of the schedule pages, in one language.
#[derive(Debug)]
pub struct ScheduleTexts {
    /// Module name.
    pub module: &'static str,
    /// Navigation.
    pub nav_mine: &'static str,
    /// Navigation.
    pub nav_group: &'static str,
    /// Navigation.
    pub nav_free: &'static str,
    /// Navigation.
    pub nav_feed: &'static str,
    /// Navigation.
    pub nav_portal: &'static str,
    /// View switch.
    pub view_day: &'static str,
    /// View switch.
    pub view_week: &'static str,
    /// View switch.
    pub view_month: &'static str,
    /// Date navigation.
    pub previous: &'static str,
    /// Date navigation.
    pub today: &'static str,
    /// Date navigation.
    pub next: &'static str,
    /// Button that applies a picker.
    pub show: &'static str,
    /// New-event link.
    pub new_event: &'static str,
    /// What others see of a private event.
    pub busy: &'static str,
    /// Mark of a tentative event.
    pub tentative: &'static str,
    /// Mark of a private event.
    pub private: &'static str,
    /// Mark of a recurring event.
    pub recurring: &'static str,
    /// Label of an all-day event.
    pub all_day: &'static str,
    /// Shown for a day without events.
    pub nothing: &'static str,
    /// Heading of the member column of the department grid.
    pub member: &'static str,
    /// Label of the department picker.
    pub department: &'static str,
    /// Shown when a department has no members.
    pub no_members: &'static str,
    /// Shown when a grid shows only its first people.
    pub grid_truncated: &'static str,
    /// Someone's calendar (`{name}`).
    pub calendar_of: &'static str,
    /// Form: heading for a new event.
    pub form_new: &'static str,
    /// Form: heading for an edit.
    pub form_edit: &'static str,
    /// Field label.
    pub field_title: &'static str,
    /// Field label.
    pub field_place: &'static str,
    /// Field label.
    pub field_memo: &'static str,
    /// Field label.
    pub field_start: &'static str,
    /// Field label.
    pub field_end: &'static str,
    /// Field label.
    pub field_all_day: &'static str,
    /// Field label.
    pub field_tentative: &'static str,
    /// Field label.
    pub field_private: &'static str,
    /// Hint under the private checkbox.
    pub field_private_hint: &'static str,
    /// Field label.
    pub field_repeat: &'static str,
    /// Repeat choice.
    pub repeat_none: &'static str,
    /// Repeat choice.
    pub repeat_daily: &'static str,
    /// Repeat choice.
    pub repeat_weekly: &'static str,
    /// Repeat choice.
    pub repeat_monthly: &'static str,
    /// Repeat choice.
    pub repeat_yearly: &'static str,
    /// Field label: every N.
    pub field_interval: &'static str,
    /// Field label: weekdays of a weekly series.
    pub field_weekdays: &'static str,
    /// Monthly choice.
    pub monthly_day: &'static str,
    /// Monthly choice.
    pub monthly_weekday: &'static str,
    /// Field label.
    pub field_ends: &'static str,
    /// End choice.
    pub ends_never: &'static str,
    /// End choice.
    pub ends_until: &'static str,
    /// End choice.
    pub ends_count: &'static str,
    /// Field label.
    pub field_participants: &'static str,
    /// Hint on the participant picker.
    pub participants_hint: &'static str,
    /// Button: show a department's members to pick from.
    pub pick_department: &'static str,
    /// Field: add people by login or personnel number.
    pub add_people: &'static str,
    /// Button next to it.
    pub add_button: &'static str,
    /// Nobody current has that login or number (`{who}`).
    pub unknown_person: &'static str,
    /// Field label.
    pub field_facilities: &'static str,
    /// Refusal of a series whose occurrences clash (`{n}`).
    pub rooms_taken: &'static str,
    /// One clashing occurrence (`{when}`, `{facility}`, `{booker}`, `{title}`, `{status}`, `{booked}`).
    pub rooms_taken_line: &'static str,
    /// More clashes than listed (`{n}`).
    pub rooms_more: &'static str,
    /// A facility of an occurrence beyond the booking window (`{date}`).
    pub room_later: &'static str,
    /// A facility of an occurrence that is not booked.
    pub room_not_booked: &'static str,
    /// Hint under the facility picker.
    pub rooms_hint: &'static str,
    /// Button: show a category's facilities to pick from.
    pub pick_category: &'static str,
    /// Save button.
    pub save: &'static str,
    /// Cancel link.
    pub cancel: &'static str,
    /// Heading above a form's problems.
    pub problems: &'static str,
    /// Event page: edit link.
    pub edit: &'static str,
    /// Event page: delete button.
    pub delete: &'static str,
    /// Series scope choice.
    pub scope_this: &'static str,
    /// Series scope choice.
    pub scope_following: &'static str,
    /// Series scope choice.
    pub scope_all: &'static str,
    /// Label of the series scope choice.
    pub scope_label: &'static str,
    /// Event page: created by.
    pub created_by: &'static str,
    /// Event page: linked reservations.
    pub reservations: &'static str,
    /// Shown instead of a private event's details.
    pub private_notice: &'static str,
    /// Free-slot search: heading.
    pub free_title: &'static str,
    /// Free-slot search: duration label.
    pub free_duration: &'static str,
    /// Free-slot search: from.
    pub free_from: &'static str,
    /// Free-slot search: to.
    pub free_to: &'static str,
    /// Free-slot search: people label.
    pub free_people: &'static str,
    /// Free-slot search: button.
    pub free_search: &'static str,
    /// Free-slot search: no result.
    pub free_none: &'static str,
    /// Free-slot search: working hours (`{from}`, `{to}`).
    pub free_hours: &'static str,
    /// The search's hours with a break (`{from}`, `{to}`, `{break_from}`, `{break_to}`).
    pub free_hours_break: &'static str,
    /// Free-slot search: results heading.
    pub free_results: &'static str,
    /// Free-slot search: book link on a result.
    pub free_book: &'static str,
    /// Free-slot search: problem.
    pub free_bad_range: &'static str,
    /// Free-slot search: problem.
    pub free_no_people: &'static str,
    /// Minutes unit (`{n}`).
    pub minutes: &'static str,
    /// Feed page: heading.
    pub feed_title: &'static str,
    /// Feed page: explanation.
    pub feed_explain: &'static str,
    /// Feed page: no URL yet.
    pub feed_none: &'static str,
    /// Feed page: the new URL is shown once.
    pub feed_shown_once: &'static str,
    /// Feed page: make a URL.
    pub feed_create: &'static str,
    /// Feed page: stop the URL.
    pub feed_revoke: &'static str,
    /// Feed page: when made (`{at}`).
    pub feed_created: &'static str,
    /// Delegates: heading.
    pub delegates_title: &'static str,
    /// Delegates: explanation.
    pub delegates_explain: &'static str,
    /// Saved message.
    pub saved: &'static str,
    /// Weekday names, Sunday first.
    pub weekdays: [&'static str; 7],
    /// Weekday codes with names, Monday first, for the weekly repeat choice.
    pub weekday_choices: [(&'static str, &'static str); 7],
}

/// Japanese.
pub static JA: ScheduleTexts = ScheduleTexts {
    module: "スケジュール",
    nav_mine: "個人",
    nav_group: "組織",
    nav_free: "空き時間検索",
    nav_feed: "カレンダー連携",
    nav_portal: "ポータル",
    view_day: "日",
    view_week: "週",
    view_month: "月",
    previous: "前へ",
    today: "今日",
    next: "次へ",
    show: "表示",
    new_event: "予定を登録",
    busy: "予定あり",
    tentative: "仮",
    private: "非公開",
    recurring: "繰り返し",
    all_day: "終日",
    nothing: "予定はありません。",
    member: "氏名",
    department: "組織",
    no_members: "この組織に所属する職員はいません。",
    grid_truncated: "人数が多いため先頭の200人を表示しています。下位の組織を選んでください。",
    calendar_of: "{name} のスケジュール",
    form_new: "予定の登録",
    form_edit: "予定の変更",
    field_title: "予定",
    field_place: "場所",
    field_memo: "メモ",
    field_start: "開始",
    field_end: "終了",
    field_all_day: "終日",
    field_tentative: "仮予定にする",
    field_private: "非公開にする",
    field_private_hint: "参加者以外には「予定あり」とだけ表示されます。",
    field_repeat: "繰り返し",
    repeat_none: "繰り返さない",
    repeat_daily: "毎日",
    repeat_weekly: "毎週",
    repeat_monthly: "毎月",
    repeat_yearly: "毎年",
    field_interval: "間隔",
    field_weekdays: "曜日",
    monthly_day: "同じ日付",
    monthly_weekday: "同じ週の曜日（第n○曜日）",
    field_ends: "終了条件",
    ends_never: "なし",
    ends_until: "終了日",
    ends_count: "回数",
    field_participants: "参加者",
    participants_hint: "チェックを外すと参加者から外れます。他の組織の職員は組織を選んで追加できます。",
    pick_department: "組織の職員を表示",
    add_people: "ログインIDまたは職員番号で追加",
    add_button: "追加",
    unknown_person: "「{who}」という在職中の職員は見つかりません。",
    field_facilities: "設備",
    rooms_taken: "繰り返しの予定のうち {n} 回は、設備が他の予約と重なるため保存できませんでした（何も保存していません）。重なる回と予約:",
    rooms_taken_line: "{when} の回: 「{facility}」に {booker} さんの予約「{title}」{status}（{booked}）があります。",
    rooms_more: "ほか {n} 回も重なっています。",
    room_later: "予約可能期間外（{date} に自動で予約します）",
    room_not_booked: "予約されていません（他の予約と重なったか、取り消されました）",
    rooms_hint: "繰り返しの予定では、各設備の予約可能期間内の回をまとめて予約し、それより先の回は期間に入った日に自動で予約します。",
    pick_category: "分類の設備を表示",
    save: "登録する",
    cancel: "戻る",
    problems: "入力内容を確認してください",
    edit: "変更",
    delete: "削除",
    scope_this: "この予定のみ",
    scope_following: "これ以降の予定",
    scope_all: "すべての繰り返し",
    scope_label: "繰り返し予定の対象",
    created_by: "登録者",
    reservations: "設備予約",
    private_notice: "非公開の予定のため、内容は表示されません。",
    free_title: "空き時間検索",
    free_duration: "所要時間",
    free_from: "期間（開始日）",
    free_to: "期間（終了日）",
    free_people: "対象者",
    free_search: "検索",
    free_none: "条件に合う空き時間はありません。期間を広げるか所要時間を短くしてください。",
    free_hours: "勤務時間 {from}〜{to}、土日祝日を除く",
    free_hours_break: "勤務時間 {from}〜{to}（休憩 {break_from}〜{break_to} を除く）、土日祝日を除く",
    free_results: "空いている時間",
    free_book: "この時間で登録",
    free_bad_range: "期間は開始日から終了日まで31日以内で指定してください。",
    free_no_people: "対象者を1人以上選んでください。",
    minutes: "{n}分",
    feed_title: "カレンダー連携（iCalendar）",
    feed_explain: "Outlook などのカレンダーアプリにこのURLを登録すると、あなたの予定を読み取り専用で表示できます。URLは他の人に知らせないでください。",
    feed_none: "まだ連携用URLはありません。",
    feed_shown_once: "連携用URLは今回だけ表示されます。控えておいてください。",
    feed_create: "連携用URLを発行（以前のURLは無効になります）",
    feed_revoke: "連携を停止",
    feed_created: "{at} に発行したURLが有効です。",
    delegates_title: "代理人",
    delegates_explain: "代理人はあなたの予定を登録・変更できます。",
    saved: "保存しました。",
    weekdays: ["日", "月", "火", "水", "木", "金", "土"],
    weekday_choices: [
        ("MO", "月"),
        ("TU", "火"),
        ("WE", "水"),
        ("TH", "木"),
        ("FR", "金"),
        ("SA", "土"),
        ("SU", "日"),
    ],
};

/// English.
pub static EN: ScheduleTexts = ScheduleTexts {
    module: "Schedule",
    nav_mine: "Mine",
    nav_group: "Department",
    nav_free: "Find a free time",
    nav_feed: "Calendar feed",
    nav_portal: "Portal",
    view_day: "Day",
    view_week: "Week",
    view_month: "Month",
    previous: "Previous",
    today: "Today",
    next: "Next",
    show: "Show",
    new_event: "New event",
    busy: "Busy",
    tentative: "Tentative",
    private: "Private",
    recurring: "Repeats",
    all_day: "All day",
    nothing: "Nothing scheduled.",
    member: "Name",
    department: "Department",
    no_members: "Nobody works in this department.",
    grid_truncated: "Only the first 200 people are shown; pick a smaller department.",
    calendar_of: "Schedule of {name}",
    form_new: "New event",
    form_edit: "Change event",
    field_title: "Title",
    field_place: "Place",
    field_memo: "Notes",
    field_start: "Start",
    field_end: "End",
    field_all_day: "All day",
    field_tentative: "Tentative",
    field_private: "Private",
    field_private_hint: "People who do not take part see only \"Busy\".",
    field_repeat: "Repeat",
    repeat_none: "Does not repeat",
    repeat_daily: "Daily",
    repeat_weekly: "Weekly",
    repeat_monthly: "Monthly",
    repeat_yearly: "Yearly",
    field_interval: "Every",
    field_weekdays: "On",
    monthly_day: "Same day of the month",
    monthly_weekday: "Same weekday of the same week",
    field_ends: "Ends",
    ends_never: "Never",
    ends_until: "On",
    ends_count: "After",
    field_participants: "Participants",
    participants_hint: "Untick to remove someone. Pick a department to add its members.",
    pick_department: "Show members",
    add_people: "Add by login or personnel number",
    add_button: "Add",
    unknown_person: "No current member of staff is called {who}.",
    field_facilities: "Facilities",
    rooms_taken: "{n} occurrences of the series clash with other bookings, so nothing was saved. The clashes:",
    rooms_taken_line: "{when}: {facility} is booked by {booker} for \"{title}\"{status} ({booked}).",
    rooms_more: "…and {n} more.",
    room_later: "Beyond the booking window (booked automatically on {date})",
    room_not_booked: "Not booked (taken by another booking, or cancelled)",
    rooms_hint: "For a repeating event, every occurrence within each facility's booking window is booked now, and later ones automatically as the window reaches them.",
    pick_category: "Show facilities",
    save: "Save",
    cancel: "Back",
    problems: "Please check the form",
    edit: "Change",
    delete: "Delete",
    scope_this: "This event",
    scope_following: "This and following events",
    scope_all: "All events of the series",
    scope_label: "Apply to",
    created_by: "Created by",
    reservations: "Facility reservations",
    private_notice: "This event is private.",
    free_title: "Find a free time",
    free_duration: "Duration",
    free_from: "From",
    free_to: "To",
    free_people: "People",
    free_search: "Search",
    free_none: "No free time matches. Widen the period or shorten the duration.",
    free_hours: "Working hours {from}-{to}, weekdays that are not public holidays",
    free_hours_break: "Working hours {from}-{to} without the break {break_from}-{break_to}, weekdays that are not public holidays",
    free_results: "Free times",
    free_book: "Book this time",
    free_bad_range: "Choose a period of at most 31 days, from its first to its last day.",
    free_no_people: "Choose at least one person.",
    minutes: "{n} min",
    feed_title: "Calendar feed (iCalendar)",
    feed_explain: "Subscribe to this URL in Outlook or another calendar app to see your events, read-only. Do not share it.",
    feed_none: "You have no feed URL yet.",
    feed_shown_once: "The URL is shown only this once. Keep it somewhere safe.",
    feed_create: "Make a feed URL (any earlier one stops working)",
    feed_revoke: "Stop the feed",
    feed_created: "The URL made on {at} is active.",
    delegates_title: "Delegates",
    delegates_explain: "Delegates may add and change your events.",
    saved: "Saved.",
    weekdays: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
    weekday_choices: [
        ("MO", "Mon"),
        ("TU", "Tue"),
        ("WE", "Wed"),
        ("TH", "Thu"),
        ("FR", "Fri"),
        ("SA", "Sat"),
        ("SU", "Sun"),
    ],
};

impl ScheduleTexts {
    /// The texts in `lang`.
    pub fn of(lang: Lang) -> &'static ScheduleTexts {
        match lang {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
}

/// What the form tells the user about `problem`, in `lang`.
pub fn problem_message(problem: Problem, lang: Lang) -> &'static str {
    {
        let (j, e) = match problem {
            Problem::TitleMissing => ("予定を入力してください。", "Enter a title."),
            Problem::TitleTooLong => (
                "予定は100文字以内で入力してください。",
                "Keep the title to 100 characters.",
            ),
            Problem::PlaceTooLong => (
                "場所は100文字以内で入力してください。",
                "Keep the place to 100 characters.",
            ),
            Problem::MemoTooLong => (
                "メモは2000文字以内で入力してください。",
                "Keep the notes to 2,000 characters.",
            ),
            Problem::BadDate => (
                "日付を YYYY-MM-DD の形で入力してください。",
                "Enter dates as YYYY-MM-DD.",
            ),
            Problem::BadTime => (
                "時刻を HH:MM の形で入力してください。",
                "Enter times as HH:MM.",
            ),
            Problem::EndBeforeStart => (
                "終了は開始より後にしてください。",
                "The end must come after the start.",
            ),
            Problem::TooLong => (
                "1つの予定の期間は92日以内にしてください。",
                "An event may last at most 92 days.",
            ),
            Problem::BadRepeat => (
                "繰り返しの指定が正しくありません。",
                "The repeat choice is not valid.",
            ),
            Problem::BadInterval => (
                "間隔は1〜99で入力してください。",
                "Enter an interval from 1 to 99.",
            ),
            Problem::BadUntil => (
                "繰り返しの終了日を YYYY-MM-DD の形で入力してください。",
                "Enter the series' last day as YYYY-MM-DD.",
            ),
            Problem::UntilBeforeStart => (
                "繰り返しの終了日は開始日以降にしてください。",
                "The series cannot end before it starts.",
            ),
            Problem::BadCount => (
                "繰り返しの回数は1〜999で入力してください。",
                "Enter a number of occurrences from 1 to 999.",
            ),
            Problem::OccurrencesOverlap => (
                "予定の長さが繰り返しの間隔より長くなっています。",
                "Each occurrence must end before the next one starts.",
            ),
            Problem::NoParticipants => (
                "参加者を1人以上選んでください。",
                "Choose at least one participant.",
            ),
            Problem::TooManyParticipants => (
                "参加者は300人までです。",
                "An event may have at most 300 participants.",
            ),
            Problem::BadParticipant => (
                "参加者に在職していない職員が含まれています。",
                "A participant is not current staff.",
            ),
            Problem::TooManyFacilities => {
                ("設備は10件まで選べます。", "Choose at most 10 facilities.")
            }
            Problem::BadFacility => (
                "選べない設備が含まれています。",
                "A facility cannot be chosen.",
            ),
        };
        match lang {
            Lang::Ja => j,
            Lang::En => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_has_its_own_problem_messages() {
        assert!(problem_message(Problem::TitleMissing, Lang::Ja).contains("入力"));
        assert!(problem_message(Problem::TitleMissing, Lang::En).starts_with("Enter"));
        assert_eq!(ScheduleTexts::of(Lang::En).busy, "Busy");
        assert_eq!(ScheduleTexts::of(Lang::Ja).busy, "予定あり");
    }
}
