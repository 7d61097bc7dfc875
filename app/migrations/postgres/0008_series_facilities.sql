-- Facilities held by recurring series. Each occurrence is booked through facility reservation
-- (facility_reservations.event_id = the series) once it lies within the facility's
-- advance-booking window; booked_through (Unix seconds, exclusive) is how far the booking has
-- reached, and the app moves it on as the window rolls forward day by day.
-- Keep in step with ../sqlite/0008_series_facilities.sql.

CREATE TABLE schedule_series_facilities (
    event_id       BIGINT NOT NULL REFERENCES schedule_events (id) ON DELETE CASCADE,
    facility_id    BIGINT NOT NULL REFERENCES facilities (id),
    -- Whose booking rights the occurrences are booked with (who linked the facility).
    booked_by      BIGINT NOT NULL REFERENCES staff (id),
    booked_through BIGINT NOT NULL,
    PRIMARY KEY (event_id, facility_id)
);
