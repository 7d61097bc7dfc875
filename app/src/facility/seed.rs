//! Fictional facilities and bookings: the demo city's rooms, cars and equipment with bookings
//! around today, and a city-sized set (2,000 facilities in categories of 100, bookings over
//! three years) for the benchmark. Pure: departments, staff, dates and a seed come in, plain
//! values go out, the same for the same input; `store` writes them.

use time::{Date, Duration, Weekday};

use super::model::{
    Approval, BookableHours, Bookers, CategoryId, FacilityId, FacilityInput, Rules, Slot, Status,
    Visibility, time_of,
};
use crate::org::model::{DepartmentId, StaffId};

/// Facilities per category in the city-sized set: one full grid page each.
pub const CITY_CATEGORY_SIZE: usize = 100;

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

/// A demo facility: what it is and which department (by the demo's department names) runs it.
#[derive(Debug, Clone)]
pub struct DemoFacility {
    /// Its category's name.
    pub category: &'static str,
    /// The managing department's name in the demo city.
    pub department: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// Name.
    pub name: &'static str,
    /// Place.
    pub place: &'static str,
    /// Capacity.
    pub capacity: Option<u32>,
    /// Needs approval.
    pub restricted: bool,
    /// Notes.
    pub note: &'static str,
}

#[expect(clippy::too_many_arguments, reason = "one row of the demo table")]
const fn demo(
    category: &'static str,
    department: &'static str,
    kind: Kind,
    name: &'static str,
    place: &'static str,
    capacity: Option<u32>,
    restricted: bool,
    note: &'static str,
) -> DemoFacility {
    DemoFacility {
        category,
        department,
        kind,
        name,
        place,
        capacity,
        restricted,
        note,
    }
}

const ROOMS: &str = "本庁舎 会議室";
const CARS: &str = "公用車";
const EQUIPMENT: &str = "備品";

/// The demo city's facilities: rooms run by 総務課 (the large hall and the special room need
/// approval), cars run by 財務課 (the bus needs approval), equipment run by 情報化推進課.
pub fn demo_facilities() -> Vec<DemoFacility> {
    vec![
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "大会議室",
            "本庁舎 8階",
            Some(80),
            true,
            "マイク・プロジェクター常設。利用は総務課の承認後に確定します。",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "第1会議室",
            "本庁舎 3階",
            Some(12),
            false,
            "",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "第2会議室",
            "本庁舎 3階",
            Some(12),
            false,
            "",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "第3会議室",
            "本庁舎 4階",
            Some(20),
            false,
            "ホワイトボード2台",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "第4会議室",
            "本庁舎 4階",
            Some(8),
            false,
            "",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "特別会議室",
            "本庁舎 8階",
            Some(30),
            true,
            "幹部会議用。",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "応接室",
            "本庁舎 2階",
            Some(6),
            false,
            "",
        ),
        demo(
            CARS,
            "財務課",
            Kind::Vehicle,
            "公用車1号（プリウス）",
            "本庁舎 地下駐車場 A-1",
            Some(5),
            false,
            "鍵は財務課で受け取ってください。",
        ),
        demo(
            CARS,
            "財務課",
            Kind::Vehicle,
            "公用車2号（プリウス）",
            "本庁舎 地下駐車場 A-2",
            Some(5),
            false,
            "鍵は財務課で受け取ってください。",
        ),
        demo(
            CARS,
            "財務課",
            Kind::Vehicle,
            "公用車3号（軽自動車）",
            "本庁舎 地下駐車場 A-3",
            Some(4),
            false,
            "",
        ),
        demo(
            CARS,
            "財務課",
            Kind::Vehicle,
            "マイクロバス",
            "本庁舎 地下駐車場 B-1",
            Some(25),
            true,
            "運転手の手配が必要です。",
        ),
        demo(
            EQUIPMENT,
            "情報化推進課",
            Kind::Equipment,
            "プロジェクター1",
            "情報化推進課",
            None,
            false,
            "",
        ),
        demo(
            EQUIPMENT,
            "情報化推進課",
            Kind::Equipment,
            "プロジェクター2",
            "情報化推進課",
            None,
            false,
            "",
        ),
        demo(
            EQUIPMENT,
            "情報化推進課",
            Kind::Equipment,
            "貸出用ノートPC（5台セット）",
            "情報化推進課",
            None,
            false,
            "LGWAN接続不可。",
        ),
        demo(
            EQUIPMENT,
            "情報化推進課",
            Kind::Equipment,
            "ポータブルスピーカー",
            "情報化推進課",
            None,
            false,
            "",
        ),
    ]
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

/// The input for a demo facility in `category`, run by `department`.
pub fn demo_input(
    facility: &DemoFacility,
    category: CategoryId,
    department: DepartmentId,
) -> FacilityInput {
    FacilityInput {
        category_id: category,
        name: facility.name.to_owned(),
        place: facility.place.to_owned(),
        capacity: facility.capacity,
        department_id: department,
        rules: rules_for(facility.kind, facility.restricted),
        note: facility.note.to_owned(),
        in_service: true,
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

/// One facility of the city-sized set: the `index`th (from 0), in category `category_index`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityFacility {
    /// Which category (0-based) of the set it belongs to.
    pub category_index: usize,
    /// Its kind.
    pub kind: Kind,
    /// Name.
    pub name: String,
    /// Place.
    pub place: String,
    /// Capacity.
    pub capacity: Option<u32>,
    /// Needs approval.
    pub restricted: bool,
}

/// The category names of a city-sized set of `count` facilities, one per
/// [`CITY_CATEGORY_SIZE`]: rooms by building, then vehicles, then equipment.
pub fn city_categories(count: usize) -> Vec<String> {
    const BUILDINGS: [&str; 10] = [
        "本庁舎",
        "本庁舎別館",
        "北区役所",
        "南区役所",
        "東区役所",
        "西区役所",
        "中央区役所",
        "市民会館",
        "保健センター",
        "消防局庁舎",
    ];
    let categories = count.div_ceil(CITY_CATEGORY_SIZE);
    (0..categories)
        .map(|i| match city_kind(i, categories) {
            Kind::Room => {
                let building = BUILDINGS[i % BUILDINGS.len()];
                let round = i / BUILDINGS.len();
                if round == 0 {
                    format!("{building} 会議室")
                } else {
                    format!("{building} 会議室（{}）", round + 1)
                }
            }
            Kind::Vehicle => format!("公用車（{}）", i + 1),
            Kind::Equipment => format!("備品（{}）", i + 1),
        })
        .collect()
}

/// Rooms fill all but the last two categories, then vehicles, then equipment.
fn city_kind(category_index: usize, categories: usize) -> Kind {
    if categories >= 3 && category_index == categories - 1 {
        Kind::Equipment
    } else if categories >= 3 && category_index == categories - 2 {
        Kind::Vehicle
    } else {
        Kind::Room
    }
}

/// The city-sized set of `count` facilities, the same for the same `seed`: about one in ten
/// needs approval.
pub fn city_facilities(count: usize, seed: u64) -> Vec<CityFacility> {
    let mut rng = Rng::new(seed ^ 0xFAC1_117E);
    let categories = count.div_ceil(CITY_CATEGORY_SIZE);
    (0..count)
        .map(|i| {
            let category_index = i / CITY_CATEGORY_SIZE;
            let kind = city_kind(category_index, categories);
            let n = i % CITY_CATEGORY_SIZE + 1;
            let (name, capacity) = match kind {
                Kind::Room => (
                    format!("第{n}会議室"),
                    Some([6, 8, 12, 12, 20, 30, 50][rng.below(7)]),
                ),
                Kind::Vehicle => (format!("公用車{n}号"), Some([4, 5, 5, 8][rng.below(4)])),
                Kind::Equipment => (
                    format!(
                        "{}{n}",
                        ["プロジェクター", "貸出用PC", "スピーカー", "大型モニター"][rng.below(4)]
                    ),
                    None,
                ),
            };
            CityFacility {
                category_index,
                kind,
                place: format!("{}階", 1 + rng.below(8)),
                name,
                capacity,
                restricted: rng.chance(10),
            }
        })
        .collect()
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
