//! The iCalendar (RFC 5545) feed of one person's schedule, built with the `icalendar`
//! crate: one VEVENT per event or series (with RRULE and EXDATE), and changed occurrences as
//! VEVENTs with the series' UID and a RECURRENCE-ID, so calendar clients merge them.

use icalendar::{Calendar, Class, Component, EventLike, EventStatus};
use time::{Duration, OffsetDateTime};

use super::model::{Certainty, Event, JST, Visibility, local};
use super::recurrence::RecurrenceEnd;

/// The UID of an event or series: stable, and unique to this appliance's host.
pub fn uid(id: super::model::EventId, host: &str) -> String {
    format!("event-{id}@{host}")
}

/// The feed of `events` (each with its removed occurrences) called `name`, as text.
///
/// Private events are the owner's own (the feed is personal), so they keep their details but
/// carry `CLASS:PRIVATE`, which clients honour when the calendar is shared further.
pub fn feed(name: &str, host: &str, events: &[(Event, Vec<OffsetDateTime>)]) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name);
    calendar.append_property(("X-WR-TIMEZONE", "Asia/Tokyo"));
    for (event, exdates) in events {
        let mut vevent = icalendar::Event::new();
        let series_uid = match event.detached {
            Some(d) => uid(d.series, host),
            None => uid(event.id, host),
        };
        vevent.uid(&series_uid).summary(&event.title);
        if !event.place.is_empty() {
            vevent.location(&event.place);
        }
        if !event.memo.is_empty() {
            vevent.description(&event.memo);
        }
        if event.all_day {
            vevent.starts(local(event.span.start()).date());
            vevent.ends(local(event.span.end()).date());
        } else {
            vevent.starts(event.span.start());
            vevent.ends(event.span.end());
        }
        vevent.status(match event.certainty {
            Certainty::Tentative => EventStatus::Tentative,
            Certainty::Confirmed => EventStatus::Confirmed,
        });
        vevent.class(match event.visibility {
            Visibility::Private => Class::Private,
            Visibility::Public => Class::Public,
        });
        if let Some(rule) = &event.rule {
            vevent.add_property("RRULE", rrule_for_feed(event, rule));
            for exdate in exdates {
                let value = if event.all_day {
                    compact_date(local(*exdate).date())
                } else {
                    utc_stamp(*exdate)
                };
                let mut property = icalendar::Property::new("EXDATE", &value);
                if event.all_day {
                    property.add_parameter("VALUE", "DATE");
                }
                vevent.append_multi_property(property);
            }
        }
        if let Some(d) = event.detached {
            let mut property = if event.all_day {
                let mut p = icalendar::Property::new(
                    "RECURRENCE-ID",
                    compact_date(local(d.original_start).date()),
                );
                p.add_parameter("VALUE", "DATE");
                p
            } else {
                icalendar::Property::new("RECURRENCE-ID", utc_stamp(d.original_start))
            };
            vevent.append_property(property.done());
        }
        calendar.push(vevent.done());
    }
    calendar.done().to_string()
}

/// The rule as the feed writes it: `UNTIL` must be a UTC time when the series starts at a
/// UTC time (RFC 5545 §3.3.10), so a timed series' last local day becomes its last instant.
fn rrule_for_feed(event: &Event, rule: &super::recurrence::Rule) -> String {
    let start = local(event.span.start()).date();
    let text = rule.to_rrule(start);
    match rule.end {
        RecurrenceEnd::Until(date) if !event.all_day => {
            let last = date
                .next_day()
                .map(|next| next.midnight().assume_offset(JST) - Duration::seconds(1));
            match last {
                Some(last) => text.replace(
                    &format!("UNTIL={}", compact_date(date)),
                    &format!("UNTIL={}", utc_stamp(last)),
                ),
                None => text,
            }
        }
        _ => text,
    }
}

fn compact_date(date: time::Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn utc_stamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{}T{:02}{:02}{:02}Z",
        compact_date(at.date()),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::model::StaffId;
    use crate::schedule::model::{Detached, EventId, TimeRange};
    use crate::schedule::recurrence::Rule;
    use icalendar::{CalendarComponent, DatePerhapsTime};
    use time::macros::datetime;

    fn event(id: i64, rule: Option<&str>) -> Event {
        Event {
            id: EventId(id),
            title: "課内会議; 予算".into(),
            place: "第1会議室".into(),
            memo: "資料は前日までに共有".into(),
            span: TimeRange::new(
                datetime!(2025-12-02 10:00 +9),
                datetime!(2025-12-02 11:00 +9),
            )
            .unwrap(),
            all_day: false,
            certainty: Certainty::Confirmed,
            visibility: Visibility::Public,
            rule: rule.map(|r| Rule::parse_rrule(r).unwrap()),
            detached: None,
            created_by: StaffId(1),
            participants: vec![StaffId(1)],
        }
    }

    #[test]
    fn the_feed_parses_back_with_series_exceptions_and_changed_occurrences() {
        let series = event(1, Some("FREQ=WEEKLY;UNTIL=20260331"));
        let moved = Event {
            id: EventId(2),
            span: TimeRange::new(
                datetime!(2025-12-09 14:00 +9),
                datetime!(2025-12-09 15:00 +9),
            )
            .unwrap(),
            detached: Some(Detached {
                series: EventId(1),
                original_start: datetime!(2025-12-09 10:00 +9),
            }),
            ..event(2, None)
        };
        let all_day = Event {
            id: EventId(3),
            all_day: true,
            certainty: Certainty::Tentative,
            visibility: Visibility::Private,
            span: TimeRange::local_days(
                time::macros::date!(2025 - 12 - 24),
                time::macros::date!(2025 - 12 - 25),
            )
            .unwrap(),
            ..event(3, None)
        };
        let text = feed(
            "山田 太郎",
            "yakuba.example",
            &[
                (series, vec![datetime!(2025-12-16 10:00 +9)]),
                (moved, vec![]),
                (all_day, vec![]),
            ],
        );
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(
            text.contains("RRULE:FREQ=WEEKLY;UNTIL=20260331T145959Z"),
            "{text}"
        );
        assert!(text.contains("EXDATE:20251216T010000Z"), "{text}");
        assert!(text.contains("RECURRENCE-ID:20251209T010000Z"), "{text}");
        let parsed: Calendar = text.parse().unwrap();
        let events: Vec<&icalendar::Event> = parsed
            .components
            .iter()
            .filter_map(|c| match c {
                CalendarComponent::Event(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].get_summary(), Some("課内会議; 予算"));
        assert_eq!(events[0].get_uid(), Some("event-1@yakuba.example"));
        assert_eq!(events[1].get_uid(), Some("event-1@yakuba.example"));
        assert_eq!(events[2].get_status(), Some(EventStatus::Tentative));
        assert!(matches!(
            events[2].get_start(),
            Some(DatePerhapsTime::Date(_))
        ));
        assert!(matches!(
            events[0].get_start(),
            Some(DatePerhapsTime::DateTime(_))
        ));
    }
}
