//! Fictional facilities and bookings: the demo city's rooms, cars and equipment with bookings
//! around today (`demo`), and a city-sized set (2,000 facilities in categories of 100,
//! bookings over three years) for the benchmark (`city`); here the generator, the rules and
//! the bookings both use. Pure: departments, staff, dates and a seed come in, plain values go
//! out, the same for the same input; `store` writes them.

use time::{Date, Duration, Weekday};

use super::model::{
    Approval, BookableHours, Bookers, FacilityId, Rules, Slot, Status, Visibility, time_of,
};
use crate::org::model::StaffId;

mod city;
mod demo;

pub use city::{CITY_CATEGORY_SIZE, CityFacility, city_categories, city_facilities};
pub use demo::{DemoFacility, demo_facilities, demo_input};

/// A tiny deterministic generator (SplitMix64), so seeded data is the same on every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).unwrap_or(u64::MAX).max(1);
        usize::try_from(self.next() % n).unwrap_or(0)
    }

    /// Whether an event of probability `percent`/100 happens.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// What kind of thing a seeded facility is; decides its rules and its bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A conference room.
    Room,
    /// A car or bus, booked for whole trips.
    Vehicle,
    /// A projector, a laptop, ...
    Equipment,
}

/// The rules a seeded facility of `kind` gets.
pub fn rules_for(kind: Kind, restricted: bool) -> Rules {
    let approval = if restricted {
        Approval::Required
    } else {
        Approval::Automatic
    };
    match kind {
        Kind::Room => Rules {
            approval,
            ..Rules::DEFAULT
        },
        Kind::Vehicle => Rules {
            approval,
            bookers: Bookers::Everyone,
            advance_days: 60,
            max_minutes: 3 * 24 * 60,
            hours: BookableHours::ALL_DAY,
        },
        Kind::Equipment => Rules {
            approval,
            bookers: Bookers::Everyone,
            advance_days: 30,
            max_minutes: 24 * 60,
            hours: BookableHours::ALL_DAY,
        },
    }
}

/// A reservation to write as it is, past or future, without the booking checks (the
/// generator keeps a facility's bookings apart; the database refuses them otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReservation {
    /// What.
    pub facility_id: FacilityId,
    /// When.
    pub slot: Slot,
    /// Who.
    pub booker: StaffId,
    /// What for.
    pub title: &'static str,
    /// Visibility.
    pub visibility: Visibility,
    /// Status.
    pub status: Status,
}

const MEETING_TITLES: [&str; 16] = [
    "係内打合せ",
    "課内会議",
    "予算ヒアリング",
    "議会答弁調整",
    "部長レク",
    "事業者説明会",
    "庁内検討会議",
    "新任研修",
    "システム更新打合せ",
    "監査対応",
    "住民説明会準備",
    "課長会",
    "契約事務打合せ",
    "防災訓練打合せ",
    "広報紙編集会議",
    "人事面談",
];

const TRIP_TITLES: [&str; 6] = [
    "現地調査",
    "北区役所へ書類搬送",
    "県庁協議",
    "工事現場立会い",
    "視察対応",
    "出張（近隣市）",
];

const EQUIPMENT_TITLES: [&str; 4] = ["説明会で使用", "研修で使用", "出前講座", "会議で使用"];

/// Half-open meeting slots of a working day in minutes after midnight, none overlapping.
const ROOM_SLOTS: [(u16, u16); 6] = [
    (9 * 60, 10 * 60),
    (10 * 60, 12 * 60),
    (13 * 60, 14 * 60),
    (14 * 60, 15 * 60 + 30),
    (15 * 60 + 30, 17 * 60),
    (17 * 60 + 30, 19 * 60),
];

/// The bookings of one facility of `kind` on `day`: none on weekends, about `per_day` on
/// working days on average (rooms more, vehicles and equipment fewer), never overlapping.
pub fn day_bookings(
    facility: FacilityId,
    kind: Kind,
    day: Date,
    per_day: f64,
    bookers: &[StaffId],
    rng: &mut Rng,
) -> Vec<SeedReservation> {
    if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) || bookers.is_empty() {
        return Vec::new();
    }
    let share = match kind {
        Kind::Room => 1.0,
        Kind::Vehicle => 0.5,
        Kind::Equipment => 0.35,
    };
    // Each of the six slots is taken with the same chance, which gives `per_day` on average.
    let percent = ((per_day * share / ROOM_SLOTS.len() as f64) * 100.0).round();
    let percent = if percent.is_finite() && percent > 0.0 {
        (percent as usize).min(100)
    } else {
        0
    };
    let titles: &[&'static str] = match kind {
        Kind::Room => &MEETING_TITLES,
        Kind::Vehicle => &TRIP_TITLES,
        Kind::Equipment => &EQUIPMENT_TITLES,
    };
    let mut out = Vec::new();
    for (start, end) in ROOM_SLOTS {
        if !rng.chance(percent) {
            continue;
        }
        let Ok(slot) = Slot::on_day(day, time_of(start), time_of(end)) else {
            continue;
        };
        let (Some(booker), Some(title)) = (rng.pick(bookers), rng.pick(titles)) else {
            continue;
        };
        out.push(SeedReservation {
            facility_id: facility,
            slot,
            booker: *booker,
            title,
            visibility: if title == &"人事面談" {
                Visibility::Private
            } else {
                Visibility::Public
            },
            status: Status::Confirmed,
        });
    }
    out
}

/// Every day from `first` to `last`, both included.
pub fn days(first: Date, last: Date) -> impl Iterator<Item = Date> {
    let count = (last - first).whole_days().max(-1) + 1;
    (0..count).filter_map(move |n| first.checked_add(Duration::days(n)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_same_seed_gives_the_same_bookings_and_none_overlap() {
        let bookers = [StaffId(1), StaffId(2), StaffId(3)];
        let day = date!(2025 - 11 - 25);
        let make = |seed| {
            day_bookings(
                FacilityId(1),
                Kind::Room,
                day,
                4.0,
                &bookers,
                &mut Rng::new(seed),
            )
        };
        assert_eq!(make(7), make(7));
        let bookings = make(7);
        assert!(!bookings.is_empty());
        for (i, a) in bookings.iter().enumerate() {
            for b in &bookings[i + 1..] {
                assert!(!a.slot.overlaps(b.slot), "{a:?} {b:?}");
            }
        }
        let weekend = date!(2025 - 11 - 23);
        assert!(
            day_bookings(
                FacilityId(1),
                Kind::Room,
                weekend,
                4.0,
                &bookers,
                &mut Rng::new(1)
            )
            .is_empty()
        );
        assert!(
            day_bookings(FacilityId(1), Kind::Room, day, 4.0, &[], &mut Rng::new(1)).is_empty()
        );
    }

    #[test]
    fn bookings_average_about_the_asked_rate_on_working_days() {
        let bookers = [StaffId(1)];
        let mut rng = Rng::new(3);
        let first = date!(2025 - 01 - 06);
        let weekdays: Vec<Date> = days(first, first + Duration::days(6 * 7 - 1))
            .filter(|d| !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
            .collect();
        assert_eq!(weekdays.len(), 30);
        let total: usize = (0..40)
            .flat_map(|f| weekdays.iter().map(move |d| (f, *d)))
            .map(|(f, d)| day_bookings(FacilityId(f), Kind::Room, d, 2.0, &bookers, &mut rng).len())
            .sum();
        let average = total as f64 / (40.0 * 30.0);
        assert!((1.8..2.2).contains(&average), "{average}");
    }

    #[test]
    fn a_city_set_has_full_categories_of_rooms_vehicles_and_equipment() {
        let set = city_facilities(2_000, 1);
        assert_eq!(set.len(), 2_000);
        let names = city_categories(2_000);
        assert_eq!(names.len(), 20);
        assert_eq!(names[0], "本庁舎 会議室");
        assert_eq!(names[10], "本庁舎 会議室（2）");
        assert_eq!(set.iter().filter(|f| f.category_index == 5).count(), 100);
        assert_eq!(set[1_950].kind, Kind::Equipment);
        assert_eq!(set[1_850].kind, Kind::Vehicle);
        let restricted = set.iter().filter(|f| f.restricted).count();
        assert!((120..280).contains(&restricted), "{restricted}");
        assert_eq!(city_facilities(2_000, 1), set);
    }

    #[test]
    fn the_demo_has_rooms_cars_and_equipment_some_restricted() {
        let all = demo_facilities();
        for kind in [Kind::Room, Kind::Vehicle, Kind::Equipment] {
            assert!(all.iter().any(|f| f.kind == kind));
        }
        assert!(all.iter().any(|f| f.restricted));
        assert_eq!(
            rules_for(Kind::Vehicle, false).hours,
            BookableHours::ALL_DAY
        );
        assert_eq!(rules_for(Kind::Room, true).approval, Approval::Required);
        assert_eq!(
            days(date!(2025 - 11 - 30), date!(2025 - 12 - 02)).count(),
            3
        );
        assert_eq!(
            days(date!(2025 - 11 - 30), date!(2025 - 11 - 29)).count(),
            0
        );
    }
}
