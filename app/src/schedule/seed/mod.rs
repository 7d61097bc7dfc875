//! Generated schedules: a city's worth of plausible events for benchmarks (millions, in
//! batches so memory stays flat), and a living week around "today" for the demo city.
//! The generators are pure; `store.rs` inserts what they make.

use time::{Date, Duration, Time, Weekday};

use self::store::BulkEvent;
use super::form::EventDraft;
use super::holidays::holiday_on;
use super::model::{Certainty, TimeRange, Visibility, instant};
use super::recurrence::{Frequency, MonthlyBy, RecurrenceEnd, Rule};
use crate::org::model::{DepartmentId, StaffId};

pub mod store;

/// Titles of everyday events, with the places they usually happen.
const TITLES: [(&str, &str); 16] = [
    ("打合せ", "第1会議室"),
    ("来客対応", "応接室"),
    ("課内会議", "第2会議室"),
    ("現地調査", ""),
    ("研修", "研修室"),
    ("議会対応", "議会棟"),
    ("予算ヒアリング", "財政局会議室"),
    ("窓口当番", "1階窓口"),
    ("資料作成", ""),
    ("庁内会議", "大会議室"),
    ("住民説明会", "市民会館"),
    ("システム更新作業", "電算室"),
    ("関係課協議", "第3会議室"),
    ("決裁・起案", ""),
    ("業者打合せ", "応接室"),
    ("防災訓練", "屋外"),
];

/// Titles of all-day events.
const ALL_DAY: [&str; 3] = ["年次休暇", "出張", "終日研修"];

/// A tiny deterministic generator (SplitMix64), so the same seed gives the same schedule.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// A team: the people of one department, who meet together.
#[derive(Debug, Clone)]
pub struct Team {
    /// The department.
    pub department: DepartmentId,
    /// Its members, head first.
    pub members: Vec<StaffId>,
}

/// Generates a city's schedule team by team: each team's weekly meeting (a series over the
/// whole period) and monthly section meeting (counted), and for each member single events on
/// working days, some with teammates, some with people from elsewhere; some all-day,
/// tentative or private.
pub struct CityEvents {
    teams: Vec<Team>,
    everyone: Vec<StaffId>,
    days: Vec<Date>,
    first: Date,
    per_person: usize,
    next_team: usize,
    rng: Rng,
}

impl CityEvents {
    /// A generator over `teams` for the working days `first..=last`, about `per_person` single
    /// events per member, the same for the same `seed`.
    pub fn new(
        teams: Vec<Team>,
        first: Date,
        last: Date,
        per_person: usize,
        seed: u64,
    ) -> CityEvents {
        let everyone = teams
            .iter()
            .flat_map(|t| t.members.iter().copied())
            .collect();
        CityEvents {
            teams,
            everyone,
            days: working_days(first, last),
            first,
            per_person,
            next_team: 0,
            rng: Rng(seed),
        }
    }

    /// The events of the next team, or `None` when every team is done.
    pub fn next_team(&mut self) -> Option<Vec<BulkEvent>> {
        let team = self.teams.get(self.next_team)?.clone();
        self.next_team += 1;
        let mut out = Vec::with_capacity(team.members.len() * self.per_person + 2);
        let Some(head) = team.members.first().copied() else {
            return Some(out);
        };
        if self.days.is_empty() {
            return Some(out);
        }
        // The weekly meeting, on the team's own weekday, from the first week on.
        let weekday = 1 + self.rng.below(4) as i64;
        let monday =
            self.first - Duration::days(i64::from(self.first.weekday().number_days_from_monday()));
        let day = monday + Duration::days(weekday + 7);
        let members = team.members.iter().copied().take(60).collect();
        if let Some(draft) = draft(
            "課内定例会議",
            "第1会議室",
            day,
            hm(9, 30),
            30,
            members,
            false,
        ) {
            out.push(BulkEvent {
                draft: EventDraft {
                    rule: Some(Rule {
                        frequency: Frequency::Weekly,
                        interval: 1,
                        weekdays: Vec::new(),
                        monthly_by: MonthlyBy::DayOfMonth,
                        end: RecurrenceEnd::Never,
                    }),
                    ..draft
                },
                created_by: head,
            });
        }
        let section: Vec<StaffId> = team.members.iter().copied().take(12).collect();
        if let Some(draft) = draft(
            "係会議",
            "第2会議室",
            day + Duration::days(1),
            hm(15, 0),
            60,
            section,
            false,
        ) {
            out.push(BulkEvent {
                draft: EventDraft {
                    rule: Some(Rule {
                        frequency: Frequency::Monthly,
                        interval: 1,
                        weekdays: Vec::new(),
                        monthly_by: MonthlyBy::Weekday,
                        end: RecurrenceEnd::Count(36),
                    }),
                    ..draft
                },
                created_by: head,
            });
        }
        for person in &team.members {
            for _ in 0..self.per_person {
                if let Some(event) = self.single(*person, &team) {
                    out.push(event);
                }
            }
        }
        Some(out)
    }

    fn single(&mut self, person: StaffId, team: &Team) -> Option<BulkEvent> {
        let day = *self.days.get(self.rng.below(self.days.len()))?;
        let mut participants = vec![person];
        if self.rng.chance(35) {
            for _ in 0..1 + self.rng.below(4) {
                let other = team.members[self.rng.below(team.members.len())];
                if !participants.contains(&other) {
                    participants.push(other);
                }
            }
        }
        if self.rng.chance(10) {
            let other = self.everyone[self.rng.below(self.everyone.len())];
            if !participants.contains(&other) {
                participants.push(other);
            }
        }
        let mut event = if self.rng.chance(5) {
            let title = ALL_DAY[self.rng.below(ALL_DAY.len())];
            let mut d = draft(title, "", day, hm(0, 0), 60, vec![person], true)?;
            d.span = TimeRange::local_days(day, day)?;
            d
        } else {
            let (title, place) = TITLES[self.rng.below(TITLES.len())];
            let slot = self.rng.below(17);
            // Half-hour starts from 08:30 to 16:30.
            let minutes = 8 * 60 + 30 + 30 * slot;
            let start = hm((minutes / 60) as u8, (minutes % 60) as u8);
            let minutes = [30, 60, 60, 90, 120][self.rng.below(5)];
            draft(title, place, day, start, minutes, participants, false)?
        };
        if self.rng.chance(10) {
            event.certainty = Certainty::Tentative;
        }
        if self.rng.chance(10) {
            event.visibility = Visibility::Private;
        }
        Some(BulkEvent {
            draft: event,
            created_by: person,
        })
    }
}

fn hm(hour: u8, minute: u8) -> Time {
    Time::from_hms(hour.min(23), minute.min(59), 0).unwrap_or(Time::MIDNIGHT)
}

fn draft(
    title: &str,
    place: &str,
    day: Date,
    start: Time,
    minutes: i64,
    participants: Vec<StaffId>,
    all_day: bool,
) -> Option<EventDraft> {
    let from = instant(day, start);
    Some(EventDraft {
        title: title.to_owned(),
        place: place.to_owned(),
        memo: String::new(),
        span: TimeRange::new(from, from + Duration::minutes(minutes))?,
        all_day,
        certainty: Certainty::Confirmed,
        visibility: Visibility::Public,
        rule: None,
        participants,
        facilities: Vec::new(),
    })
}

/// Weekdays of `first..=last` that are not public holidays.
pub fn working_days(first: Date, last: Date) -> Vec<Date> {
    let mut days = Vec::new();
    let mut day = first;
    while day <= last {
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
            && holiday_on(day).is_none()
        {
            days.push(day);
        }
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    days
}

/// A living week for the demo: for each of `people` (the demo logins' colleagues), a few
/// events on the working days around `today`, and for the whole `team` a weekly meeting.
pub fn demo_week(today: Date, team: &[StaffId], seed: u64) -> Vec<BulkEvent> {
    let first = today - Duration::days(14);
    let last = today + Duration::days(28);
    let teams = vec![Team {
        department: DepartmentId(0),
        members: team.to_vec(),
    }];
    let mut generator = CityEvents::new(teams, first, last, 6, seed);
    generator.next_team().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn teams() -> Vec<Team> {
        (0..3)
            .map(|t| Team {
                department: DepartmentId(t),
                members: (0..10).map(|i| StaffId(t * 10 + i + 1)).collect(),
            })
            .collect()
    }

    #[test]
    fn each_team_gets_its_meetings_and_every_member_their_events() {
        let mut generator =
            CityEvents::new(teams(), date!(2025 - 04 - 01), date!(2028 - 03 - 31), 20, 7);
        let mut total = 0;
        while let Some(batch) = generator.next_team() {
            assert_eq!(batch.iter().filter(|e| e.draft.rule.is_some()).count(), 2);
            for event in &batch {
                assert!(!event.draft.participants.is_empty());
                let date = event
                    .draft
                    .span
                    .start()
                    .to_offset(super::super::model::JST)
                    .date();
                assert!(
                    date >= date!(2025 - 04 - 01) && date <= date!(2028 - 04 - 30),
                    "{date}"
                );
            }
            total += batch.len();
        }
        assert_eq!(total, 3 * (2 + 10 * 20));
    }

    #[test]
    fn the_same_seed_gives_the_same_events() {
        let one = CityEvents::new(teams(), date!(2025 - 04 - 01), date!(2025 - 06 - 30), 5, 1)
            .next_team();
        let two = CityEvents::new(teams(), date!(2025 - 04 - 01), date!(2025 - 06 - 30), 5, 1)
            .next_team();
        let titles = |b: Option<Vec<BulkEvent>>| {
            b.unwrap()
                .into_iter()
                .map(|e| (e.draft.title, e.draft.span))
                .collect::<Vec<_>>()
        };
        assert_eq!(titles(one), titles(two));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let days = working_days(date!(2025 - 11 - 21), date!(2025 - 11 - 25));
        assert_eq!(days, [date!(2025 - 11 - 21), date!(2025 - 11 - 25)]);
    }
}
