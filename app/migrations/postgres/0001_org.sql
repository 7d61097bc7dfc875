-- The organisation: the 局/部/課/係 tree and the staff who sit in it.
-- Keep in step with ../sqlite/0001_org.sql.

CREATE TABLE departments (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    parent_id     BIGINT  NULL REFERENCES departments (id),
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('kyoku', 'bu', 'ka', 'kakari')),
    display_order INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX departments_parent_id ON departments (parent_id);

CREATE TABLE staff (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         TEXT    NOT NULL UNIQUE,
    employee_no   TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    kana          TEXT    NOT NULL,
    department_id BIGINT  NOT NULL REFERENCES departments (id),
    position      TEXT    NOT NULL,
    mail          TEXT    NOT NULL,
    -- 0 = active, 1 = retired (no boolean columns: sqlx::Any decodes integers on both backends).
    retired       INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1))
);

CREATE INDEX staff_department_id ON staff (department_id);
