//! Staffing a department tree: who heads each unit, who works in it, and their names,
//! readings and mail addresses.

use super::*;

/// A demo login with a fixed identity and place.
pub(super) struct DemoPerson {
    pub(super) login: &'static str,
    pub(super) name: &'static str,
    pub(super) kana: &'static str,
    pub(super) mail_local: &'static str,
    pub(super) position: &'static str,
    /// Department names from the 局 down.
    pub(super) path: &'static [&'static str],
}

pub(super) static DEMO_PEOPLE: [DemoPerson; 3] = [
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
pub(super) struct Slot {
    dept: usize,
    position: &'static str,
    person: Option<&'static DemoPerson>,
}

pub(super) fn head_title(kind: DepartmentKind) -> &'static str {
    match kind {
        DepartmentKind::Kyoku => "局長",
        DepartmentKind::Bu => "部長",
        DepartmentKind::Ka => "課長",
        DepartmentKind::Kakari => "係長",
    }
}

pub(super) fn member_position(rng: &mut SplitMix64) -> &'static str {
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
pub(super) fn has_children(departments: &[NewDepartment], index: usize) -> bool {
    match (departments.get(index), departments.get(index + 1)) {
        (Some(parent), Some(next)) => next.parent_code.as_deref() == Some(parent.code.as_str()),
        _ => false,
    }
}

/// Where the head of department `index` sits: a 局 or 部 head in its first 課 (staff belong to
/// a 課 or 係), anyone else in the department itself. Relies on pre-order with strict levels.
pub(super) fn home_of(departments: &[NewDepartment], index: usize) -> usize {
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
pub(super) fn plan_slots(
    departments: &[NewDepartment],
    total: usize,
    rng: &mut SplitMix64,
) -> Vec<Slot> {
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
pub(super) fn place(
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
pub(super) struct MailBook {
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
pub(super) fn staff_from_slots(
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
