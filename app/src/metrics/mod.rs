//! Prometheus metrics of the app on a local port (`metrics_listen`, loopback by default,
//! never through the gateway): requests by status class, requests in flight and the database
//! pool. Counting costs two relaxed atomic operations per request.

pub mod routes;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use sqlx::AnyPool;

const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Counters the request path bumps.
#[derive(Debug)]
pub struct Counters {
    started: Instant,
    by_class: [AtomicU64; 5],
    in_flight: AtomicI64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            started: Instant::now(),
            by_class: Default::default(),
            in_flight: AtomicI64::new(0),
        }
    }
}

impl Counters {
    /// A request has arrived.
    pub fn begin(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// A request has been answered with `status`.
    pub fn end(&self, status: u16) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self, pool: &AnyPool) -> String {
        let mut out = String::with_capacity(1024);
        out.push_str(
            "# HELP yakuba_app_requests_total Requests answered, by status class.\n\
             # TYPE yakuba_app_requests_total counter\n",
        );
        for (class, counter) in CLASSES.iter().zip(&self.by_class) {
            let _ = writeln!(
                out,
                "yakuba_app_requests_total{{class=\"{class}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        let _ = write!(
            out,
            "# HELP yakuba_app_requests_in_flight Requests being answered now.\n\
             # TYPE yakuba_app_requests_in_flight gauge\n\
             yakuba_app_requests_in_flight {}\n\
             # HELP yakuba_app_db_connections Open database connections.\n\
             # TYPE yakuba_app_db_connections gauge\n\
             yakuba_app_db_connections {}\n\
             # HELP yakuba_app_db_connections_idle Idle database connections (the rest are busy; requests queue when none is idle).\n\
             # TYPE yakuba_app_db_connections_idle gauge\n\
             yakuba_app_db_connections_idle {}\n\
             # HELP yakuba_app_uptime_seconds Seconds since this process started.\n\
             # TYPE yakuba_app_uptime_seconds gauge\n\
             yakuba_app_uptime_seconds {}\n",
            self.in_flight.load(Ordering::Relaxed),
            pool.size(),
            pool.num_idle(),
            self.started.elapsed().as_secs()
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_class_and_in_flight() {
        let counters = Counters::default();
        counters.begin();
        counters.begin();
        counters.end(200);
        counters.end(503);
        counters.begin();
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        assert_eq!(load(&counters.by_class[1]), 1);
        assert_eq!(load(&counters.by_class[4]), 1);
        assert_eq!(load(&counters.by_class[0]), 0);
        assert_eq!(counters.in_flight.load(Ordering::Relaxed), 1);
    }
}
