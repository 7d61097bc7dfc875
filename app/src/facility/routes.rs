//! Facility pages (in progress).
