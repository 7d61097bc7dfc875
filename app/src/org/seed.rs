//! Fictional organisation data for the demo and for benchmarks: the やくば市 city hall tree
//! (局/部/課/係) and its staff, returned as plain values ready to insert in order.
//!
//! Pure: no IO, no clock and no global randomness. Everything comes from the name pools below
//! and a seeded SplitMix64, so the same call always returns the same city.

use std::collections::{HashMap, HashSet};

use super::model::{City, DepartmentKind, NewDepartment, NewStaff};

/// Logins of the three demo staff that the gateway's demo directory knows; `demo_city` has each.
pub const DEMO_LOGINS: [&str; 3] = ["yamada", "sato", "admin"];

const CITY_NAME: &str = "やくば市";
const MAIL_DOMAIN: &str = "city.yakuba.lg.jp";
const FIRST_EMPLOYEE_NO: usize = 100_001;
/// Fixed seed for the demo, so every demo install shows the same colleagues.
const DEMO_SEED: u64 = 0x5941_4B55_4241;
/// Staff planned by the generator for the demo; the two demo staff who join a 課 come on top.
const DEMO_PLANNED_STAFF: usize = 298;

/// The demo city: the やくば市 tree of 12 局 and their 部, 課 and 係 (118 departments), about
/// 300 staff with one 課長 per 課, one 係長 per 係, one 課長補佐 per 課 that has 係, and the
/// three [`DEMO_LOGINS`] staff.
///
/// Departments come parents first, so inserting them in order satisfies foreign keys. Staff sit
/// in a 課 or 係: a 局長 or 部長 is placed in the first 課 of their 局 or 部, the section that
/// handles their affairs in a real city hall. Output is identical on every call.
pub fn demo_city() -> City {
    let mut departments = Vec::new();
    push_units(&mut departments, DEMO_TREE, None, 0);
    let mut rng = SplitMix64(DEMO_SEED);
    let mut slots = plan_slots(&departments, DEMO_PLANNED_STAFF, &mut rng);
    for person in &DEMO_PEOPLE {
        // DEMO_TREE is static, so a miss only happens if someone edits it; the demo-logins test
        // fails loudly in that case rather than the demo panicking at startup.
        if let Some(dept) = find_by_path(&departments, person.path) {
            place(&mut slots, &departments, dept, person);
        }
    }
    let staff = staff_from_slots(&departments, &slots, &mut rng);
    City {
        name: CITY_NAME.to_owned(),
        departments,
        staff,
    }
}

/// A city-sized fictional organisation for benchmarks: exactly `departments` departments
/// (局 → 部 → 課 → 係, roughly 2% / 10% / 35% / 53%) and exactly `staff` staff, the same for the
/// same `seed`.
///
/// Names come from the demo pools; where they repeat they are made unique with an area or
/// ordinal suffix (`市民課(北部)`, `庶務係(第二)`), and offices under a ward office carry the
/// ward (`市民課(北区)`). Logins are `s` + the 6-digit employee number (6 digits up to 899,999
/// staff). With `departments == 0` there is nowhere to put anyone, so the city has no staff.
pub fn synthetic_city(staff: usize, departments: usize, seed: u64) -> City {
    let mut rng = SplitMix64(seed);
    let departments = synthetic_departments(departments, &mut rng);
    let slots = plan_slots(&departments, staff, &mut rng);
    let staff = staff_from_slots(&departments, &slots, &mut rng);
    City {
        name: CITY_NAME.to_owned(),
        departments,
        staff,
    }
}

// ---------------------------------------------------------------------------------------------
// Departments
// ---------------------------------------------------------------------------------------------

/// A node of a static department template: its name and the units usually found under it.
struct Unit {
    name: &'static str,
    children: &'static [Unit],
}

/// Builds a [`Unit`] literal; keeps the templates below readable as an indented tree.
macro_rules! unit {
    ($name:literal) => {
        Unit { name: $name, children: &[] }
    };
    ($name:literal, [$($child:expr),* $(,)?]) => {
        Unit { name: $name, children: &[$($child),*] }
    };
}

/// The demo city hall. Names are unique across the tree so a flat department picker is
/// unambiguous; 区役所 are left out (the synthetic city adds them).
// Kept as an indented tree by hand; rustfmt would explode it into one call per line.
#[rustfmt::skip]
static DEMO_TREE: &[Unit] = &[
    unit!("総務局", [
        unit!("総務部", [
            unit!("総務課", [unit!("庶務係"), unit!("文書法制係")]),
            unit!("人事課", [unit!("人事係"), unit!("給与厚生係")]),
        ]),
        unit!("行政経営部", [
            unit!("行政経営課"),
            unit!("広報課", [unit!("広報係"), unit!("広聴係")]),
        ]),
        unit!("情報化戦略部", [
            unit!("情報化推進課", [unit!("システム企画係"), unit!("基盤運用係")]),
            unit!("情報セキュリティ課"),
        ]),
    ]),
    unit!("財政局", [
        unit!("財務部", [
            unit!("財務課", [unit!("予算係"), unit!("財産管理係")]),
            unit!("契約課"),
        ]),
        unit!("税務部", [unit!("税務課"), unit!("市民税課"), unit!("資産税課")]),
    ]),
    unit!("市民局", [
        unit!("市民生活部", [
            unit!("市民課", [unit!("住民記録係"), unit!("戸籍係")]),
            unit!("地域協働課"),
            unit!("消費生活課"),
        ]),
        unit!("文化スポーツ部", [unit!("文化振興課"), unit!("スポーツ振興課")]),
    ]),
    unit!("福祉局", [
        unit!("福祉部", [
            unit!("福祉政策課"),
            unit!("障害福祉課", [unit!("障害者支援係"), unit!("障害給付係")]),
            unit!("高齢福祉課", [unit!("高齢者支援係"), unit!("介護保険係")]),
        ]),
        unit!("保険年金部", [
            unit!("国保年金課", [unit!("国民健康保険係"), unit!("国民年金係")]),
        ]),
    ]),
    unit!("こども家庭局", [
        unit!("こども未来部", [
            unit!("こども企画課"),
            unit!("保育課", [unit!("保育所係"), unit!("入所支援係")]),
            unit!("こども家庭支援課"),
        ]),
    ]),
    unit!("環境局", [
        unit!("環境保全部", [unit!("環境政策課"), unit!("環境保全課")]),
        unit!("資源循環部", [
            unit!("資源循環課", [unit!("ごみ減量係"), unit!("収集運搬係")]),
            unit!("環境施設課"),
        ]),
    ]),
    unit!("経済観光局", [
        unit!("経済部", [unit!("経済政策課"), unit!("商業振興課"), unit!("農政課")]),
        unit!("観光部", [unit!("観光企画課"), unit!("観光振興課")]),
    ]),
    unit!("建設局", [
        unit!("道路部", [unit!("道路計画課"), unit!("道路管理課"), unit!("道路工事課")]),
        unit!("下水道部", [unit!("下水道計画課"), unit!("下水道施設課")]),
    ]),
    unit!("都市局", [
        unit!("都市計画部", [unit!("都市計画課"), unit!("都市整備課")]),
        unit!("住宅部", [unit!("住宅政策課"), unit!("市営住宅課"), unit!("建築指導課")]),
    ]),
    unit!("水道局", [
        unit!("経営管理部", [
            unit!("経営企画課"),
            unit!("営業課", [unit!("料金係"), unit!("給水係")]),
        ]),
        unit!("技術部", [unit!("配水課"), unit!("浄水課")]),
    ]),
    unit!("消防局", [
        unit!("警防部", [unit!("警防課"), unit!("救急課"), unit!("指令課")]),
        unit!("予防部", [unit!("予防課")]),
    ]),
    unit!("教育委員会事務局", [
        unit!("教育総務部", [unit!("教育企画課"), unit!("教職員課")]),
        unit!("学校教育部", [unit!("学校教育課"), unit!("学校保健課"), unit!("特別支援教育課")]),
        unit!("生涯学習部", [unit!("生涯学習課"), unit!("図書館課")]),
    ]),
];

/// Further 局-level offices a designated city has, used once the demo 局 are spent.
// Kept as an indented tree by hand; rustfmt would explode it into one call per line.
#[rustfmt::skip]
static EXTRA_KYOKU: &[Unit] = &[
    unit!("危機管理局", [
        unit!("危機管理部", [
            unit!("危機管理課", [unit!("危機対策係"), unit!("防災企画係")]),
            unit!("防災推進課"),
        ]),
    ]),
    unit!("健康局", [
        unit!("健康部", [unit!("健康企画課"), unit!("感染症対策課"), unit!("食品衛生課")]),
    ]),
    unit!("港湾局", [
        unit!("港湾部", [unit!("港湾振興課"), unit!("港湾整備課")]),
        unit!("空港部", [unit!("空港事業課")]),
    ]),
    unit!("交通局", [
        unit!("自動車部", [unit!("運輸課"), unit!("車両課")]),
        unit!("高速鉄道部", [unit!("運転課"), unit!("電気施設課")]),
    ]),
    unit!("議会事務局", [unit!("議事調査部", [unit!("議事課"), unit!("政策調査課")])]),
    unit!("選挙管理委員会事務局", [unit!("選挙部", [unit!("選挙課")])]),
    unit!("監査事務局", [unit!("監査部", [unit!("監査第一課"), unit!("監査第二課")])]),
    unit!("人事委員会事務局", [unit!("任用調査部", [unit!("任用課"), unit!("調査課")])]),
];

/// The shape of every 区役所; its own name comes from [`WARDS`].
// Kept as an indented tree by hand; rustfmt would explode it into one call per line.
#[rustfmt::skip]
static WARD_OFFICE: Unit = unit!("区役所", [
    unit!("区民部", [
        unit!("まちづくり課"),
        unit!("市民課", [unit!("住民記録係"), unit!("戸籍係")]),
        unit!("保険年金医療課"),
    ]),
    unit!("保健福祉部", [
        unit!("保健福祉課", [unit!("福祉係"), unit!("介護保険係")]),
        unit!("こども家庭支援課"),
        unit!("健康推進課"),
    ]),
]);

/// The wards of the fictional やくば市.
static WARDS: [&str; 9] = [
    "中央区",
    "北区",
    "南区",
    "東区",
    "西区",
    "港区",
    "山手区",
    "緑区",
    "湾岸区",
];

/// Suffixes for a repeated name outside a ward: an area of the city, then ordinals.
static AREAS: [&str; 5] = ["北部", "南部", "東部", "西部", "中部"];

static EXTRA_BU: &[Unit] = &[
    unit!("企画調整部"),
    unit!("管理部"),
    unit!("事業推進部"),
    unit!("施設管理部"),
    unit!("地域振興部"),
    unit!("計画部"),
    unit!("整備部"),
    unit!("監理部"),
    unit!("政策部"),
    unit!("事業部"),
];

static EXTRA_KA: &[Unit] = &[
    unit!("企画調整課"),
    unit!("施設管理課"),
    unit!("事業推進課"),
    unit!("地域振興課"),
    unit!("管理課"),
    unit!("調整課"),
    unit!("監理課"),
    unit!("経理課"),
    unit!("用地課"),
    unit!("公園緑地課"),
    unit!("河川課"),
    unit!("建築課"),
    unit!("営繕課"),
    unit!("市民相談課"),
    unit!("男女共同参画課"),
    unit!("国際交流課"),
    unit!("統計課"),
    unit!("文書課"),
    unit!("福利課"),
    unit!("生活衛生課"),
    unit!("動物管理課"),
    unit!("農林水産課"),
    unit!("雇用労働課"),
    unit!("企業立地課"),
    unit!("交通政策課"),
    unit!("自転車対策課"),
    unit!("空き家対策課"),
    unit!("開発指導課"),
    unit!("景観課"),
    unit!("保護課"),
];

static EXTRA_KAKARI: &[Unit] = &[
    unit!("庶務係"),
    unit!("企画係"),
    unit!("管理係"),
    unit!("調整係"),
    unit!("経理係"),
    unit!("計画係"),
    unit!("審査係"),
    unit!("指導係"),
    unit!("相談係"),
    unit!("業務係"),
    unit!("事業係"),
    unit!("施設係"),
    unit!("設計係"),
    unit!("工事係"),
    unit!("維持係"),
    unit!("用地係"),
    unit!("調査係"),
    unit!("統計係"),
    unit!("監理係"),
    unit!("給付係"),
    unit!("認定係"),
    unit!("保険料係"),
    unit!("徴収係"),
    unit!("管財係"),
    unit!("契約係"),
    unit!("検査係"),
    unit!("研修係"),
    unit!("福利係"),
    unit!("地域係"),
    unit!("推進係"),
    unit!("支援係"),
    unit!("啓発係"),
    unit!("登録係"),
    unit!("許可係"),
    unit!("運用係"),
    unit!("整備係"),
    unit!("保全係"),
    unit!("予防係"),
];

/// Stands in for a pool pick that cannot miss; the pools are static and non-empty.
static FALLBACK_UNIT: Unit = unit!("総務担当");

fn kind_at(level: usize) -> DepartmentKind {
    match level {
        0 => DepartmentKind::Kyoku,
        1 => DepartmentKind::Bu,
        2 => DepartmentKind::Ka,
        _ => DepartmentKind::Kakari,
    }
}

fn level_of(kind: DepartmentKind) -> usize {
    match kind {
        DepartmentKind::Kyoku => 0,
        DepartmentKind::Bu => 1,
        DepartmentKind::Ka => 2,
        DepartmentKind::Kakari => 3,
    }
}

fn department_code(index: usize) -> String {
    format!("D{:04}", index + 1)
}

fn display_order(index: usize) -> i32 {
    i32::try_from(index + 1).unwrap_or(i32::MAX)
}

/// Appends `units` and their descendants in pre-order, so parents precede children.
fn push_units(out: &mut Vec<NewDepartment>, units: &[Unit], parent: Option<&str>, level: usize) {
    for (index, unit) in units.iter().enumerate() {
        let code = department_code(out.len());
        out.push(NewDepartment {
            code: code.clone(),
            parent_code: parent.map(str::to_owned),
            name: unit.name.to_owned(),
            kind: kind_at(level),
            display_order: display_order(index),
        });
        push_units(out, unit.children, Some(&code), level + 1);
    }
}

/// Finds a department by its names from the 局 down.
fn find_by_path(departments: &[NewDepartment], path: &[&str]) -> Option<usize> {
    let mut parent: Option<&str> = None;
    let mut found = None;
    for name in path {
        let index = departments
            .iter()
            .position(|d| d.parent_code.as_deref() == parent && d.name == *name)?;
        parent = departments.get(index).map(|d| d.code.as_str());
        found = Some(index);
    }
    found
}

/// How many departments of each level a synthetic city of `total` departments has.
fn level_sizes(total: usize) -> [usize; 4] {
    if total == 0 {
        return [0; 4];
    }
    let kyoku = (total / 50).max(1);
    let bu = total / 10;
    let ka = total * 7 / 20;
    let mut sizes = [kyoku, bu, ka, total.saturating_sub(kyoku + bu + ka)];
    // A level cannot be populated while the level above is empty (a 係 needs a 課), so move
    // departments up until every populated level has parents. Each move goes up a level, so
    // this ends.
    loop {
        let mut moved = false;
        for level in 1..sizes.len() {
            if sizes[level] > 0 && sizes[level - 1] == 0 {
                sizes[level] -= 1;
                sizes[level - 1] += 1;
                moved = true;
            }
        }
        if !moved {
            return sizes;
        }
    }
}

/// Splits `total` into parts proportional to `weights`; the parts always add up to `total`
/// (all weights zero counts as all equal).
fn split(total: usize, weights: &[usize]) -> Vec<usize> {
    let sum: usize = weights.iter().sum();
    if sum == 0 {
        return if weights.is_empty() {
            Vec::new()
        } else {
            split(total, &vec![1; weights.len()])
        };
    }
    let mut parts = Vec::with_capacity(weights.len());
    let (mut running, mut given) = (0u128, 0usize);
    for weight in weights {
        running += *weight as u128;
        // Exact: the last bound is total * sum / sum.
        let upto = (total as u128 * running / sum as u128) as usize;
        parts.push(upto - given);
        given = upto;
    }
    parts
}

/// Hands out globally unique department names, suffixing repeats.
#[derive(Default)]
struct NameBook {
    taken: HashSet<String>,
    /// Last suffix number tried per preferred name, so repeats cost O(1) and not a rescan.
    suffixes: HashMap<String, usize>,
}

impl NameBook {
    fn claim(&mut self, base: &str, ward: Option<&str>) -> String {
        let preferred = match ward {
            Some(ward) => format!("{base}({ward})"),
            None => base.to_owned(),
        };
        if self.taken.insert(preferred.clone()) {
            return preferred;
        }
        let counter = self.suffixes.entry(preferred).or_insert(0);
        loop {
            *counter += 1;
            let n = *counter;
            // Inside a ward an area suffix would misplace the office, so only number it there.
            let candidate = match (ward, AREAS.get(n - 1)) {
                (Some(ward), _) => format!("{base}({ward}第{})", kanji_number(n + 1)),
                (None, Some(area)) => format!("{base}({area})"),
                (None, None) => format!("{base}(第{})", kanji_number(n + 1 - AREAS.len())),
            };
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

/// Kanji numeral for ordinals in names (`2` → `二`, `12` → `十二`); digits from 10,000 on.
fn kanji_number(n: usize) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    if n == 0 || n >= 10_000 {
        return n.to_string();
    }
    let mut out = String::new();
    for (place, unit) in [(1000, "千"), (100, "百"), (10, "十")] {
        let digit = n / place % 10;
        if digit > 1 {
            out.push_str(DIGITS[digit]);
        }
        if digit > 0 {
            out.push_str(unit);
        }
    }
    let ones = n % 10;
    if ones > 0 {
        out.push_str(DIGITS[ones]);
    }
    out
}

/// One 局-level office the synthetic city can open: its name, shape and ward (if a 区役所).
struct KyokuPlan {
    name: String,
    template: &'static Unit,
    ward: Option<&'static str>,
}

fn kyoku_catalogue() -> Vec<KyokuPlan> {
    let plain = |unit: &'static Unit| KyokuPlan {
        name: unit.name.to_owned(),
        template: unit,
        ward: None,
    };
    // Wards before the extra 局 so a city-sized tree (about 24 局) has all of its 区役所.
    DEMO_TREE
        .iter()
        .map(plain)
        .chain(WARDS.iter().map(|ward| KyokuPlan {
            name: format!("{ward}役所"),
            template: &WARD_OFFICE,
            ward: Some(ward),
        }))
        .chain(EXTRA_KYOKU.iter().map(plain))
        .collect()
}

/// Every template unit by level, for parents whose own template has run out of children.
/// Ward-office units are left out: outside a ward they would read as misplaced.
fn unit_pools() -> [Vec<&'static Unit>; 4] {
    fn walk(unit: &'static Unit, level: usize, pools: &mut [Vec<&'static Unit>; 4]) {
        if let Some(pool) = pools.get_mut(level) {
            pool.push(unit);
        }
        for child in unit.children {
            walk(child, level + 1, pools);
        }
    }
    let mut pools: [Vec<&'static Unit>; 4] = Default::default();
    for unit in DEMO_TREE.iter().chain(EXTRA_KYOKU) {
        walk(unit, 0, &mut pools);
    }
    pools[1].extend(EXTRA_BU);
    pools[2].extend(EXTRA_KA);
    pools[3].extend(EXTRA_KAKARI);
    pools
}

/// Children per parent for one level of the synthetic tree, consumed in pre-order.
struct LevelPlan {
    children: Vec<usize>,
    next_parent: usize,
}

struct TreeBuilder<'r> {
    rng: &'r mut SplitMix64,
    out: Vec<NewDepartment>,
    names: NameBook,
    /// Indexed by the parents' level: 局→部, 部→課, 課→係.
    levels: [LevelPlan; 3],
    pools: [Vec<&'static Unit>; 4],
}

fn synthetic_departments(total: usize, rng: &mut SplitMix64) -> Vec<NewDepartment> {
    let sizes = level_sizes(total);
    let mut plan = |parents: usize, children: usize, base: usize, spread: usize| {
        // Random weights give uneven but plausible trees; a 課 may get weight 0 and no 係.
        let weights: Vec<usize> = (0..parents).map(|_| base + rng.below(spread)).collect();
        LevelPlan {
            children: split(children, &weights),
            next_parent: 0,
        }
    };
    let levels = [
        plan(sizes[0], sizes[1], 2, 4),
        plan(sizes[1], sizes[2], 2, 4),
        plan(sizes[2], sizes[3], 0, 4),
    ];
    let mut builder = TreeBuilder {
        rng,
        out: Vec::with_capacity(total),
        names: NameBook::default(),
        levels,
        pools: unit_pools(),
    };
    let catalogue = kyoku_catalogue();
    for index in 0..sizes[0] {
        let Some(kyoku) = catalogue.get(index % catalogue.len().max(1)) else {
            break;
        };
        let name = builder.names.claim(&kyoku.name, None);
        builder.add(0, name, kyoku.template, kyoku.ward, None, index);
    }
    builder.out
}

impl TreeBuilder<'_> {
    /// Appends one department, then its planned number of children, recursively (pre-order).
    fn add(
        &mut self,
        level: usize,
        name: String,
        template: &'static Unit,
        ward: Option<&'static str>,
        parent: Option<&str>,
        index: usize,
    ) {
        let code = department_code(self.out.len());
        self.out.push(NewDepartment {
            code: code.clone(),
            parent_code: parent.map(str::to_owned),
            name,
            kind: kind_at(level),
            display_order: display_order(index),
        });
        let Some(plan) = self.levels.get_mut(level) else {
            return;
        };
        let count = plan.children.get(plan.next_parent).copied().unwrap_or(0);
        plan.next_parent += 1;
        for child_index in 0..count {
            let child = match template.children.get(child_index) {
                Some(child) => child,
                None => self.pick_unit(level + 1),
            };
            let name = self.names.claim(child.name, ward);
            self.add(level + 1, name, child, ward, Some(&code), child_index);
        }
    }

    fn pick_unit(&mut self, level: usize) -> &'static Unit {
        let pool = self.pools.get(level).map(Vec::as_slice).unwrap_or_default();
        let index = self.rng.below(pool.len());
        pool.get(index).copied().unwrap_or(&FALLBACK_UNIT)
    }
}

// ---------------------------------------------------------------------------------------------
// Staff
// ---------------------------------------------------------------------------------------------

/// A demo login with a fixed identity and place.
struct DemoPerson {
    login: &'static str,
    name: &'static str,
    kana: &'static str,
    mail_local: &'static str,
    position: &'static str,
    /// Department names from the 局 down.
    path: &'static [&'static str],
}

static DEMO_PEOPLE: [DemoPerson; 3] = [
    DemoPerson {
        login: "yamada",
        name: "山田 太郎",
        kana: "やまだ たろう",
        mail_local: "yamada.taro",
        position: "主査",
        path: &["総務局", "総務部", "総務課"],
    },
    DemoPerson {
        login: "sato",
        name: "佐藤 花子",
        kana: "さとう はなこ",
        mail_local: "sato.hanako",
        position: "課長",
        path: &["財政局", "財務部", "財務課"],
    },
    DemoPerson {
        login: "admin",
        name: "システム管理者",
        kana: "しすてむかんりしゃ",
        mail_local: "admin",
        position: "主査",
        path: &["総務局", "情報化戦略部", "情報化推進課"],
    },
];

/// A post to fill: where, as what, and by whom if the person is fixed.
struct Slot {
    dept: usize,
    position: &'static str,
    person: Option<&'static DemoPerson>,
}

fn head_title(kind: DepartmentKind) -> &'static str {
    match kind {
        DepartmentKind::Kyoku => "局長",
        DepartmentKind::Bu => "部長",
        DepartmentKind::Ka => "課長",
        DepartmentKind::Kakari => "係長",
    }
}

fn member_position(rng: &mut SplitMix64) -> &'static str {
    match rng.below(100) {
        0..=13 => "主査",
        14..=35 => "主任",
        36..=69 => "主事",
        70..=84 => "技師",
        _ => "会計年度任用職員",
    }
}

/// Whether department `index` has children; relies on pre-order, where a first child follows
/// its parent immediately.
fn has_children(departments: &[NewDepartment], index: usize) -> bool {
    match (departments.get(index), departments.get(index + 1)) {
        (Some(parent), Some(next)) => next.parent_code.as_deref() == Some(parent.code.as_str()),
        _ => false,
    }
}

/// Where the head of department `index` sits: a 局 or 部 head in its first 課 (staff belong to
/// a 課 or 係), anyone else in the department itself. Relies on pre-order with strict levels.
fn home_of(departments: &[NewDepartment], index: usize) -> usize {
    let Some(head) = departments.get(index) else {
        return index;
    };
    if !matches!(head.kind, DepartmentKind::Kyoku | DepartmentKind::Bu) {
        return index;
    }
    let level = level_of(head.kind);
    departments
        .iter()
        .enumerate()
        .skip(index + 1)
        .take_while(|(_, d)| level_of(d.kind) > level)
        .find(|(_, d)| d.kind == DepartmentKind::Ka)
        .map_or(index, |(home, _)| home)
}

/// Plans exactly `total` posts (fewer only when there are no departments): one head per
/// department, senior ones first if `total` is short, then members spread over the 課 and 係.
/// The result is ordered by department, heads before members.
fn plan_slots(departments: &[NewDepartment], total: usize, rng: &mut SplitMix64) -> Vec<Slot> {
    let mut heads: Vec<(usize, Slot)> = departments
        .iter()
        .enumerate()
        .map(|(index, d)| {
            let slot = Slot {
                dept: home_of(departments, index),
                position: head_title(d.kind),
                person: None,
            };
            (level_of(d.kind), slot)
        })
        .collect();
    // When there are fewer posts than departments, the higher posts are the ones filled.
    heads.sort_by_key(|(level, _)| *level);
    heads.truncate(total);
    let mut slots: Vec<Slot> = heads.into_iter().map(|(_, slot)| slot).collect();

    // A 課 split into 係 keeps one 課長補佐 at the 課 level; everyone else works in a 係 or in
    // a 課 without 係.
    let mut members = total.saturating_sub(slots.len());
    let mut teams = Vec::new();
    for (index, dept) in departments.iter().enumerate() {
        let sectioned = has_children(departments, index);
        match dept.kind {
            DepartmentKind::Ka if sectioned => {
                if members > 0 {
                    members -= 1;
                    slots.push(Slot {
                        dept: index,
                        position: "課長補佐",
                        person: None,
                    });
                }
            }
            DepartmentKind::Ka | DepartmentKind::Kakari => teams.push(index),
            DepartmentKind::Kyoku | DepartmentKind::Bu => {}
        }
    }
    if teams.is_empty() {
        // Tiny trees without 課: put everyone in the leaves.
        teams = (0..departments.len())
            .filter(|index| !has_children(departments, *index))
            .collect();
    }
    let weights: Vec<usize> = teams.iter().map(|_| 2 + rng.below(5)).collect();
    for (dept, count) in teams.iter().zip(split(members, &weights)) {
        for _ in 0..count {
            slots.push(Slot {
                dept: *dept,
                position: member_position(rng),
                person: None,
            });
        }
    }
    // Stable, so within a department the heads stay first and in tree order (局長, 部長, 課長).
    slots.sort_by_key(|slot| slot.dept);
    slots
}

/// Gives a demo person their post: the head's if they head the department, else a new one.
fn place(
    slots: &mut Vec<Slot>,
    departments: &[NewDepartment],
    dept: usize,
    person: &'static DemoPerson,
) {
    let heads_it = departments
        .get(dept)
        .is_some_and(|d| head_title(d.kind) == person.position);
    if heads_it
        && let Some(slot) = slots
            .iter_mut()
            .find(|s| s.dept == dept && s.position == person.position && s.person.is_none())
    {
        slot.person = Some(person);
        return;
    }
    let at = slots.partition_point(|s| s.dept <= dept);
    slots.insert(
        at,
        Slot {
            dept,
            position: person.position,
            person: Some(person),
        },
    );
}

/// Hands out unique mail local parts: `yamada.taro`, then `yamada.taro2`, `yamada.taro3`...
/// Bases never end in a digit, so a numbered local part cannot meet another base.
#[derive(Default)]
struct MailBook {
    used: HashMap<String, u32>,
}

impl MailBook {
    fn claim(&mut self, base: String) -> String {
        let count = self.used.entry(base.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            base
        } else {
            format!("{base}{count}")
        }
    }
}

/// Fills every slot with a person; employee numbers follow slot order.
fn staff_from_slots(
    departments: &[NewDepartment],
    slots: &[Slot],
    rng: &mut SplitMix64,
) -> Vec<NewStaff> {
    let mut mails = MailBook::default();
    // Fixed people keep their plain addresses; generated namesakes get the numbered ones.
    for person in slots.iter().filter_map(|slot| slot.person) {
        mails.claim(person.mail_local.to_owned());
    }
    let mut staff = Vec::with_capacity(slots.len());
    for (index, slot) in slots.iter().enumerate() {
        let Some(department) = departments.get(slot.dept) else {
            continue;
        };
        let employee_no = format!("{:06}", FIRST_EMPLOYEE_NO + index);
        let (login, name, kana, mail_local) = match slot.person {
            Some(person) => (
                person.login.to_owned(),
                person.name.to_owned(),
                person.kana.to_owned(),
                person.mail_local.to_owned(),
            ),
            None => {
                let family = rng.pick(&FAMILY_NAMES);
                let given = if rng.below(2) == 0 {
                    rng.pick(&MALE_GIVEN_NAMES)
                } else {
                    rng.pick(&FEMALE_GIVEN_NAMES)
                };
                (
                    format!("s{employee_no}"),
                    format!("{} {}", family.0, given.0),
                    format!("{} {}", family.1, given.1),
                    mails.claim(format!("{}.{}", family.2, given.2)),
                )
            }
        };
        staff.push(NewStaff {
            login,
            employee_no,
            name,
            kana,
            department_code: department.code.clone(),
            position: slot.position.to_owned(),
            mail: format!("{mail_local}@{MAIL_DOMAIN}"),
        });
    }
    staff
}

// ---------------------------------------------------------------------------------------------
// Randomness and name pools
// ---------------------------------------------------------------------------------------------

/// SplitMix64 (Steele, Lea and Flood): tiny, fast and good enough for fictional data. Not for
/// anything security-relevant.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0), by multiply-shift to avoid modulo bias.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// One entry of a non-empty pool; emptiness is rejected at compile time.
    fn pick<'a, T, const N: usize>(&mut self, pool: &'a [T; N]) -> &'a T {
        const { assert!(N > 0, "name pools must not be empty") };
        &pool[self.below(N)]
    }
}

/// Kanji, hiragana reading, and hand-written romaji for mail addresses (long vowels dropped).
type Reading = (&'static str, &'static str, &'static str);

/// Common family names (about the top 100 in Japan).
static FAMILY_NAMES: [Reading; 98] = [
    ("佐藤", "さとう", "sato"),
    ("鈴木", "すずき", "suzuki"),
    ("高橋", "たかはし", "takahashi"),
    ("田中", "たなか", "tanaka"),
    ("伊藤", "いとう", "ito"),
    ("渡辺", "わたなべ", "watanabe"),
    ("山本", "やまもと", "yamamoto"),
    ("中村", "なかむら", "nakamura"),
    ("小林", "こばやし", "kobayashi"),
    ("加藤", "かとう", "kato"),
    ("吉田", "よしだ", "yoshida"),
    ("山田", "やまだ", "yamada"),
    ("佐々木", "ささき", "sasaki"),
    ("山口", "やまぐち", "yamaguchi"),
    ("松本", "まつもと", "matsumoto"),
    ("井上", "いのうえ", "inoue"),
    ("木村", "きむら", "kimura"),
    ("林", "はやし", "hayashi"),
    ("斎藤", "さいとう", "saito"),
    ("清水", "しみず", "shimizu"),
    ("山崎", "やまざき", "yamazaki"),
    ("森", "もり", "mori"),
    ("池田", "いけだ", "ikeda"),
    ("橋本", "はしもと", "hashimoto"),
    ("阿部", "あべ", "abe"),
    ("石川", "いしかわ", "ishikawa"),
    ("山下", "やました", "yamashita"),
    ("中島", "なかじま", "nakajima"),
    ("石井", "いしい", "ishii"),
    ("小川", "おがわ", "ogawa"),
    ("前田", "まえだ", "maeda"),
    ("岡田", "おかだ", "okada"),
    ("長谷川", "はせがわ", "hasegawa"),
    ("藤田", "ふじた", "fujita"),
    ("後藤", "ごとう", "goto"),
    ("近藤", "こんどう", "kondo"),
    ("村上", "むらかみ", "murakami"),
    ("遠藤", "えんどう", "endo"),
    ("青木", "あおき", "aoki"),
    ("坂本", "さかもと", "sakamoto"),
    ("福田", "ふくだ", "fukuda"),
    ("太田", "おおた", "ota"),
    ("西村", "にしむら", "nishimura"),
    ("藤井", "ふじい", "fujii"),
    ("金子", "かねこ", "kaneko"),
    ("岡本", "おかもと", "okamoto"),
    ("藤原", "ふじわら", "fujiwara"),
    ("中野", "なかの", "nakano"),
    ("三浦", "みうら", "miura"),
    ("原田", "はらだ", "harada"),
    ("中川", "なかがわ", "nakagawa"),
    ("松田", "まつだ", "matsuda"),
    ("竹内", "たけうち", "takeuchi"),
    ("小野", "おの", "ono"),
    ("田村", "たむら", "tamura"),
    ("中山", "なかやま", "nakayama"),
    ("和田", "わだ", "wada"),
    ("石田", "いしだ", "ishida"),
    ("森田", "もりた", "morita"),
    ("上田", "うえだ", "ueda"),
    ("原", "はら", "hara"),
    ("内田", "うちだ", "uchida"),
    ("柴田", "しばた", "shibata"),
    ("酒井", "さかい", "sakai"),
    ("宮崎", "みやざき", "miyazaki"),
    ("横山", "よこやま", "yokoyama"),
    ("高木", "たかぎ", "takagi"),
    ("安藤", "あんどう", "ando"),
    ("宮本", "みやもと", "miyamoto"),
    ("大野", "おおの", "ohno"),
    ("小島", "こじま", "kojima"),
    ("谷口", "たにぐち", "taniguchi"),
    ("工藤", "くどう", "kudo"),
    ("高田", "たかだ", "takada"),
    ("増田", "ますだ", "masuda"),
    ("丸山", "まるやま", "maruyama"),
    ("今井", "いまい", "imai"),
    ("河野", "こうの", "kono"),
    ("藤本", "ふじもと", "fujimoto"),
    ("村田", "むらた", "murata"),
    ("武田", "たけだ", "takeda"),
    ("上野", "うえの", "ueno"),
    ("杉山", "すぎやま", "sugiyama"),
    ("千葉", "ちば", "chiba"),
    ("松井", "まつい", "matsui"),
    ("小山", "こやま", "koyama"),
    ("野口", "のぐち", "noguchi"),
    ("菅原", "すがわら", "sugawara"),
    ("平野", "ひらの", "hirano"),
    ("大塚", "おおつか", "otsuka"),
    ("久保", "くぼ", "kubo"),
    ("新井", "あらい", "arai"),
    ("松尾", "まつお", "matsuo"),
    ("菊地", "きくち", "kikuchi"),
    ("岩崎", "いわさき", "iwasaki"),
    ("桜井", "さくらい", "sakurai"),
    ("木下", "きのした", "kinoshita"),
    ("野村", "のむら", "nomura"),
];

/// Given names common among men of working age.
static MALE_GIVEN_NAMES: [Reading; 46] = [
    ("太郎", "たろう", "taro"),
    ("一郎", "いちろう", "ichiro"),
    ("健太", "けんた", "kenta"),
    ("翔太", "しょうた", "shota"),
    ("大輔", "だいすけ", "daisuke"),
    ("拓也", "たくや", "takuya"),
    ("直樹", "なおき", "naoki"),
    ("誠", "まこと", "makoto"),
    ("浩", "ひろし", "hiroshi"),
    ("隆", "たかし", "takashi"),
    ("剛", "つよし", "tsuyoshi"),
    ("修", "おさむ", "osamu"),
    ("学", "まなぶ", "manabu"),
    ("和也", "かずや", "kazuya"),
    ("健一", "けんいち", "kenichi"),
    ("雄一", "ゆういち", "yuichi"),
    ("裕介", "ゆうすけ", "yusuke"),
    ("亮", "りょう", "ryo"),
    ("悠斗", "ゆうと", "yuto"),
    ("大樹", "だいき", "daiki"),
    ("陸", "りく", "riku"),
    ("蓮", "れん", "ren"),
    ("悠真", "ゆうま", "yuma"),
    ("翔", "しょう", "sho"),
    ("智也", "ともや", "tomoya"),
    ("達也", "たつや", "tatsuya"),
    ("哲也", "てつや", "tetsuya"),
    ("康弘", "やすひろ", "yasuhiro"),
    ("正樹", "まさき", "masaki"),
    ("秀樹", "ひでき", "hideki"),
    ("慎一", "しんいち", "shinichi"),
    ("浩二", "こうじ", "koji"),
    ("健二", "けんじ", "kenji"),
    ("茂", "しげる", "shigeru"),
    ("龍之介", "りゅうのすけ", "ryunosuke"),
    ("航", "わたる", "wataru"),
    ("颯太", "そうた", "sota"),
    ("圭", "けい", "kei"),
    ("俊介", "しゅんすけ", "shunsuke"),
    ("義男", "よしお", "yoshio"),
    ("大翔", "ひろと", "hiroto"),
    ("湊", "みなと", "minato"),
    ("勇気", "ゆうき", "yuki"),
    ("恭平", "きょうへい", "kyohei"),
    ("聡", "さとし", "satoshi"),
    ("稔", "みのる", "minoru"),
];

/// Given names common among women of working age.
static FEMALE_GIVEN_NAMES: [Reading; 44] = [
    ("花子", "はなこ", "hanako"),
    ("陽子", "ようこ", "yoko"),
    ("恵子", "けいこ", "keiko"),
    ("美穂", "みほ", "miho"),
    ("直美", "なおみ", "naomi"),
    ("由美", "ゆみ", "yumi"),
    ("真由美", "まゆみ", "mayumi"),
    ("智子", "ともこ", "tomoko"),
    ("久美子", "くみこ", "kumiko"),
    ("幸子", "さちこ", "sachiko"),
    ("明美", "あけみ", "akemi"),
    ("裕子", "ゆうこ", "yuko"),
    ("愛", "あい", "ai"),
    ("彩", "あや", "aya"),
    ("麻衣", "まい", "mai"),
    ("美咲", "みさき", "misaki"),
    ("陽菜", "ひな", "hina"),
    ("結衣", "ゆい", "yui"),
    ("さくら", "さくら", "sakura"),
    ("葵", "あおい", "aoi"),
    ("凛", "りん", "rin"),
    ("美優", "みゆ", "miyu"),
    ("七海", "ななみ", "nanami"),
    ("千尋", "ちひろ", "chihiro"),
    ("香織", "かおり", "kaori"),
    ("由香", "ゆか", "yuka"),
    ("沙織", "さおり", "saori"),
    ("里美", "さとみ", "satomi"),
    ("綾香", "あやか", "ayaka"),
    ("奈々", "なな", "nana"),
    ("真理子", "まりこ", "mariko"),
    ("涼子", "りょうこ", "ryoko"),
    ("紀子", "のりこ", "noriko"),
    ("早紀", "さき", "saki"),
    ("瞳", "ひとみ", "hitomi"),
    ("静香", "しずか", "shizuka"),
    ("穂乃香", "ほのか", "honoka"),
    ("美紀", "みき", "miki"),
    ("加奈子", "かなこ", "kanako"),
    ("恵", "めぐみ", "megumi"),
    ("芽依", "めい", "mei"),
    ("千夏", "ちなつ", "chinatsu"),
    ("美里", "みさと", "misato"),
    ("佳奈", "かな", "kana"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn department_index(city: &City) -> HashMap<&str, &NewDepartment> {
        city.departments
            .iter()
            .map(|d| (d.code.as_str(), d))
            .collect()
    }

    /// Department names from the 局 down to `code`.
    fn path_of(city: &City, code: &str) -> Vec<String> {
        let by_code = department_index(city);
        let mut path = Vec::new();
        let mut current = by_code.get(code).copied();
        // Bounded so a cycle fails the test instead of hanging it.
        for _ in 0..=city.departments.len() {
            let Some(dept) = current else { break };
            path.push(dept.name.clone());
            current = dept
                .parent_code
                .as_deref()
                .and_then(|p| by_code.get(p).copied());
        }
        path.reverse();
        path
    }

    fn assert_insertable_in_order(city: &City) {
        let mut seen = HashSet::new();
        for dept in &city.departments {
            if let Some(parent) = &dept.parent_code {
                assert!(
                    seen.contains(parent.as_str()),
                    "{} comes before its parent {parent}",
                    dept.code
                );
            }
            assert!(
                seen.insert(dept.code.as_str()),
                "department code {} repeats",
                dept.code
            );
        }
        for person in &city.staff {
            assert!(
                seen.contains(person.department_code.as_str()),
                "{} sits in unknown department {}",
                person.login,
                person.department_code
            );
        }
    }

    fn assert_levels_are_strict(city: &City) {
        let by_code = department_index(city);
        for dept in &city.departments {
            let parent_level = dept
                .parent_code
                .as_deref()
                .and_then(|p| by_code.get(p))
                .map(|p| level_of(p.kind));
            match parent_level {
                None => assert_eq!(dept.kind, DepartmentKind::Kyoku, "{} is a root", dept.name),
                Some(level) => assert_eq!(
                    level_of(dept.kind),
                    level + 1,
                    "{} skips a level",
                    dept.name
                ),
            }
        }
    }

    fn assert_logins_and_mails_unique(city: &City) {
        let mut logins = HashSet::new();
        let mut mails = HashSet::new();
        let mut numbers = HashSet::new();
        for person in &city.staff {
            assert!(
                logins.insert(person.login.as_str()),
                "login {} repeats",
                person.login
            );
            assert!(
                mails.insert(person.mail.as_str()),
                "mail {} repeats",
                person.mail
            );
            assert!(
                numbers.insert(person.employee_no.as_str()),
                "employee no {} repeats",
                person.employee_no
            );
            assert!(
                person.login.is_ascii() && person.mail.is_ascii(),
                "{} is not ASCII",
                person.login
            );
            assert!(
                person.mail.ends_with("@city.yakuba.lg.jp"),
                "{}",
                person.mail
            );
        }
    }

    fn assert_sibling_orders_count_from_one(city: &City) {
        let mut orders: HashMap<Option<&str>, Vec<i32>> = HashMap::new();
        for dept in &city.departments {
            orders
                .entry(dept.parent_code.as_deref())
                .or_default()
                .push(dept.display_order);
        }
        for (parent, list) in orders {
            let expected: Vec<i32> = (1..).take(list.len()).collect();
            assert_eq!(list, expected, "children of {parent:?}");
        }
    }

    fn assert_staff_sit_in_ka_or_kakari(city: &City) {
        let by_code = department_index(city);
        for person in &city.staff {
            let kind = by_code.get(person.department_code.as_str()).map(|d| d.kind);
            assert!(
                matches!(kind, Some(DepartmentKind::Ka | DepartmentKind::Kakari)),
                "{} sits in a {kind:?}",
                person.login
            );
        }
    }

    fn assert_one_head_per_section(city: &City) {
        for dept in &city.departments {
            let title = match dept.kind {
                DepartmentKind::Ka => "課長",
                DepartmentKind::Kakari => "係長",
                _ => continue,
            };
            let heads = city
                .staff
                .iter()
                .filter(|s| s.department_code == dept.code && s.position == title)
                .count();
            assert_eq!(heads, 1, "{} has {heads} {title}", dept.name);
        }
    }

    fn fingerprint(city: &City) -> Vec<String> {
        let departments = city.departments.iter().map(|d| {
            format!(
                "{}|{:?}|{}|{:?}|{}",
                d.code, d.parent_code, d.name, d.kind, d.display_order
            )
        });
        let staff = city.staff.iter().map(|s| {
            format!(
                "{}|{}|{}|{}|{}|{}|{}",
                s.login, s.employee_no, s.name, s.kana, s.department_code, s.position, s.mail
            )
        });
        departments.chain(staff).collect()
    }

    #[test]
    fn demo_city_has_a_realistic_size() {
        let city = demo_city();
        assert_eq!(city.name, "やくば市");
        assert!(
            (60..=120).contains(&city.departments.len()),
            "{} departments",
            city.departments.len()
        );
        assert!(
            (200..=320).contains(&city.staff.len()),
            "{} staff",
            city.staff.len()
        );
    }

    #[test]
    fn demo_logins_sit_in_their_sections_with_their_names() {
        let city = demo_city();
        let expected = [
            (
                "yamada",
                "山田 太郎",
                "やまだ たろう",
                "主査",
                ["総務局", "総務部", "総務課"],
                "yamada.taro@city.yakuba.lg.jp",
            ),
            (
                "sato",
                "佐藤 花子",
                "さとう はなこ",
                "課長",
                ["財政局", "財務部", "財務課"],
                "sato.hanako@city.yakuba.lg.jp",
            ),
            (
                "admin",
                "システム管理者",
                "しすてむかんりしゃ",
                "主査",
                ["総務局", "情報化戦略部", "情報化推進課"],
                "admin@city.yakuba.lg.jp",
            ),
        ];
        assert_eq!(expected.map(|e| e.0), DEMO_LOGINS);
        for (login, name, kana, position, path, mail) in expected {
            let found: Vec<&NewStaff> = city.staff.iter().filter(|s| s.login == login).collect();
            let [person] = found.as_slice() else {
                panic!("expected one {login}, found {}", found.len());
            };
            assert_eq!(person.name, name);
            assert_eq!(person.kana, kana);
            assert_eq!(person.position, position);
            assert_eq!(person.mail, mail);
            assert_eq!(path_of(&city, &person.department_code), path);
        }
    }

    #[test]
    fn demo_city_is_insertable_in_order() {
        let city = demo_city();
        assert_insertable_in_order(&city);
        assert_levels_are_strict(&city);
        assert_sibling_orders_count_from_one(&city);
    }

    #[test]
    fn demo_city_names_every_department_once() {
        let city = demo_city();
        let names: HashSet<&str> = city.departments.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names.len(), city.departments.len());
    }

    #[test]
    fn demo_city_staff_have_unique_logins_mails_and_numbers() {
        assert_logins_and_mails_unique(&demo_city());
    }

    #[test]
    fn demo_city_has_one_head_per_ka_and_kakari_and_everyone_sits_in_one() {
        let city = demo_city();
        assert_one_head_per_section(&city);
        assert_staff_sit_in_ka_or_kakari(&city);
        for (index, dept) in city.departments.iter().enumerate() {
            let assistants = city
                .staff
                .iter()
                .filter(|s| s.department_code == dept.code && s.position == "課長補佐")
                .count();
            let sectioned =
                dept.kind == DepartmentKind::Ka && has_children(&city.departments, index);
            assert_eq!(
                assistants,
                usize::from(sectioned),
                "{} has {assistants} 課長補佐",
                dept.name
            );
        }
        for title in ["局長", "部長"] {
            let expected = city
                .departments
                .iter()
                .filter(|d| head_title(d.kind) == title)
                .count();
            let found = city.staff.iter().filter(|s| s.position == title).count();
            assert_eq!(found, expected, "{title}");
        }
    }

    #[test]
    fn demo_city_is_the_same_on_every_call() {
        assert_eq!(fingerprint(&demo_city()), fingerprint(&demo_city()));
    }

    #[test]
    fn synthetic_city_at_city_scale_has_exact_counts_and_integrity() {
        let city = synthetic_city(21_036, 1_200, 7);
        assert_eq!(city.departments.len(), 1_200);
        assert_eq!(city.staff.len(), 21_036);
        assert_insertable_in_order(&city);
        assert_levels_are_strict(&city);
        assert_sibling_orders_count_from_one(&city);
        assert_logins_and_mails_unique(&city);
        assert_staff_sit_in_ka_or_kakari(&city);
        assert_one_head_per_section(&city);
        let names: HashSet<&str> = city.departments.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names.len(),
            city.departments.len(),
            "department names repeat"
        );
        for person in &city.staff {
            assert_eq!(person.login, format!("s{}", person.employee_no));
            assert_eq!(person.employee_no.len(), 6);
        }
    }

    #[test]
    fn synthetic_city_includes_ward_offices_with_ward_suffixed_sections() {
        let city = synthetic_city(21_036, 1_200, 7);
        assert!(city.departments.iter().any(|d| d.name == "北区役所"));
        assert!(city.departments.iter().any(|d| d.name == "市民課(北区)"));
    }

    #[test]
    fn synthetic_city_is_deterministic_for_a_seed() {
        let first = fingerprint(&synthetic_city(21_036, 1_200, 7));
        assert_eq!(first, fingerprint(&synthetic_city(21_036, 1_200, 7)));
        assert_ne!(first, fingerprint(&synthetic_city(21_036, 1_200, 8)));
    }

    #[test]
    fn synthetic_city_keeps_exact_counts_at_small_and_odd_sizes() {
        let cases = [
            (0, 1),
            (1, 1),
            (5, 2),
            (3, 3),
            (2, 10),
            (100, 7),
            (10, 50),
            (1_000, 37),
            (777, 251),
        ];
        for (staff, departments) in cases {
            let city = synthetic_city(staff, departments, 42);
            assert_eq!(
                city.departments.len(),
                departments,
                "departments for {staff}/{departments}"
            );
            assert_eq!(city.staff.len(), staff, "staff for {staff}/{departments}");
            assert_insertable_in_order(&city);
            assert_levels_are_strict(&city);
            assert_logins_and_mails_unique(&city);
        }
    }

    #[test]
    fn synthetic_city_without_departments_has_no_staff() {
        let city = synthetic_city(10, 0, 1);
        assert!(city.departments.is_empty());
        assert!(city.staff.is_empty());
    }

    #[test]
    fn name_pools_are_large_distinct_and_read_in_hiragana() {
        let given: Vec<&Reading> = MALE_GIVEN_NAMES.iter().chain(&FEMALE_GIVEN_NAMES).collect();
        assert!(FAMILY_NAMES.len() >= 80 && given.len() >= 80);
        let is_hiragana = |c: char| ('\u{3041}'..='\u{3096}').contains(&c) || c == 'ー';
        for pool in [FAMILY_NAMES.iter().collect::<Vec<_>>(), given] {
            let kanji: HashSet<&str> = pool.iter().map(|r| r.0).collect();
            assert_eq!(kanji.len(), pool.len(), "a name repeats in a pool");
            let romaji: HashSet<&str> = pool.iter().map(|r| r.2).collect();
            assert_eq!(romaji.len(), pool.len(), "a romaji repeats in a pool");
            for (name, kana, romaji) in pool {
                assert!(kana.chars().all(is_hiragana), "{name} reads {kana}");
                assert!(
                    romaji.chars().all(|c| c.is_ascii_lowercase()),
                    "{name} is {romaji}"
                );
            }
        }
    }

    #[test]
    fn level_sizes_add_up_and_never_orphan_a_level() {
        for total in 0..2_000 {
            let sizes = level_sizes(total);
            assert_eq!(sizes.iter().sum::<usize>(), total);
            for level in 1..4 {
                assert!(
                    sizes[level] == 0 || sizes[level - 1] > 0,
                    "{total}: {sizes:?}"
                );
            }
        }
        assert_eq!(level_sizes(1_200), [24, 120, 420, 636]);
    }

    #[test]
    fn split_always_hands_out_the_whole_total() {
        assert_eq!(split(10, &[1, 1, 3]), vec![2, 2, 6]);
        assert_eq!(split(5, &[0, 0]), vec![2, 3]);
        assert_eq!(split(0, &[4, 2]), vec![0, 0]);
        assert!(split(3, &[]).is_empty());
    }

    #[test]
    fn repeated_names_get_area_then_ordinal_suffixes() {
        let mut book = NameBook::default();
        let names: Vec<String> = (0..8).map(|_| book.claim("庶務係", None)).collect();
        assert_eq!(
            names,
            [
                "庶務係",
                "庶務係(北部)",
                "庶務係(南部)",
                "庶務係(東部)",
                "庶務係(西部)",
                "庶務係(中部)",
                "庶務係(第二)",
                "庶務係(第三)"
            ]
        );
        assert_eq!(book.claim("市民課", Some("北区")), "市民課(北区)");
        assert_eq!(book.claim("市民課", Some("北区")), "市民課(北区第二)");
    }

    #[test]
    fn kanji_numbers_read_as_in_japanese() {
        let cases = [
            (1, "一"),
            (2, "二"),
            (10, "十"),
            (12, "十二"),
            (20, "二十"),
            (111, "百十一"),
            (2_305, "二千三百五"),
        ];
        for (n, expected) in cases {
            assert_eq!(kanji_number(n), expected, "{n}");
        }
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = SplitMix64(3);
        assert_eq!(rng.below(0), 0);
        assert!((0..1_000).all(|_| rng.below(7) < 7));
    }
}
