-- Organisation administration: concurrent posts (兼務), roles, function administrators
-- (機能管理者) per module with their scope, and a record of every bulk change (HR import,
-- directory sync). Keep in step with ../sqlite/0002_org_admin.sql.

-- The personnel number identifies a person across HR imports, even when their login changes.
CREATE UNIQUE INDEX staff_employee_no ON staff (employee_no);

-- 兼務: further departments someone works in besides their primary one.
CREATE TABLE staff_posts (
    staff_id      BIGINT  NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    department_id BIGINT  NOT NULL REFERENCES departments (id),
    position      TEXT    NOT NULL,
    PRIMARY KEY (staff_id, department_id)
);

CREATE INDEX staff_posts_department_id ON staff_posts (department_id);

CREATE TABLE staff_roles (
    staff_id BIGINT  NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    role     TEXT    NOT NULL CHECK (role IN ('system_admin')),
    PRIMARY KEY (staff_id, role)
);

-- One grant per person and module: own department, selected departments, or all.
CREATE TABLE function_admins (
    staff_id BIGINT  NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    module   TEXT    NOT NULL
        CHECK (module IN ('schedule', 'facility', 'whereabouts', 'board', 'workflow', 'chat')),
    scope    TEXT    NOT NULL CHECK (scope IN ('own', 'selected', 'all')),
    PRIMARY KEY (staff_id, module)
);

CREATE TABLE function_admin_departments (
    staff_id      BIGINT  NOT NULL,
    module        TEXT    NOT NULL,
    department_id BIGINT  NOT NULL REFERENCES departments (id),
    PRIMARY KEY (staff_id, module, department_id),
    FOREIGN KEY (staff_id, module) REFERENCES function_admins (staff_id, module) ON DELETE CASCADE
);

-- Bulk changes to the organisation, newest last: who applied what, from where, when.
CREATE TABLE org_changes (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    applied_at BIGINT  NOT NULL,
    actor      TEXT    NOT NULL,
    source     TEXT    NOT NULL CHECK (source IN ('hr_csv', 'directory', 'admin')),
    added      BIGINT  NOT NULL,
    changed    BIGINT  NOT NULL,
    retired    BIGINT  NOT NULL,
    summary    TEXT    NOT NULL
);
