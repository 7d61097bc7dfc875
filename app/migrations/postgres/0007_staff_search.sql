-- Staff search (org::store::search_staff). Keep in step with ../sqlite/0007_staff_search.sql,
-- which says how the terms are made and kept up to date.

-- COLLATE "C": terms compare by code point, as on SQLite, so that a prefix is one index range
-- whatever the database's locale.
CREATE TABLE staff_search_terms (
    term     TEXT   COLLATE "C" NOT NULL,
    staff_id BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    PRIMARY KEY (term, staff_id)
);

CREATE INDEX staff_search_terms_staff ON staff_search_terms (staff_id);

CREATE TABLE staff_search_stale (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id BIGINT NOT NULL
);

CREATE FUNCTION staff_search_mark_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO staff_search_stale (staff_id) VALUES (NEW.id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER staff_search_stale_after_insert AFTER INSERT ON staff
FOR EACH ROW EXECUTE FUNCTION staff_search_mark_stale();

CREATE TRIGGER staff_search_stale_after_update
AFTER UPDATE OF login, employee_no, name, kana ON staff
FOR EACH ROW
WHEN (OLD.login IS DISTINCT FROM NEW.login OR OLD.employee_no IS DISTINCT FROM NEW.employee_no
   OR OLD.name IS DISTINCT FROM NEW.name OR OLD.kana IS DISTINCT FROM NEW.kana)
EXECUTE FUNCTION staff_search_mark_stale();

INSERT INTO staff_search_stale (staff_id) SELECT id FROM staff ORDER BY id;
