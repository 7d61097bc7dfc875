//! The schedule (スケジュール): personal and department calendars, events with participants
//! from any department, recurring series with exceptions, tentative and private events,
//! Japanese holidays, the free-slot search and a private iCalendar feed per person.
//! Facilities are reserved through the facility module (`rooms.rs`: a series books each
//! occurrence within the facility's advance-booking window, and rolls that on day by day).

pub mod calendar;
pub mod form;
pub mod free_slots;
pub mod holidays;
pub mod ical;
pub mod model;
pub mod recurrence;
pub mod rooms;
pub mod routes;
pub mod saving;
pub mod seed;
pub mod store;
pub mod texts;
