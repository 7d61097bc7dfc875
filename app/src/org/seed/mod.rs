//! Fictional organisation data for the demo and for benchmarks: the やくば市 city hall tree
//! (局/部/課/係) and its staff, returned as plain values ready to insert in order.
//!
//! Pure: no IO, no clock and no global randomness. Everything comes from the name pools and
//! templates in the submodules and a seeded SplitMix64, so the same call always returns the
//! same city.

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

mod names;
mod staff;
mod templates;
#[cfg(test)]
mod tests;

use names::*;
use staff::*;
use templates::*;

// ---------------------------------------------------------------------------------------------
// Departments
// ---------------------------------------------------------------------------------------------

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
