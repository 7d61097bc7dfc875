-- Staff search: the terms that begin a field, on their own, for one-character searches (which
-- match only the start of a name, reading, login or number; see org::store::search_staff).
-- Keep in step with ../postgres/0009_staff_search_starts.sql.

CREATE INDEX staff_search_terms_starts ON staff_search_terms (term) WHERE position = 0;
