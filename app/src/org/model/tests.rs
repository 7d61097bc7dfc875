//! Unit tests of the organisation model: levels, the tree, scopes, stored names and order.

use super::*;

#[test]
fn department_kinds_round_trip_through_their_stored_names() {
    for kind in DepartmentKind::ALL {
        assert_eq!(DepartmentKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(DepartmentKind::parse("Ka"), None);
    assert_eq!(DepartmentKind::parse(""), None);
}

#[test]
fn department_kinds_have_their_japanese_suffix() {
    let labels: Vec<_> = DepartmentKind::ALL.iter().map(|k| k.label()).collect();
    assert_eq!(labels, ["局", "部", "課", "係"]);
}

#[test]
fn employment_flags_round_trip_and_unknown_flags_mean_retired() {
    for employment in [Employment::Active, Employment::Retired] {
        assert_eq!(Employment::from_flag(employment.as_flag()), employment);
    }
    assert_eq!(Employment::from_flag(7), Employment::Retired);
}

#[test]
fn paths_are_joined_root_first() {
    let path = ["総務局", "総務部", "総務課"].map(String::from);
    assert_eq!(join_path(&path), "総務局 › 総務部 › 総務課");
    assert_eq!(join_path(&[]), "");
}

fn tree() -> DepartmentTree {
    // 1 局 ─ 2 部 ─ 3 課 ─ 4 係; 5 another 局.
    DepartmentTree::new([
        (DepartmentId(1), None),
        (DepartmentId(2), Some(DepartmentId(1))),
        (DepartmentId(3), Some(DepartmentId(2))),
        (DepartmentId(4), Some(DepartmentId(3))),
        (DepartmentId(5), None),
    ])
}

#[test]
fn a_scope_covers_its_departments_and_everything_under_them() {
    let tree = tree();
    let bu = Scope::Departments(vec![DepartmentId(2)]);
    let table = [
        (1, false),
        (2, true),
        (3, true),
        (4, true),
        (5, false),
        (99, false),
    ];
    for (department, covered) in table {
        assert_eq!(
            bu.covers(DepartmentId(department), &tree),
            covered,
            "{department}"
        );
    }
    assert!(Scope::All.covers(DepartmentId(5), &tree));
    assert!(!Scope::Nothing.covers(DepartmentId(2), &tree));
    assert!(!Scope::Departments(vec![]).covers(DepartmentId(2), &tree));
    assert!(!Scope::Departments(vec![DepartmentId(99)]).covers(DepartmentId(99), &tree));
}

#[test]
fn a_parent_cycle_ends_the_walk_instead_of_looping() {
    let tree = DepartmentTree::new([
        (DepartmentId(1), Some(DepartmentId(2))),
        (DepartmentId(2), Some(DepartmentId(1))),
    ]);
    assert!(!tree.is_within(DepartmentId(1), DepartmentId(3)));
    assert!(tree.is_within(DepartmentId(1), DepartmentId(2)));
}

#[test]
fn subtrees_list_the_root_and_its_descendants() {
    let ids: Vec<i64> = tree()
        .subtree(DepartmentId(2))
        .iter()
        .map(|d| d.0)
        .collect();
    assert_eq!(ids, [2, 3, 4]);
    assert!(tree().subtree(DepartmentId(42)).is_empty());
}

#[test]
fn modules_grants_and_roles_round_trip_through_their_stored_names() {
    for module in Module::ALL {
        assert_eq!(Module::parse(module.as_str()), Some(module));
    }
    for kind in GrantKind::ALL {
        assert_eq!(GrantKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(
        Role::parse(Role::SystemAdmin.as_str()),
        Some(Role::SystemAdmin)
    );
    assert_eq!(Module::parse("Schedule"), None);
    assert_eq!(GrantKind::parse(""), None);
}

#[test]
fn heads_come_before_their_staff() {
    assert!(position_rank("課長") < position_rank("係長"));
    assert!(position_rank("係長") < position_rank("主事"));
    assert_eq!(position_rank("名誉職"), u8::MAX);
}

fn dept(id: i64, parent: Option<i64>, order: i32) -> Department {
    Department {
        id: DepartmentId(id),
        code: format!("D{id}"),
        parent_id: parent.map(DepartmentId),
        name: format!("{id}"),
        kind: DepartmentKind::Ka,
        display_order: order,
        abolished_at: None,
    }
}

#[test]
fn tree_order_puts_parents_before_children_and_siblings_by_display_order() {
    let departments = vec![
        dept(4, Some(2), 1),
        dept(3, Some(1), 2),
        dept(2, Some(1), 1),
        dept(1, None, 2),
        dept(5, None, 1),
        dept(6, Some(99), 1),
    ];
    let ids: Vec<i64> = tree_order(departments).iter().map(|d| d.id.0).collect();
    assert_eq!(ids, [5, 6, 1, 2, 4, 3]);
}

#[test]
fn picker_labels_are_indented_by_depth() {
    let ordered = tree_order(vec![
        dept(1, None, 1),
        dept(2, Some(1), 1),
        dept(4, Some(2), 1),
    ]);
    assert_eq!(
        indented_names(&ordered),
        ["1", "\u{3000}2", "\u{3000}\u{3000}4"]
    );
}

#[test]
fn each_level_has_the_next_below_it_and_a_kakari_none() {
    assert_eq!(DepartmentKind::Kyoku.child(), Some(DepartmentKind::Bu));
    assert_eq!(DepartmentKind::Ka.child(), Some(DepartmentKind::Kakari));
    assert_eq!(DepartmentKind::Kakari.child(), None);
}
fn unit(id: i64, parent: Option<i64>, kind: DepartmentKind) -> Department {
    Department {
        kind,
        ..dept(id, parent, 1)
    }
}

#[test]
fn departments_move_only_one_level_below_a_current_parent_outside_themselves() {
    // 1 局 ─ 2 部 ─ 3 課 ─ 4 係; 5 another 局, 6 its 部, 7 an abolished 部 of 5.
    let tree = tree();
    let kyoku = unit(1, None, DepartmentKind::Kyoku);
    let bu = unit(2, Some(1), DepartmentKind::Bu);
    let ka = unit(3, Some(2), DepartmentKind::Ka);
    let other_kyoku = unit(5, None, DepartmentKind::Kyoku);
    let other_bu = unit(6, Some(5), DepartmentKind::Bu);
    let abolished_bu = Department {
        abolished_at: Some(time::macros::datetime!(2026-04-01 00:00 +9)),
        ..unit(7, Some(5), DepartmentKind::Bu)
    };
    assert_eq!(check_placement(&ka, Some(&other_bu), &tree), Ok(()));
    assert_eq!(check_placement(&bu, Some(&other_kyoku), &tree), Ok(()));
    assert_eq!(check_placement(&kyoku, None, &tree), Ok(()));
    assert_eq!(
        check_placement(&ka, Some(&other_kyoku), &tree),
        Err(PlacementProblem::WrongLevel {
            kind: DepartmentKind::Ka,
            parent: Some(DepartmentKind::Kyoku)
        })
    );
    assert_eq!(
        check_placement(&ka, None, &tree),
        Err(PlacementProblem::WrongLevel {
            kind: DepartmentKind::Ka,
            parent: None
        })
    );
    assert_eq!(
        check_placement(&bu, Some(&bu), &tree),
        Err(PlacementProblem::UnderItself)
    );
    let kakari = unit(4, Some(3), DepartmentKind::Kakari);
    assert_eq!(
        check_placement(&kyoku, Some(&kakari), &tree),
        Err(PlacementProblem::UnderItself)
    );
    assert_eq!(
        check_placement(&ka, Some(&abolished_bu), &tree),
        Err(PlacementProblem::ParentAbolished)
    );
}
