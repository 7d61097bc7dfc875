//! The schedule's shapes: events as stored (a single event, or a recurring series with its
//! exceptions), the occurrences a view shows, who may see and change what, and the time
//! types every part shares. Pure: no IO and no clock.

use std::fmt;

use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::recurrence::Rule;
use crate::org::model::{DepartmentId, DepartmentTree, Scope, StaffId};

/// Japan Standard Time: where events are shown and recurrences counted. Japan has no
/// daylight saving, so this fixed offset is exact.
pub const JST: UtcOffset = time::macros::offset!(+9);

/// The longest a single event (or one occurrence of a series) may last. Bounding it lets the
/// range queries of the grids use a tight index range instead of scanning every older event.
pub const MAX_EVENT_SPAN: Duration = Duration::days(92);

/// The database id of an event or series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
#[sqlx(transparent)]
pub struct EventId(pub i64);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A half-open span of time `[start, end)` between two instants, `start < end`.
///
/// Shared with facility reservation, which books rooms over the same spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeRange {
    start: OffsetDateTime,
    end: OffsetDateTime,
}

impl TimeRange {
    /// The span from `start` to `end`, or `None` unless `start < end`.
    pub fn new(start: OffsetDateTime, end: OffsetDateTime) -> Option<TimeRange> {
        (start < end).then(|| TimeRange {
            start: start.to_offset(UtcOffset::UTC),
            end: end.to_offset(UtcOffset::UTC),
        })
    }

    /// The span between two stored Unix times (seconds), or `None` if they are out of range
    /// or not in order.
    pub fn from_unix(start: i64, end: i64) -> Option<TimeRange> {
        TimeRange::new(
            OffsetDateTime::from_unix_timestamp(start).ok()?,
            OffsetDateTime::from_unix_timestamp(end).ok()?,
        )
    }

    /// The local days `first..=last` in Japan, midnight to midnight.
    pub fn local_days(first: Date, last: Date) -> Option<TimeRange> {
        TimeRange::new(
            first.midnight().assume_offset(JST),
            last.next_day()?.midnight().assume_offset(JST),
        )
    }

    /// The start (UTC).
    pub fn start(&self) -> OffsetDateTime {
        self.start
    }

    /// The end (UTC), exclusive.
    pub fn end(&self) -> OffsetDateTime {
        self.end
    }

    /// The start as stored: Unix seconds.
    pub fn start_unix(&self) -> i64 {
        self.start.unix_timestamp()
    }

    /// The end as stored: Unix seconds.
    pub fn end_unix(&self) -> i64 {
        self.end.unix_timestamp()
    }

    /// How long the span lasts.
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }

    /// Whether the two spans share any instant.
    pub fn overlaps(&self, other: &TimeRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// The same span moved by `by`.
    pub fn shifted(&self, by: Duration) -> Option<TimeRange> {
        TimeRange::new(self.start.checked_add(by)?, self.end.checked_add(by)?)
    }
}

/// Whether people other than the participants see what an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Everyone sees the title and place.
    Public,
    /// Others see only that the time is taken: 「予定あり」.
    Private,
}

impl Visibility {
    /// The stored flag (`schedule_events.private`).
    pub fn as_flag(self) -> i64 {
        match self {
            Visibility::Public => 0,
            Visibility::Private => 1,
        }
    }

    /// The visibility of a stored flag; anything but 0 is private, so a bad flag hides.
    pub fn from_flag(flag: i64) -> Visibility {
        if flag == 0 {
            Visibility::Public
        } else {
            Visibility::Private
        }
    }
}

/// Whether an event is firm or pencilled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certainty {
    /// A firm event.
    Confirmed,
    /// 仮予定: pencilled in, shown as such.
    Tentative,
}

impl Certainty {
    /// The stored flag (`schedule_events.tentative`).
    pub fn as_flag(self) -> i64 {
        match self {
            Certainty::Confirmed => 0,
            Certainty::Tentative => 1,
        }
    }

    /// The certainty of a stored flag.
    pub fn from_flag(flag: i64) -> Certainty {
        if flag == 0 {
            Certainty::Confirmed
        } else {
            Certainty::Tentative
        }
    }
}

/// An event or series as stored, with its participants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Database id.
    pub id: EventId,
    /// What it is ("課内会議").
    pub title: String,
    /// Where (free text; rooms are linked through facility reservations).
    pub place: String,
    /// Notes.
    pub memo: String,
    /// The (first) occurrence.
    pub span: TimeRange,
    /// Whole days (shown without times; `span` runs midnight to midnight in Japan).
    pub all_day: bool,
    /// Firm or tentative.
    pub certainty: Certainty,
    /// Public or private.
    pub visibility: Visibility,
    /// The recurrence, for a series.
    pub rule: Option<Rule>,
    /// For a changed occurrence of a series: the series and the occurrence's original start.
    pub detached: Option<Detached>,
    /// Who created it.
    pub created_by: StaffId,
    /// Who takes part.
    pub participants: Vec<StaffId>,
}

/// Where a changed occurrence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detached {
    /// The series.
    pub series: EventId,
    /// The start the occurrence had in the series.
    pub original_start: OffsetDateTime,
}

impl Event {
    /// The spans of the occurrences that overlap `window`, skipping `exdates` (original
    /// starts removed from a series). A single event has at most one.
    pub fn occurrences(&self, window: &TimeRange, exdates: &[OffsetDateTime]) -> Vec<TimeRange> {
        let Some(rule) = &self.rule else {
            return if self.span.overlaps(window) {
                vec![self.span]
            } else {
                Vec::new()
            };
        };
        let duration = self.span.duration();
        let first = local(self.span.start());
        let before = local(window.end());
        rule.starts(first, before)
            .into_iter()
            .filter_map(|at| {
                let start = at.assume_offset(JST);
                TimeRange::new(start, start + duration)
            })
            .filter(|span| span.overlaps(window) && !exdates.contains(&span.start()))
            .collect()
    }

    /// Whether the series has an occurrence starting exactly at `start`, ignoring exceptions.
    pub fn has_occurrence_at(&self, start: OffsetDateTime) -> bool {
        match &self.rule {
            None => self.span.start() == start,
            Some(rule) => {
                let next = local(start) + Duration::seconds(1);
                rule.starts(local(self.span.start()), next)
                    .last()
                    .is_some_and(|at| at.assume_offset(JST) == start)
            }
        }
    }

    /// The end of the last occurrence (Unix seconds); see [`series_end_unix`].
    pub fn series_end_unix(&self) -> i64 {
        series_end_unix(&self.span, self.rule.as_ref())
    }
}

/// The end of the last occurrence (Unix seconds) of a series whose first occurrence is
/// `span`, [`OPEN_END`] for a series without end; stored so range queries can skip series
/// that ended before a window.
pub fn series_end_unix(span: &TimeRange, rule: Option<&Rule>) -> i64 {
    match rule {
        None => span.end_unix(),
        Some(rule) => {
            let first = local(span.start());
            match rule.last_date(first) {
                None => OPEN_END,
                Some(date) => {
                    let start = PrimitiveDateTime::new(date, first.time()).assume_offset(JST);
                    (start + span.duration()).unix_timestamp()
                }
            }
        }
    }
}

/// The stored end of a series that never ends: 9999-12-31T23:59:59Z.
pub const OPEN_END: i64 = 253_402_300_799;

/// An instant as a Japanese local date and time.
pub fn local(at: OffsetDateTime) -> PrimitiveDateTime {
    let local = at.to_offset(JST);
    PrimitiveDateTime::new(local.date(), local.time())
}

/// The instant of a Japanese local date and time.
pub fn instant(date: Date, time: Time) -> OffsetDateTime {
    PrimitiveDateTime::new(date, time).assume_offset(JST)
}

/// What someone looking at an event may do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Sees the title, place and notes (not just 「予定あり」).
    pub see_details: bool,
    /// May change or delete it.
    pub edit: bool,
}

/// Who is looking, and on whose behalf they may act.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The member of staff.
    pub staff: StaffId,
    /// People who made the viewer their delegate (代理人): the viewer may manage their
    /// schedules.
    pub delegating: Vec<StaffId>,
    /// The viewer's scope as the schedule's function administrator.
    pub admin_scope: Scope,
}

impl Viewer {
    /// Whether the viewer may act for `staff`: themselves or someone who delegated to them.
    pub fn acts_for(&self, staff: StaffId) -> bool {
        staff == self.staff || self.delegating.contains(&staff)
    }

    /// What the viewer may do with `event`, whose participants sit in the departments
    /// `participant_departments` (primary departments), looked up in `tree`.
    ///
    /// Participants, the creator and their delegates see and edit. A function administrator of
    /// the schedule edits events with a participant in their scope, but sees a private
    /// event's details only as a participant would: administration is not surveillance.
    /// Everyone else sees public events and 「予定あり」 for private ones.
    pub fn access(
        &self,
        event: &Event,
        participant_departments: &[DepartmentId],
        tree: &DepartmentTree,
    ) -> Access {
        let involved =
            event.participants.iter().any(|p| self.acts_for(*p)) || self.acts_for(event.created_by);
        let administers = participant_departments
            .iter()
            .any(|d| self.admin_scope.covers(*d, tree));
        Access {
            see_details: involved || event.visibility == Visibility::Public,
            edit: involved || administers,
        }
    }
}

/// Which occurrences of a series a change or deletion applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesScope {
    /// Only the chosen occurrence.
    This,
    /// The chosen occurrence and every later one.
    Following,
    /// The whole series.
    All,
}

impl SeriesScope {
    /// The scope named by a form value.
    pub fn parse(value: &str) -> Option<SeriesScope> {
        match value {
            "this" => Some(SeriesScope::This),
            "following" => Some(SeriesScope::Following),
            "all" => Some(SeriesScope::All),
            _ => None,
        }
    }

    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesScope::This => "this",
            SeriesScope::Following => "following",
            SeriesScope::All => "all",
        }
    }
}

/// One occurrence of an event as a view shows it to one viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The event or series.
    pub event: EventId,
    /// When this occurrence runs.
    pub span: TimeRange,
    /// Whole days.
    pub all_day: bool,
    /// The title, or `None` when the viewer sees only 「予定あり」.
    pub title: Option<String>,
    /// The place, when the viewer may see it.
    pub place: Option<String>,
    /// 仮予定.
    pub tentative: bool,
    /// Part of a series.
    pub recurring: bool,
}

impl Occurrence {
    /// The occurrences of `event` in `window` as `see_details` allows.
    pub fn of(
        event: &Event,
        window: &TimeRange,
        exdates: &[OffsetDateTime],
        see_details: bool,
    ) -> Vec<Occurrence> {
        event
            .occurrences(window, exdates)
            .into_iter()
            .map(|span| Occurrence {
                event: event.id,
                span,
                all_day: event.all_day,
                title: see_details.then(|| event.title.clone()),
                place: (see_details && !event.place.is_empty()).then(|| event.place.clone()),
                tentative: event.certainty == Certainty::Tentative,
                recurring: event.rule.is_some() || event.detached.is_some(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::recurrence::Rule;
    use time::macros::{date, datetime, time};

    fn event(rule: Option<&str>) -> Event {
        Event {
            id: EventId(1),
            title: "課内会議".into(),
            place: "第1会議室".into(),
            memo: String::new(),
            span: TimeRange::new(
                datetime!(2025 - 12 - 02 10:00 +9),
                datetime!(2025 - 12 - 02 11:00 +9),
            )
            .unwrap(),
            all_day: false,
            certainty: Certainty::Confirmed,
            visibility: Visibility::Private,
            rule: rule.map(|r| Rule::parse_rrule(r).unwrap()),
            detached: None,
            created_by: StaffId(1),
            participants: vec![StaffId(1), StaffId(2)],
        }
    }

    fn week() -> TimeRange {
        TimeRange::local_days(date!(2025 - 12 - 08), date!(2025 - 12 - 14)).unwrap()
    }

    #[test]
    fn spans_must_run_forwards() {
        let at = datetime!(2025 - 12 - 02 10:00 UTC);
        assert!(TimeRange::new(at, at).is_none());
        assert!(TimeRange::new(at, at - Duration::minutes(1)).is_none());
        let span = TimeRange::new(at, at + Duration::hours(1)).unwrap();
        assert_eq!(span.duration(), Duration::hours(1));
        assert_eq!(
            TimeRange::from_unix(span.start_unix(), span.end_unix()),
            Some(span)
        );
    }

    #[test]
    fn touching_spans_do_not_overlap() {
        let a = TimeRange::new(
            datetime!(2025-12-02 10:00 UTC),
            datetime!(2025-12-02 11:00 UTC),
        )
        .unwrap();
        let b = a.shifted(Duration::hours(1)).unwrap();
        let c = a.shifted(Duration::minutes(30)).unwrap();
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&c) && c.overlaps(&b));
    }

    #[test]
    fn local_days_run_midnight_to_midnight_in_japan() {
        let day = TimeRange::local_days(date!(2025 - 12 - 02), date!(2025 - 12 - 02)).unwrap();
        assert_eq!(day.start(), datetime!(2025 - 12 - 01 15:00 UTC));
        assert_eq!(day.end(), datetime!(2025 - 12 - 02 15:00 UTC));
    }

    #[test]
    fn a_weekly_series_shows_once_in_a_later_week_minus_its_exceptions() {
        let series = event(Some("FREQ=WEEKLY;BYDAY=TU,TH"));
        let spans = series.occurrences(&week(), &[]);
        let starts: Vec<_> = spans.iter().map(|s| local(s.start())).collect();
        assert_eq!(
            starts,
            [
                datetime!(2025 - 12 - 09 10:00),
                datetime!(2025 - 12 - 11 10:00)
            ]
        );
        let removed = [datetime!(2025 - 12 - 09 01:00 UTC)];
        assert_eq!(series.occurrences(&week(), &removed).len(), 1);
        assert!(series.has_occurrence_at(datetime!(2025 - 12 - 11 10:00 +9)));
        assert!(!series.has_occurrence_at(datetime!(2025 - 12 - 10 10:00 +9)));
        assert!(!series.has_occurrence_at(datetime!(2025 - 12 - 11 10:30 +9)));
    }

    #[test]
    fn series_ends_are_stored_as_the_end_of_the_last_occurrence() {
        assert_eq!(
            event(None).series_end_unix(),
            datetime!(2025-12-02 11:00 +9).unix_timestamp()
        );
        assert_eq!(event(Some("FREQ=DAILY")).series_end_unix(), OPEN_END);
        assert_eq!(
            event(Some("FREQ=DAILY;COUNT=3")).series_end_unix(),
            datetime!(2025-12-04 11:00 +9).unix_timestamp()
        );
    }

    #[test]
    fn participants_and_delegates_edit_admins_edit_within_scope_others_see_only_busy() {
        let tree = DepartmentTree::new([
            (DepartmentId(10), None),
            (DepartmentId(11), Some(DepartmentId(10))),
            (DepartmentId(20), None),
        ]);
        let private = event(None);
        let viewer = |staff: i64, delegating: Vec<i64>, scope: Scope| Viewer {
            staff: StaffId(staff),
            delegating: delegating.into_iter().map(StaffId).collect(),
            admin_scope: scope,
        };
        let in_11 = [DepartmentId(11)];
        let table = [
            (viewer(2, vec![], Scope::Nothing), true, true),
            (viewer(9, vec![2], Scope::Nothing), true, true),
            (viewer(9, vec![], Scope::Nothing), false, false),
            (
                viewer(9, vec![], Scope::Departments(vec![DepartmentId(10)])),
                false,
                true,
            ),
            (
                viewer(9, vec![], Scope::Departments(vec![DepartmentId(20)])),
                false,
                false,
            ),
            (viewer(9, vec![], Scope::All), false, true),
        ];
        for (who, see, edit) in table {
            assert_eq!(
                who.access(&private, &in_11, &tree),
                Access {
                    see_details: see,
                    edit
                },
                "{who:?}"
            );
        }
        let public = Event {
            visibility: Visibility::Public,
            ..private
        };
        assert!(
            viewer(9, vec![], Scope::Nothing)
                .access(&public, &in_11, &tree)
                .see_details
        );
    }

    #[test]
    fn occurrences_hide_what_the_viewer_may_not_see() {
        let e = event(None);
        let day = TimeRange::local_days(date!(2025 - 12 - 02), date!(2025 - 12 - 02)).unwrap();
        let hidden = Occurrence::of(&e, &day, &[], false);
        assert_eq!(hidden.len(), 1);
        assert_eq!(
            (hidden[0].title.as_deref(), hidden[0].place.as_deref()),
            (None, None)
        );
        let shown = Occurrence::of(&e, &day, &[], true);
        assert_eq!(shown[0].title.as_deref(), Some("課内会議"));
        assert_eq!(instant(date!(2025 - 12 - 02), time!(10:00)), e.span.start());
    }
}
