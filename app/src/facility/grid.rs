//! The facility day grid as the page draws it: a column per half hour, a row per facility,
//! free cells that link to the booking form, and each reservation (or run of reservations
//! that share a column) as one cell spanning its columns. Pure: built from the facilities,
//! their reservations on the day and the viewer.

use time::Date;

use super::model::{Facility, JST, Reservation, ReservationId, Status, clock_label, iso_date};
use super::texts::FacilityTexts;
use crate::org::model::StaffId;

/// Minutes per grid column.
pub const STEP: u16 = 30;

/// Earliest and latest edges a grid stretches to, so that a facility open all day does not
/// make every grid 48 columns wide; reservations outside still widen it.
const DEFAULT_WINDOW: (u16, u16) = (8 * 60, 21 * 60);

/// The part of the day a grid shows, in minutes after midnight, on whole hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First minute shown.
    pub open: u16,
    /// End of the last column.
    pub close: u16,
}

impl Window {
    /// The window for a page of `facilities` with `reservations` on `date`: 08:00-21:00,
    /// widened to the bookable hours of facilities that open earlier or close later (up to
    /// 07:00-22:00) and to any reservation that day, on whole hours.
    pub fn for_day(facilities: &[Facility], reservations: &[Reservation], date: Date) -> Window {
        let (mut open, mut close) = DEFAULT_WINDOW;
        for facility in facilities.iter().filter(|f| !f.rules.hours.is_all_day()) {
            open = open.min(facility.rules.hours.open().max(7 * 60));
            close = close.max(facility.rules.hours.close().min(22 * 60));
        }
        for reservation in reservations {
            let (start, end) = minutes_on(reservation, date);
            if start < end {
                open = open.min(start);
                close = close.max(end);
            }
        }
        Window {
            open: open - open % 60,
            close: close.div_ceil(60).saturating_mul(60).min(1440),
        }
    }

    /// How many columns it has.
    pub fn columns(self) -> u16 {
        (self.close - self.open) / STEP
    }

    /// The hour headings, each over two columns.
    pub fn hours(self) -> Vec<String> {
        (self.open / 60..self.close / 60)
            .map(|hour| hour.to_string())
            .collect()
    }
}

/// The part of `reservation` on `date` in minutes after midnight (Japan time), clamped to the
/// day: `(start, end)`, with `start >= end` when it does not touch the day.
fn minutes_on(reservation: &Reservation, date: Date) -> (u16, u16) {
    let day_start = date.midnight().assume_offset(JST);
    let minutes = |at: time::OffsetDateTime| {
        let m = (at - day_start).whole_minutes().clamp(0, 1440);
        u16::try_from(m).unwrap_or(0)
    };
    (
        minutes(reservation.slot.start()),
        minutes(reservation.slot.end()),
    )
}

/// One reservation inside a booked cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its id, for the link to it.
    pub id: ReservationId,
    /// `10:00〜11:00`, with `◀`/`▶` when it began the day before or runs on past the day.
    pub time: String,
    /// The title, or 「予定あり」 for a private one the viewer may not see.
    pub title: String,
    /// Who booked it.
    pub booker: String,
    /// Whether it is a 仮予約.
    pub pending: bool,
    /// Whether the viewer booked it.
    pub own: bool,
}

/// One cell of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// A free half hour that can be booked from `start` (`10:30`).
    Free {
        /// Start of the half hour.
        start: String,
    },
    /// A half hour outside the facility's bookable hours.
    Closed,
    /// One or more reservations over `span` columns.
    Booked {
        /// Columns covered.
        span: u16,
        /// The reservations, by start.
        entries: Vec<Entry>,
    },
}

/// One facility's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The facility.
    pub facility: Facility,
    /// Its cells, left to right, covering every column once.
    pub cells: Vec<Cell>,
}

/// The rows of a grid on `date` for `facilities`, with `reservations` (live ones, any
/// facility of the page, in any order) placed, as `viewer` sees them.
pub fn rows(
    facilities: Vec<Facility>,
    reservations: &[Reservation],
    date: Date,
    window: Window,
    viewer: StaffId,
    texts: &FacilityTexts,
) -> Vec<Row> {
    facilities
        .into_iter()
        .map(|facility| {
            let mut own: Vec<&Reservation> = reservations
                .iter()
                .filter(|r| r.facility_id == facility.id && r.status.is_live())
                .collect();
            own.sort_by_key(|r| (r.slot.start(), r.id));
            let cells = row_cells(&facility, &own, date, window, viewer, texts);
            Row { facility, cells }
        })
        .collect()
}

fn row_cells(
    facility: &Facility,
    reservations: &[&Reservation],
    date: Date,
    window: Window,
    viewer: StaffId,
    texts: &FacilityTexts,
) -> Vec<Cell> {
    let columns = window.columns();
    // Reservations as column ranges, merged where they share a column.
    let mut groups: Vec<(u16, u16, Vec<Entry>)> = Vec::new();
    for reservation in reservations {
        let (start, end) = minutes_on(reservation, date);
        let start = start.clamp(window.open, window.close);
        let end = end.clamp(window.open, window.close);
        if start >= end {
            continue;
        }
        let first = (start - window.open) / STEP;
        let last = (end - window.open).div_ceil(STEP);
        let entry = entry(reservation, date, viewer, texts);
        match groups.last_mut() {
            Some((_, group_end, entries)) if first < *group_end => {
                *group_end = (*group_end).max(last);
                entries.push(entry);
            }
            _ => groups.push((first, last, vec![entry])),
        }
    }
    let hours = facility.rules.hours;
    let mut cells = Vec::with_capacity(usize::from(columns));
    let mut groups = groups.into_iter().peekable();
    let mut column = 0;
    while column < columns {
        if let Some((first, last, _)) = groups.peek()
            && *first == column
        {
            let (first, last) = (*first, *last);
            if let Some((_, _, entries)) = groups.next() {
                cells.push(Cell::Booked {
                    span: last - first,
                    entries,
                });
            }
            column = last;
            continue;
        }
        let start = window.open + column * STEP;
        let bookable =
            facility.in_service && start >= hours.open() && start + STEP <= hours.close();
        cells.push(if bookable {
            Cell::Free {
                start: clock_label(start),
            }
        } else {
            Cell::Closed
        });
        column += 1;
    }
    cells
}

fn entry(reservation: &Reservation, date: Date, viewer: StaffId, texts: &FacilityTexts) -> Entry {
    let start = reservation.slot.start().to_offset(JST);
    let end = reservation.slot.end().to_offset(JST);
    let from = if start.date() < date {
        "◀".to_owned()
    } else {
        super::model::hhmm(start.time())
    };
    let to = if end.date() > date
        && !(end.time() == time::Time::MIDNIGHT && end.date().previous_day() == Some(date))
    {
        "▶".to_owned()
    } else if end.date() > date {
        "24:00".to_owned()
    } else {
        super::model::hhmm(end.time())
    };
    Entry {
        id: reservation.id,
        time: format!("{from}〜{to}"),
        title: reservation.title_for(viewer, false, texts),
        booker: reservation.booker_name.clone(),
        pending: reservation.status == Status::Pending,
        own: reservation.booker == viewer,
    }
}

/// The link a free cell opens: the booking form for `facility` on `date` from `start`.
pub fn reserve_href(facility: &Facility, date: Date, start: &str) -> String {
    format!(
        "/facilities/{}/reserve?date={}&start={start}",
        facility.id,
        iso_date(date)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facility::model::{BookableHours, CategoryId, FacilityId, Rules, Slot, Visibility};
    use crate::facility::texts::JA;
    use crate::org::model::DepartmentId;
    use time::macros::{date, datetime};

    fn facility(id: i64, hours: BookableHours) -> Facility {
        Facility {
            id: FacilityId(id),
            category_id: CategoryId(1),
            name: format!("第{id}会議室"),
            place: "本庁舎".into(),
            capacity: Some(10),
            department_id: DepartmentId(1),
            display_order: 1,
            rules: Rules {
                hours,
                ..Rules::DEFAULT
            },
            note: String::new(),
            in_service: true,
        }
    }

    fn reservation(
        id: i64,
        facility: i64,
        slot: Slot,
        booker: i64,
        visibility: Visibility,
        status: Status,
    ) -> Reservation {
        Reservation {
            id: ReservationId(id),
            facility_id: FacilityId(facility),
            facility_name: format!("第{facility}会議室"),
            slot,
            booker: StaffId(booker),
            booker_name: "山田 太郎".into(),
            title: "係会議".into(),
            visibility,
            event_id: None,
            status,
            decision_note: String::new(),
        }
    }

    fn slot(start: time::OffsetDateTime, end: time::OffsetDateTime) -> Slot {
        Slot::new(start, end).unwrap()
    }

    fn hours(open: u16, close: u16) -> BookableHours {
        BookableHours::new(open, close).unwrap()
    }

    fn spans(cells: &[Cell]) -> u16 {
        cells
            .iter()
            .map(|c| match c {
                Cell::Booked { span, .. } => *span,
                _ => 1,
            })
            .sum()
    }

    #[test]
    fn the_window_is_eight_to_nine_unless_facilities_or_bookings_say_otherwise() {
        let day = date!(2025 - 11 - 25);
        let plain = [facility(1, hours(540, 1020))];
        assert_eq!(
            Window::for_day(&plain, &[], day),
            Window {
                open: 480,
                close: 1260
            }
        );
        let early = [facility(1, hours(450, 1320))];
        assert_eq!(
            Window::for_day(&early, &[], day),
            Window {
                open: 420,
                close: 1320
            }
        );
        let all_day = [facility(1, BookableHours::ALL_DAY)];
        let late = reservation(
            1,
            1,
            slot(
                datetime!(2025-11-25 22:30 +9),
                datetime!(2025-11-25 23:10 +9),
            ),
            1,
            Visibility::Public,
            Status::Confirmed,
        );
        let window = Window::for_day(&all_day, &[late], day);
        assert_eq!(
            window,
            Window {
                open: 480,
                close: 1440
            }
        );
        assert_eq!(window.columns(), 32);
        assert_eq!(window.hours().first().map(String::as_str), Some("8"));
    }

    #[test]
    fn bookings_span_their_columns_and_free_cells_fill_the_rest() {
        let day = date!(2025 - 11 - 25);
        let window = Window {
            open: 480,
            close: 1260,
        };
        let reservations = [reservation(
            7,
            1,
            slot(
                datetime!(2025-11-25 10:00 +9),
                datetime!(2025-11-25 11:30 +9),
            ),
            2,
            Visibility::Public,
            Status::Confirmed,
        )];
        let rows = rows(
            vec![facility(1, hours(480, 1260))],
            &reservations,
            day,
            window,
            StaffId(1),
            &JA,
        );
        let cells = &rows[0].cells;
        assert_eq!(spans(cells), window.columns());
        assert_eq!(
            cells[0],
            Cell::Free {
                start: "08:00".into()
            }
        );
        let Cell::Booked { span, entries } = &cells[4] else {
            panic!("{:?}", cells[4]);
        };
        assert_eq!(*span, 3);
        assert_eq!(entries[0].time, "10:00〜11:30");
        assert_eq!(entries[0].title, "係会議");
        assert_eq!(
            cells[5],
            Cell::Free {
                start: "11:30".into()
            }
        );
    }

    #[test]
    fn bookings_sharing_a_half_hour_share_a_cell() {
        let day = date!(2025 - 11 - 25);
        let window = Window {
            open: 480,
            close: 1260,
        };
        let reservations = [
            reservation(
                2,
                1,
                slot(
                    datetime!(2025-11-25 10:15 +9),
                    datetime!(2025-11-25 10:45 +9),
                ),
                2,
                Visibility::Public,
                Status::Confirmed,
            ),
            reservation(
                1,
                1,
                slot(
                    datetime!(2025-11-25 10:00 +9),
                    datetime!(2025-11-25 10:15 +9),
                ),
                2,
                Visibility::Private,
                Status::Pending,
            ),
        ];
        let rows = rows(
            vec![facility(1, hours(480, 1260))],
            &reservations,
            day,
            window,
            StaffId(1),
            &JA,
        );
        let cells = &rows[0].cells;
        assert_eq!(spans(cells), window.columns());
        let Cell::Booked { span, entries } = &cells[4] else {
            panic!("{:?}", cells[4]);
        };
        assert_eq!(*span, 2);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].title, "予定あり", "private to others");
        assert!(entries[0].pending);
        assert_eq!(entries[1].time, "10:15〜10:45");
    }

    #[test]
    fn hours_outside_the_rules_are_closed_and_multi_day_bookings_are_marked() {
        let day = date!(2025 - 11 - 25);
        let window = Window {
            open: 480,
            close: 1260,
        };
        let car = facility(1, BookableHours::ALL_DAY);
        let room = facility(2, hours(540, 1020));
        let reservations = [reservation(
            1,
            1,
            slot(
                datetime!(2025-11-24 18:00 +9),
                datetime!(2025-11-26 09:00 +9),
            ),
            1,
            Visibility::Private,
            Status::Confirmed,
        )];
        let rows = rows(vec![car, room], &reservations, day, window, StaffId(1), &JA);
        let Cell::Booked { span, entries } = &rows[0].cells[0] else {
            panic!("{:?}", rows[0].cells);
        };
        assert_eq!(*span, window.columns());
        assert_eq!(entries[0].time, "◀〜▶");
        assert_eq!(
            entries[0].title, "係会議",
            "the booker sees their own title"
        );
        assert!(entries[0].own);
        assert_eq!(rows[1].cells[0], Cell::Closed);
        assert_eq!(rows[1].cells[1], Cell::Closed);
        assert_eq!(
            rows[1].cells[2],
            Cell::Free {
                start: "09:00".into()
            }
        );
        assert_eq!(rows[1].cells[18], Cell::Closed, "17:00 is closing time");
    }

    #[test]
    fn cancelled_bookings_leave_their_cells_free() {
        let day = date!(2025 - 11 - 25);
        let window = Window {
            open: 480,
            close: 1260,
        };
        let reservations = [reservation(
            1,
            1,
            slot(
                datetime!(2025-11-25 08:00 +9),
                datetime!(2025-11-25 09:00 +9),
            ),
            1,
            Visibility::Public,
            Status::Cancelled,
        )];
        let rows = rows(
            vec![facility(1, hours(480, 1260))],
            &reservations,
            day,
            window,
            StaffId(1),
            &JA,
        );
        assert!(rows[0].cells.iter().all(|c| matches!(c, Cell::Free { .. })));
    }

    #[test]
    fn free_cells_link_to_the_form_for_their_half_hour() {
        assert_eq!(
            reserve_href(
                &facility(12, hours(480, 1260)),
                date!(2025 - 11 - 05),
                "10:30"
            ),
            "/facilities/12/reserve?date=2025-11-05&start=10:30"
        );
    }
}
