//! Facility reservation (設備予約): conference rooms, vehicles and equipment in categories,
//! each managed by a department with its own rules (approval, who books, how far ahead, how
//! long, which hours); a day grid of a category; booking from the grid or from a schedule
//! event; 仮予約 that the managing department's function administrators approve or reject.
//! Double booking is refused by the database itself on both backends (see `store`). It does
//! not own events: the schedule links its events to reservations through `event_id`.

pub mod form;
pub mod grid;
pub mod model;
pub mod routes;
pub mod seed;
pub mod store;
pub mod texts;
