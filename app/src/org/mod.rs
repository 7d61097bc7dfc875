//! The organisation: the city hall's department tree (局/部/課/係) and the staff who sit in it.
//! It loads whole cities (the demo, or a synthetic one for benchmarks) and answers who someone
//! is and where they sit. It is not the directory: logins and passwords stay with the gateway.

pub mod import;
pub mod model;
pub mod routes;
pub mod seed;
pub mod store;
pub mod texts;
