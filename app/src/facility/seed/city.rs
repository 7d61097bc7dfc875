//! The city-sized set for the benchmark: 2,000 facilities (or as many as asked) in categories
//! of [`CITY_CATEGORY_SIZE`], rooms by building, then vehicles, then equipment.

use super::{Kind, Rng};

/// Facilities per category in the city-sized set: one full grid page each.
pub const CITY_CATEGORY_SIZE: usize = 100;

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
