-- Abolished departments (廃止): kept, so that history (retired staff, old grants and
-- bookings) still names them, but no longer offered for anything new. NULL while current.
-- Keep in step with ../postgres/0006_department_changes.sql.

ALTER TABLE departments ADD COLUMN abolished_at INTEGER NULL;
