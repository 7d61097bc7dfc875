-- Facility reservation (設備予約): categories, facilities with their rules, and reservations.
-- Keep in step with ../sqlite/0004_facility.sql.
--
-- Times are seconds since the Unix epoch, UTC. Every reservation spans at most 14 days
-- (1,209,600 s); the day grid relies on that bound to read only the reservations that start
-- in the fortnight before the day.

-- `facility_id WITH =` in a GiST exclusion constraint needs btree_gist. It is a trusted
-- extension (PostgreSQL 13+), so the database owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE facility_categories (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    display_order INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE facilities (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id   BIGINT  NOT NULL REFERENCES facility_categories (id),
    name          TEXT    NOT NULL,
    place         TEXT    NOT NULL DEFAULT '',
    -- People it holds; NULL for equipment and vehicles where it means nothing.
    capacity      INTEGER NULL CHECK (capacity IS NULL OR capacity > 0),
    -- The managing department: its facility function administrators approve and set rules.
    department_id BIGINT  NOT NULL REFERENCES departments (id),
    display_order INTEGER NOT NULL DEFAULT 0,
    approval      TEXT    NOT NULL DEFAULT 'none' CHECK (approval IN ('none', 'required')),
    bookers       TEXT    NOT NULL DEFAULT 'everyone'
        CHECK (bookers IN ('everyone', 'department', 'administrators')),
    advance_days  INTEGER NOT NULL DEFAULT 90 CHECK (advance_days BETWEEN 1 AND 730),
    max_minutes   INTEGER NOT NULL DEFAULT 480 CHECK (max_minutes BETWEEN 15 AND 20160),
    -- Bookable hours in minutes after midnight, Japan time; 0-1440 is the whole day.
    open_minute   INTEGER NOT NULL DEFAULT 480 CHECK (open_minute BETWEEN 0 AND 1425),
    close_minute  INTEGER NOT NULL DEFAULT 1260 CHECK (close_minute BETWEEN 15 AND 1440),
    note          TEXT    NOT NULL DEFAULT '',
    -- 1 = can be booked, 0 = withdrawn (kept so old reservations still name it).
    in_service    INTEGER NOT NULL DEFAULT 1 CHECK (in_service IN (0, 1)),
    CHECK (open_minute < close_minute)
);

CREATE INDEX facilities_category ON facilities (category_id, display_order);
CREATE INDEX facilities_department ON facilities (department_id);

CREATE TABLE facility_reservations (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    facility_id     BIGINT  NOT NULL REFERENCES facilities (id),
    starts_at       BIGINT  NOT NULL,
    ends_at         BIGINT  NOT NULL,
    booker_id       BIGINT  NOT NULL REFERENCES staff (id),
    title           TEXT    NOT NULL,
    visibility      TEXT    NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
    -- The schedule event this booking belongs to, if any. No foreign key: events live in the
    -- schedule's tables, which update this column when an event moves or goes.
    event_id        BIGINT  NULL,
    -- pending = 仮予約 waiting for the managing department's administrator.
    status          TEXT    NOT NULL
        CHECK (status IN ('confirmed', 'pending', 'rejected', 'cancelled')),
    decided_by      BIGINT  NULL REFERENCES staff (id),
    decided_at      BIGINT  NULL,
    decision_note   TEXT    NOT NULL DEFAULT '',
    -- 1 while the booker has not yet seen an approval or rejection.
    decision_unseen INTEGER NOT NULL DEFAULT 0 CHECK (decision_unseen IN (0, 1)),
    created_at      BIGINT  NOT NULL,
    CHECK (ends_at > starts_at AND ends_at - starts_at <= 1209600),
    -- No double booking: two live (confirmed or pending) reservations of one facility never
    -- overlap. Half-open ranges, so 10:00-11:00 and 11:00-12:00 both fit. A concurrent insert
    -- of an overlapping range waits for the first transaction and fails if it commits.
    CONSTRAINT facility_reservations_no_overlap EXCLUDE USING gist (
        facility_id WITH =,
        int8range(starts_at, ends_at) WITH &&
    ) WHERE (status IN ('confirmed', 'pending'))
);

CREATE INDEX facility_reservations_slot ON facility_reservations (facility_id, starts_at);
CREATE INDEX facility_reservations_booker ON facility_reservations (booker_id, starts_at);
CREATE INDEX facility_reservations_event ON facility_reservations (event_id)
    WHERE event_id IS NOT NULL;
CREATE INDEX facility_reservations_pending ON facility_reservations (facility_id)
    WHERE status = 'pending';
CREATE INDEX facility_reservations_unseen ON facility_reservations (booker_id)
    WHERE decision_unseen = 1;
