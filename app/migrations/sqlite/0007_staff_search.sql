-- Staff search (org::store::search_staff). Keep in step with ../postgres/0007_staff_search.sql.
--
-- Each member of staff's name, reading, login and personnel number, folded by the app (width,
-- case, katakana to hiragana, spaces dropped: org/store/search/fold.rs) and cut into every
-- suffix, so that a match anywhere in a field is a range scan of this table's key. The
-- folding is Rust, not SQL, so the database only marks whose terms are out of date: the
-- triggers below queue a member of staff in staff_search_stale whenever those fields are
-- written, by whatever writes them (HR import, directory sync, the demo, generate-city), and
-- the search brings the queued terms up to date before it reads.

CREATE TABLE staff_search_terms (
    term     TEXT    NOT NULL,
    staff_id INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    -- 0 when the term is a field's beginning: those matches are listed first.
    position INTEGER NOT NULL,
    PRIMARY KEY (term, staff_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX staff_search_terms_staff ON staff_search_terms (staff_id);

CREATE TABLE staff_search_stale (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id INTEGER NOT NULL
) STRICT;

CREATE TRIGGER staff_search_stale_after_insert AFTER INSERT ON staff
BEGIN
    INSERT INTO staff_search_stale (staff_id) VALUES (NEW.id);
END;

CREATE TRIGGER staff_search_stale_after_update
AFTER UPDATE OF login, employee_no, name, kana ON staff
WHEN OLD.login IS NOT NEW.login OR OLD.employee_no IS NOT NEW.employee_no
  OR OLD.name IS NOT NEW.name OR OLD.kana IS NOT NEW.kana
BEGIN
    INSERT INTO staff_search_stale (staff_id) VALUES (NEW.id);
END;

INSERT INTO staff_search_stale (staff_id) SELECT id FROM staff ORDER BY id;
