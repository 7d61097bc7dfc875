//! The schedule (スケジュール): personal and department calendars, events with participants
//! from any department, recurring series with exceptions, tentative and private events,
//! Japanese holidays, the free-slot search and a private iCalendar feed per person.
//! Facilities are reserved through the facility module; this module only links them.

pub mod calendar;
pub mod form;
pub mod free_slots;
pub mod holidays;
pub mod ical;
pub mod model;
pub mod recurrence;
pub mod routes;
pub mod seed;
pub mod store;
pub mod texts;
