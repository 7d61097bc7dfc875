//! Behaviour of the demo and synthetic city generators.

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
        let sectioned = dept.kind == DepartmentKind::Ka && has_children(&city.departments, index);
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
