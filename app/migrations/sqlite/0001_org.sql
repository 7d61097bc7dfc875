-- The organisation: the 局/部/課/係 tree and the staff who sit in it.
-- Keep in step with ../postgres/0001_org.sql.

CREATE TABLE departments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    code          TEXT    NOT NULL UNIQUE,
    parent_id     INTEGER NULL REFERENCES departments (id),
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('kyoku', 'bu', 'ka', 'kakari')),
    display_order INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX departments_parent_id ON departments (parent_id);

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT    NOT NULL UNIQUE,
    employee_no   TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    kana          TEXT    NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    position      TEXT    NOT NULL,
    mail          TEXT    NOT NULL,
    -- 0 = active, 1 = retired (no boolean columns: sqlx::Any decodes integers on both backends).
    retired       INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1))
) STRICT;

CREATE INDEX staff_department_id ON staff (department_id);
