//! Unit tests of the facility model: slots, dates, rules, statuses and messages.

use time::macros::{date, datetime, time};
use time::{OffsetDateTime, Time};

use super::*;
use crate::facility::texts::{EN, JA};
use crate::org::model::StaffId;

fn room(rules: Rules) -> Facility {
    Facility {
        id: FacilityId(1),
        category_id: CategoryId(1),
        name: "第1会議室".into(),
        place: "本庁舎 3階".into(),
        capacity: Some(12),
        department_id: DepartmentId(10),
        display_order: 1,
        rules,
        note: String::new(),
        in_service: true,
    }
}

const ANYONE: BookerStanding = BookerStanding {
    in_department: false,
    administrator: false,
};

fn slot(start: OffsetDateTime, end: OffsetDateTime) -> Slot {
    Slot::new(start, end).unwrap()
}

#[test]
fn slots_are_half_open_whole_minutes_and_at_most_fourteen_days() {
    let a = slot(
        datetime!(2025-11-25 10:00 +9),
        datetime!(2025-11-25 11:00 +9),
    );
    let b = slot(
        datetime!(2025-11-25 11:00 +9),
        datetime!(2025-11-25 12:00 +9),
    );
    let c = slot(
        datetime!(2025-11-25 10:59 +9),
        datetime!(2025-11-25 11:01 +9),
    );
    assert!(!a.overlaps(b), "touching ends do not overlap");
    assert!(a.overlaps(c) && c.overlaps(b));
    assert_eq!(
        Slot::new(
            datetime!(2025-11-25 10:00:59 +9),
            datetime!(2025-11-25 10:01:30 +9)
        )
        .unwrap()
        .duration(),
        Duration::minutes(1)
    );
    assert_eq!(
        Slot::new(
            datetime!(2025-11-25 10:00 +9),
            datetime!(2025-11-25 10:00:59 +9)
        ),
        Err(SlotError::Empty)
    );
    assert_eq!(
        Slot::new(
            datetime!(2025-11-25 10:00 +9),
            datetime!(2025-11-25 09:00 +9)
        ),
        Err(SlotError::Empty)
    );
    assert_eq!(
        Slot::new(
            datetime!(2025-11-01 00:00 +9),
            datetime!(2025-11-15 00:01 +9)
        ),
        Err(SlotError::TooLong)
    );
    assert!(
        Slot::new(
            datetime!(2025-11-01 00:00 +9),
            datetime!(2025-11-15 00:00 +9)
        )
        .is_ok()
    );
}

#[test]
fn slots_on_a_day_are_japan_time_and_may_end_at_midnight() {
    let day = date!(2025 - 11 - 25);
    let s = Slot::on_day(day, time!(10:00), time!(11:30)).unwrap();
    assert_eq!(s.start(), datetime!(2025-11-25 01:00 UTC));
    let to_midnight = Slot::on_day(day, time!(22:00), Time::MIDNIGHT).unwrap();
    assert_eq!(to_midnight.end(), datetime!(2025-11-26 00:00 +9));
    assert_eq!(to_midnight.label(&JA), "2025年11月25日（火） 22:00〜24:00");
    assert_eq!(s.label(&JA), "2025年11月25日（火） 10:00〜11:30");
    assert_eq!(s.label(&EN), "Tue, Nov 25, 2025 10:00〜11:30");
    let long = slot(
        datetime!(2025-11-25 09:00 +9),
        datetime!(2025-11-27 17:00 +9),
    );
    assert_eq!(
        long.label(&JA),
        "2025年11月25日（火） 09:00〜2025年11月27日（木） 17:00"
    );
    assert_eq!(
        Slot::on_day(day, time!(11:00), time!(10:00)),
        Err(SlotError::Empty)
    );
    assert_eq!(s.short_label(&JA), "11/25（火） 10:00〜11:30");
    assert_eq!(s.short_label(&EN), "Tue 11/25 10:00〜11:30");
    assert_eq!(long.short_label(&JA), "11/25（火） 09:00〜");
}

#[test]
fn dates_and_clock_times_parse_strictly() {
    let table = [
        ("2025-11-25", Some(date!(2025 - 11 - 25))),
        (" 2025-01-05 ", Some(date!(2025 - 01 - 05))),
        ("2025-02-29", None),
        ("2025-1-5", None),
        ("2025/11/25", None),
        ("20251125", None),
        ("+025-11-25", None),
        ("", None),
    ];
    for (text, expected) in table {
        assert_eq!(parse_date(text), expected, "{text:?}");
    }
    let clocks = [
        ("10:00", Some(600)),
        ("09:15", Some(555)),
        ("09:15:00", Some(555)),
        ("24:00", Some(1440)),
        ("00:00", Some(0)),
        ("24:01", None),
        ("9:15", None),
        ("10:60", None),
        ("10:00:30", None),
        ("ab:cd", None),
        ("", None),
    ];
    for (text, expected) in clocks {
        assert_eq!(parse_clock(text), expected, "{text:?}");
    }
    assert_eq!(time_of(1440), Time::MIDNIGHT);
    assert_eq!(time_of(615), time!(10:15));
    assert_eq!(iso_date(date!(2025 - 01 - 05)), "2025-01-05");
}

#[test]
fn bookable_hours_run_forward_on_quarter_hours_within_the_day() {
    assert!(BookableHours::new(480, 1260).is_some());
    assert!(BookableHours::new(0, 1440).is_some_and(BookableHours::is_all_day));
    assert!(BookableHours::new(600, 600).is_none());
    assert!(BookableHours::new(600, 1441).is_none());
    assert_eq!(
        BookableHours::new(510, 1035).unwrap().label(),
        "08:30〜17:15"
    );
}

#[test]
fn a_booking_within_every_rule_breaks_none() {
    let now = datetime!(2025-11-25 09:00 +9);
    let s = slot(
        datetime!(2025-11-26 10:00 +9),
        datetime!(2025-11-26 12:00 +9),
    );
    assert!(check_rules(&room(Rules::DEFAULT), s, ANYONE, now).is_empty());
}

#[test]
fn each_rule_is_named_when_broken() {
    let now = datetime!(2025-11-25 09:00 +9);
    let rules = Rules {
        advance_days: 30,
        max_minutes: 120,
        hours: BookableHours::new(540, 1020).unwrap(),
        ..Rules::DEFAULT
    };
    let table = [
        (
            slot(
                datetime!(2025-11-25 08:00 +9),
                datetime!(2025-11-25 08:29 +9),
            ),
            vec![
                RuleViolation::InPast,
                RuleViolation::OutsideHours { hours: rules.hours },
            ],
        ),
        (
            slot(
                datetime!(2025-12-26 10:00 +9),
                datetime!(2025-12-26 11:00 +9),
            ),
            vec![RuleViolation::TooFarAhead { days: 30 }],
        ),
        (
            slot(
                datetime!(2025-12-25 23:00 +9),
                datetime!(2025-12-25 23:30 +9),
            ),
            vec![RuleViolation::OutsideHours { hours: rules.hours }],
        ),
        (
            slot(
                datetime!(2025-11-26 09:00 +9),
                datetime!(2025-11-26 11:15 +9),
            ),
            vec![RuleViolation::TooLong { max_minutes: 120 }],
        ),
        (
            slot(
                datetime!(2025-11-26 16:00 +9),
                datetime!(2025-11-26 17:15 +9),
            ),
            vec![RuleViolation::OutsideHours { hours: rules.hours }],
        ),
    ];
    for (s, expected) in table {
        assert_eq!(check_rules(&room(rules), s, ANYONE, now), expected, "{s:?}");
    }
}

#[test]
fn the_half_hour_under_way_can_still_be_booked() {
    let now = datetime!(2025-11-25 10:20 +9);
    let current = slot(
        datetime!(2025-11-25 10:00 +9),
        datetime!(2025-11-25 10:30 +9),
    );
    let earlier = slot(
        datetime!(2025-11-25 09:30 +9),
        datetime!(2025-11-25 10:30 +9),
    );
    let over = slot(
        datetime!(2025-11-25 10:00 +9),
        datetime!(2025-11-25 10:15 +9),
    );
    assert!(check_rules(&room(Rules::DEFAULT), current, ANYONE, now).is_empty());
    assert_eq!(
        check_rules(&room(Rules::DEFAULT), earlier, ANYONE, now),
        [RuleViolation::InPast]
    );
    assert_eq!(
        check_rules(&room(Rules::DEFAULT), over, ANYONE, now),
        [RuleViolation::InPast]
    );
}

#[test]
fn who_may_book_follows_the_department_and_administrators() {
    let now = datetime!(2025-11-25 09:00 +9);
    let s = slot(
        datetime!(2025-11-26 10:00 +9),
        datetime!(2025-11-26 11:00 +9),
    );
    let member = BookerStanding {
        in_department: true,
        administrator: false,
    };
    let admin = BookerStanding {
        in_department: false,
        administrator: true,
    };
    let department = room(Rules {
        bookers: Bookers::Department,
        ..Rules::DEFAULT
    });
    let admins = room(Rules {
        bookers: Bookers::Administrators,
        ..Rules::DEFAULT
    });
    assert_eq!(
        check_rules(&department, s, ANYONE, now),
        [RuleViolation::NotPermitted {
            bookers: Bookers::Department
        }]
    );
    assert!(check_rules(&department, s, member, now).is_empty());
    assert!(check_rules(&department, s, admin, now).is_empty());
    assert!(!check_rules(&admins, s, member, now).is_empty());
    assert!(check_rules(&admins, s, admin, now).is_empty());
    let mut withdrawn = room(Rules::DEFAULT);
    withdrawn.in_service = false;
    assert_eq!(
        check_rules(&withdrawn, s, admin, now),
        [RuleViolation::OutOfService]
    );
}

#[test]
fn all_day_facilities_take_bookings_over_midnight() {
    let now = datetime!(2025-11-25 09:00 +9);
    let car = room(Rules {
        hours: BookableHours::ALL_DAY,
        max_minutes: 3 * 24 * 60,
        ..Rules::DEFAULT
    });
    let trip = slot(
        datetime!(2025-11-26 07:00 +9),
        datetime!(2025-11-27 19:00 +9),
    );
    assert!(check_rules(&car, trip, ANYONE, now).is_empty());
    assert!(!check_rules(&room(Rules::DEFAULT), trip, ANYONE, now).is_empty());
}

#[test]
fn restricted_facilities_start_pending_unless_an_administrator_books() {
    let restricted = Rules {
        approval: Approval::Required,
        ..Rules::DEFAULT
    };
    let admin = BookerStanding {
        in_department: true,
        administrator: true,
    };
    assert_eq!(initial_status(&restricted, ANYONE), Status::Pending);
    assert_eq!(initial_status(&restricted, admin), Status::Confirmed);
    assert_eq!(initial_status(&Rules::DEFAULT, ANYONE), Status::Confirmed);
    assert_eq!(Decision::Approve.status(), Status::Confirmed);
    assert_eq!(Decision::Reject.status(), Status::Rejected);
    assert!(!Status::Rejected.is_live() && !Status::Cancelled.is_live());
    assert!(Status::Pending.is_live() && Status::Confirmed.is_live());
}

#[test]
fn stored_names_round_trip_and_unknown_ones_read_safely() {
    for status in [
        Status::Confirmed,
        Status::Pending,
        Status::Rejected,
        Status::Cancelled,
    ] {
        assert_eq!(Status::from_stored(status.as_str()), status);
    }
    assert_eq!(Status::from_stored("?"), Status::Pending);
    for bookers in Bookers::ALL {
        assert_eq!(Bookers::from_stored(bookers.as_str()), bookers);
    }
    assert_eq!(Bookers::from_stored("?"), Bookers::Administrators);
    assert_eq!(Approval::from_stored("?"), Approval::Required);
    assert_eq!(Approval::from_stored("none"), Approval::Automatic);
    assert_eq!(Visibility::from_stored("?"), Visibility::Private);
    assert_eq!(Decision::parse("approve"), Some(Decision::Approve));
    assert_eq!(Decision::parse("Approve"), None);
}

#[test]
fn a_conflict_names_facility_time_title_and_booker_and_hides_private_titles() {
    let existing = Reservation {
        id: ReservationId(5),
        facility_id: FacilityId(1),
        facility_name: "第1会議室".into(),
        slot: slot(
            datetime!(2025-11-26 10:00 +9),
            datetime!(2025-11-26 11:00 +9),
        ),
        booker: StaffId(2),
        booker_name: "佐藤 花子".into(),
        title: "人事面談".into(),
        visibility: Visibility::Private,
        event_id: None,
        status: Status::Pending,
        decision_note: String::new(),
    };
    assert_eq!(
        conflict_message(&existing, StaffId(1), &JA),
        "「第1会議室」は 2025年11月26日（水） 10:00〜11:00 に 佐藤 花子 さんの予約\
         「予定あり」（仮予約）があるため、予約できません。"
    );
    assert!(conflict_message(&existing, StaffId(2), &JA).contains("人事面談"));
    let public = Reservation {
        visibility: Visibility::Public,
        status: Status::Confirmed,
        ..existing
    };
    assert_eq!(
        conflict_message(&public, StaffId(1), &EN),
        "第1会議室 is already booked Wed, Nov 26, 2025 10:00〜11:00 by 佐藤 花子 for \
         \"人事面談\"."
    );
}

#[test]
fn rule_messages_fill_in_their_limits() {
    assert_eq!(
        RuleViolation::TooLong { max_minutes: 150 }.message(&JA),
        "この設備の1回の予約は2時間30分までです。"
    );
    assert_eq!(
        RuleViolation::TooFarAhead { days: 30 }.message(&EN),
        "This facility can be booked at most 30 days ahead."
    );
    assert_eq!(duration_label(45, &JA), "45分");
    assert_eq!(duration_label(120, &EN), "2 h");
    assert!(
        RuleViolation::OutsideHours {
            hours: BookableHours::new(540, 1020).unwrap()
        }
        .message(&JA)
        .contains("09:00〜17:00")
    );
}
