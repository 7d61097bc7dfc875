//! Whereabouts (所在): a department's status board of who is in (在席), out (外出), in a
//! meeting (会議), working from home (テレワーク), on leave (休暇) or gone home (帰宅), with a
//! comment and a return time. A status set by hand holds for the day it was set; otherwise,
//! or when a schedule event began after it was set, the board shows what the schedule says.
//! It does not keep a history of statuses, and it does not write to the schedule.

pub mod model;
pub mod routes;
pub mod store;
pub mod texts;
