//! Facility seed data (in progress).
