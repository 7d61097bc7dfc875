//! The shapes of the status board and the one rule that decides what it shows for a person:
//! [`shown`], from their status set by hand, their current schedule event and the time. Pure.

use time::{OffsetDateTime, Time};

use super::texts::WhereaboutsTexts;
use crate::org::model::StaffId;

use crate::portal::model::JST;

/// Where someone is, as the board shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// 在席: at their desk.
    Present,
    /// 外出: out of the office.
    Out,
    /// 会議: in a meeting.
    Meeting,
    /// テレワーク: working from home.
    Telework,
    /// 休暇: on leave.
    Leave,
    /// 帰宅: gone home for the day.
    Home,
}

impl Presence {
    /// Every status, in the order the board offers them.
    pub const ALL: [Presence; 6] = [
        Presence::Present,
        Presence::Out,
        Presence::Meeting,
        Presence::Telework,
        Presence::Leave,
        Presence::Home,
    ];

    /// The stored and posted name (`whereabouts.status`).
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Present => "present",
            Presence::Out => "out",
            Presence::Meeting => "meeting",
            Presence::Telework => "telework",
            Presence::Leave => "leave",
            Presence::Home => "home",
        }
    }

    /// The status stored or posted as `name`, if it is one.
    pub fn parse(name: &str) -> Option<Presence> {
        Presence::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The status in words.
    pub fn label(self, texts: &WhereaboutsTexts) -> &'static str {
        match self {
            Presence::Present => texts.present,
            Presence::Out => texts.out,
            Presence::Meeting => texts.meeting,
            Presence::Telework => texts.telework,
            Presence::Leave => texts.leave,
            Presence::Home => texts.home,
        }
    }
}

/// A status set by hand, by the person or a colleague.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandStatus {
    /// The status.
    pub presence: Presence,
    /// A comment ("北区役所へ", "15時に戻ります").
    pub comment: String,
    /// When they expect to be back.
    pub returns_at: Option<OffsetDateTime>,
    /// When it was set.
    pub set_at: OffsetDateTime,
    /// Who set it.
    pub set_by: StaffId,
}

/// The schedule event someone is in now, as the board may show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentEvent {
    /// The title, or `None` for a private event.
    pub title: Option<String>,
    /// When it started.
    pub start: OffsetDateTime,
    /// When it ends.
    pub end: OffsetDateTime,
    /// A whole-day event (a trip, a day of leave).
    pub all_day: bool,
}

/// Where a shown status comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Set by hand today.
    Hand,
    /// Derived from the current schedule event.
    Schedule,
}

/// What the board shows for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The status.
    pub presence: Presence,
    /// The comment (for a schedule event: its title, or 「予定あり」).
    pub comment: String,
    /// When they expect to be back.
    pub returns_at: Option<OffsetDateTime>,
    /// Set by hand or from the schedule.
    pub source: Source,
}

/// Words in an event's title that say where its participant is; the first match decides, and
/// any other event reads as a meeting. City staff write their trips and leave into the
/// schedule this way ("出張（東京）", "年休", "在宅勤務").
const KEYWORDS: [(&str, Presence); 11] = [
    ("休暇", Presence::Leave),
    ("年休", Presence::Leave),
    ("有休", Presence::Leave),
    ("休み", Presence::Leave),
    ("テレワーク", Presence::Telework),
    ("在宅", Presence::Telework),
    ("出張", Presence::Out),
    ("外出", Presence::Out),
    ("直行", Presence::Out),
    ("訪問", Presence::Out),
    ("現場", Presence::Out),
];

/// The status a schedule event implies: by a keyword of its title, else 会議. A private
/// event says nothing about what it is, so it reads as 会議.
pub fn presence_of(event: &CurrentEvent) -> Presence {
    event
        .title
        .as_deref()
        .and_then(|title| {
            KEYWORDS
                .iter()
                .find(|(word, _)| title.contains(word))
                .map(|(_, presence)| *presence)
        })
        .unwrap_or(Presence::Meeting)
}

/// What the board shows at `now` for someone with status `hand` (if any) in `event` (if any).
///
/// A status set by hand holds for the rest of the (Japan) day it was set on, unless a
/// schedule event began after it was set: whichever happened last wins, so "在席" set at 08:30
/// gives way to the 10:00 meeting and comes back when the meeting ends, and "外出" set during
/// the meeting beats it. With neither, nothing is shown.
pub fn shown(
    hand: Option<&HandStatus>,
    event: Option<&CurrentEvent>,
    now: OffsetDateTime,
    texts: &WhereaboutsTexts,
) -> Option<Shown> {
    let today = now.to_offset(JST).date();
    let hand = hand.filter(|h| h.set_at.to_offset(JST).date() == today);
    match (hand, event) {
        (Some(hand), Some(event)) if event.start > hand.set_at => Some(from_event(event, texts)),
        (Some(hand), _) => Some(Shown {
            presence: hand.presence,
            comment: hand.comment.clone(),
            returns_at: hand.returns_at,
            source: Source::Hand,
        }),
        (None, Some(event)) => Some(from_event(event, texts)),
        (None, None) => None,
    }
}

fn from_event(event: &CurrentEvent, texts: &WhereaboutsTexts) -> Shown {
    Shown {
        presence: presence_of(event),
        comment: event.title.clone().unwrap_or_else(|| texts.busy.to_owned()),
        returns_at: (!event.all_day).then_some(event.end),
        source: Source::Schedule,
    }
}

/// `15:30` for a return time today, `12/3 15:30` for another day, both Japan time.
pub fn return_label(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let at = at.to_offset(JST);
    let clock = format!("{:02}:{:02}", at.hour(), at.minute());
    if at.date() == now.to_offset(JST).date() {
        clock
    } else {
        format!("{}/{} {clock}", u8::from(at.month()), at.day())
    }
}

/// The instant `minutes` after midnight on the Japan day of `now`: a return time typed as a
/// clock time means today.
pub fn today_at(now: OffsetDateTime, minutes: u16) -> OffsetDateTime {
    let day = now.to_offset(JST).date();
    let time = Time::from_hms(
        u8::try_from(minutes / 60).unwrap_or(0),
        u8::try_from(minutes % 60).unwrap_or(0),
        0,
    )
    .unwrap_or(Time::MIDNIGHT);
    day.with_time(time).assume_offset(JST)
}

/// Longest comment, in characters.
pub const MAX_COMMENT: usize = 100;

/// A status as a form posts it: the status name, a comment and a return time (`15:30`, empty
/// for none), read at `now`; every problem at once.
pub fn parse_status(
    status: &str,
    comment: &str,
    returns: &str,
    now: OffsetDateTime,
    texts: &WhereaboutsTexts,
) -> Result<(Presence, String, Option<OffsetDateTime>), Vec<String>> {
    let mut problems = Vec::new();
    let presence = Presence::parse(status);
    if presence.is_none() {
        problems.push(texts.error_status.to_owned());
    }
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT || comment.chars().any(char::is_control) {
        problems.push(texts.error_comment.to_owned());
    }
    let returns_at = match returns.trim() {
        "" => Some(None),
        text => crate::facility::model::parse_clock(text)
            .filter(|m| *m < 1440)
            .map(|m| Some(today_at(now, m))),
    };
    if returns_at.is_none() {
        problems.push(texts.error_returns.to_owned());
    }
    match (presence, returns_at) {
        (Some(presence), Some(returns_at)) if problems.is_empty() => {
            Ok((presence, comment.to_owned(), returns_at))
        }
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whereabouts::texts::JA;
    use time::macros::datetime;

    fn hand(presence: Presence, set_at: OffsetDateTime) -> HandStatus {
        HandStatus {
            presence,
            comment: "手で設定".into(),
            returns_at: Some(datetime!(2025-11-25 17:00 +9)),
            set_at,
            set_by: StaffId(1),
        }
    }

    fn event(title: Option<&str>, start: OffsetDateTime, end: OffsetDateTime) -> CurrentEvent {
        CurrentEvent {
            title: title.map(Into::into),
            start,
            end,
            all_day: false,
        }
    }

    #[test]
    fn nothing_set_and_nothing_scheduled_shows_nothing() {
        assert_eq!(shown(None, None, datetime!(2025-11-25 10:00 +9), &JA), None);
    }

    #[test]
    fn a_status_set_today_shows_until_the_day_ends() {
        let set = hand(Presence::Out, datetime!(2025-11-25 08:30 +9));
        let now = datetime!(2025-11-25 23:59 +9);
        let seen = shown(Some(&set), None, now, &JA).unwrap();
        assert_eq!(seen.presence, Presence::Out);
        assert_eq!(seen.source, Source::Hand);
        assert_eq!(seen.comment, "手で設定");
        let tomorrow = datetime!(2025-11-26 00:00 +9);
        assert_eq!(shown(Some(&set), None, tomorrow, &JA), None);
    }

    #[test]
    fn whichever_came_last_of_hand_and_schedule_wins() {
        let now = datetime!(2025-11-25 10:30 +9);
        let meeting = event(
            Some("課内会議"),
            datetime!(2025-11-25 10:00 +9),
            datetime!(2025-11-25 11:00 +9),
        );
        let before = hand(Presence::Present, datetime!(2025-11-25 08:30 +9));
        let seen = shown(Some(&before), Some(&meeting), now, &JA).unwrap();
        assert_eq!(seen.presence, Presence::Meeting);
        assert_eq!(seen.source, Source::Schedule);
        assert_eq!(seen.comment, "課内会議");
        assert_eq!(seen.returns_at, Some(datetime!(2025-11-25 11:00 +9)));

        let during = hand(Presence::Out, datetime!(2025-11-25 10:15 +9));
        let seen = shown(Some(&during), Some(&meeting), now, &JA).unwrap();
        assert_eq!((seen.presence, seen.source), (Presence::Out, Source::Hand));

        // Yesterday's status gives way to the schedule, and to nothing after it.
        let yesterday = hand(Presence::Home, datetime!(2025-11-24 18:00 +9));
        let seen = shown(Some(&yesterday), Some(&meeting), now, &JA).unwrap();
        assert_eq!(seen.source, Source::Schedule);
    }

    #[test]
    fn event_titles_say_where_people_are_and_private_events_say_nothing() {
        let at = |title: Option<&str>| {
            presence_of(&event(
                title,
                datetime!(2025-11-25 09:00 +9),
                datetime!(2025-11-25 17:00 +9),
            ))
        };
        assert_eq!(at(Some("出張（東京）")), Presence::Out);
        assert_eq!(at(Some("年休")), Presence::Leave);
        assert_eq!(at(Some("在宅勤務")), Presence::Telework);
        assert_eq!(at(Some("予算ヒアリング")), Presence::Meeting);
        assert_eq!(at(None), Presence::Meeting);
        let private = event(
            None,
            datetime!(2025-11-25 09:00 +9),
            datetime!(2025-11-25 10:00 +9),
        );
        let seen = shown(None, Some(&private), datetime!(2025-11-25 09:30 +9), &JA).unwrap();
        assert_eq!(seen.comment, "予定あり");
    }

    #[test]
    fn whole_day_events_have_no_return_time() {
        let mut trip = event(
            Some("出張"),
            datetime!(2025-11-25 00:00 +9),
            datetime!(2025-11-26 00:00 +9),
        );
        trip.all_day = true;
        let seen = shown(None, Some(&trip), datetime!(2025-11-25 11:00 +9), &JA).unwrap();
        assert_eq!((seen.presence, seen.returns_at), (Presence::Out, None));
    }

    #[test]
    fn a_posted_status_is_read_with_every_problem_at_once() {
        let now = datetime!(2025-11-25 10:00 +9);
        assert_eq!(
            parse_status("out", " 北区役所へ ", "15:30", now, &JA),
            Ok((
                Presence::Out,
                "北区役所へ".to_owned(),
                Some(datetime!(2025-11-25 15:30 +9))
            ))
        );
        assert_eq!(
            parse_status("home", "", "", now, &JA),
            Ok((Presence::Home, String::new(), None))
        );
        assert_eq!(
            parse_status("lunch", &"あ".repeat(101), "25:00", now, &JA),
            Err(vec![
                JA.error_status.to_owned(),
                JA.error_comment.to_owned(),
                JA.error_returns.to_owned()
            ])
        );
    }

    #[test]
    fn statuses_round_trip_and_return_times_read_in_japan_time() {
        for presence in Presence::ALL {
            assert_eq!(Presence::parse(presence.as_str()), Some(presence));
        }
        assert_eq!(Presence::parse("Present"), None);
        let now = datetime!(2025-11-25 10:00 +9);
        assert_eq!(return_label(datetime!(2025-11-25 06:30 UTC), now), "15:30");
        assert_eq!(
            return_label(datetime!(2025-11-26 15:30 +9), now),
            "11/26 15:30"
        );
        assert_eq!(today_at(now, 930), datetime!(2025-11-25 15:30 +9));
        assert_eq!(
            today_at(datetime!(2025-11-25 16:00 UTC), 540),
            datetime!(2025-11-26 09:00 +9),
            "01:00 on the 26th in Japan"
        );
    }
}
