//! Seeding: the demo city's facilities with bookings around today, and a city-sized set for
//! the benchmark, written as the generators in `facility::seed` make them.

use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use super::{category_by_name, count_facilities, insert_category, insert_facility};
use crate::facility::model::{FacilityId, FacilityInput, JST, Status};
use crate::facility::seed::SeedReservation;
use crate::org::model::{DepartmentId, Module, StaffId};
use crate::org::store as org_store;

/// Rows per multi-row `INSERT` of seeded reservations: 8 values each, 4,000 binds.
const SEED_BATCH: usize = 500;

/// Writes `rows` as they are, in multi-row inserts inside the caller's transaction. The
/// database still refuses overlaps.
pub async fn insert_seed_reservations(
    conn: &mut AnyConnection,
    rows: &[SeedReservation],
    now: OffsetDateTime,
) -> Result<usize, sqlx::Error> {
    for chunk in rows.chunks(SEED_BATCH) {
        let mut sql = String::from(
            "INSERT INTO facility_reservations (facility_id, starts_at, ends_at, booker_id, \
             title, visibility, status, created_at) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let n = i * 8;
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6,
                n + 7,
                n + 8
            ));
        }
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(row.facility_id)
                .bind(row.slot.start_epoch())
                .bind(row.slot.end_epoch())
                .bind(row.booker)
                .bind(row.title)
                .bind(row.visibility.as_str())
                .bind(row.status.as_str())
                .bind(now.unix_timestamp());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(rows.len())
}

/// What a seeding wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeedCounts {
    /// Categories.
    pub categories: usize,
    /// Facilities.
    pub facilities: usize,
    /// Reservations.
    pub reservations: usize,
}

/// Loads the demo city's facilities (unless any facility exists) with bookings from three
/// days before to two weeks after `now`, some 仮予約 waiting for 総務課's approval, and makes
/// the demo's 山田 (総務課) and 佐藤 (財務課) facility administrators of their departments.
pub async fn load_demo(pool: &AnyPool, now: OffsetDateTime) -> Result<SeedCounts, sqlx::Error> {
    use crate::facility::seed::{Kind, Rng, day_bookings, days, demo_facilities, demo_input};
    use crate::org::model::GrantKind;

    if count_facilities(pool).await? > 0 {
        return Ok(SeedCounts::default());
    }
    let departments = org_store::departments(pool).await?;
    let department = |name: &str| departments.iter().find(|d| d.name == name).map(|d| d.id);
    let teams = org_store::teams(pool).await?;
    let bookers: Vec<StaffId> = teams
        .iter()
        .flat_map(|(_, members)| members.iter().copied())
        .collect();
    let mut counts = SeedCounts::default();
    let mut made: Vec<(FacilityId, Kind, bool)> = Vec::new();
    let mut tx = pool.begin().await?;
    for facility in demo_facilities() {
        let Some(department_id) = department(facility.department) else {
            continue;
        };
        let category = match category_by_name(&mut *tx, facility.category).await? {
            Some(id) => id,
            None => {
                counts.categories += 1;
                insert_category(&mut *tx, facility.category).await?
            }
        };
        let id = insert_facility(&mut *tx, &demo_input(&facility, category, department_id)).await?;
        counts.facilities += 1;
        made.push((id, facility.kind, facility.restricted));
    }
    let today = now.to_offset(JST).date();
    let mut rng = Rng::new(0x5941_4B55);
    let mut rows = Vec::new();
    for (id, kind, restricted) in &made {
        for day in days(
            today - time::Duration::days(3),
            today + time::Duration::days(14),
        ) {
            let mut bookings = day_bookings(*id, *kind, day, 2.5, &bookers, &mut rng);
            // Restricted facilities' bookings of the coming days wait for approval; later
            // ones were approved already.
            if *restricted && day > today && day <= today + time::Duration::days(5) {
                for booking in &mut bookings {
                    booking.status = Status::Pending;
                }
            }
            rows.extend(bookings);
        }
    }
    counts.reservations = insert_seed_reservations(&mut tx, &rows, now).await?;
    tx.commit().await?;
    for login in ["yamada", "sato"] {
        if let Some(person) = org_store::find_staff_by_login(pool, login).await? {
            org_store::grant_function_admin(
                pool,
                person.id,
                Module::Facility,
                &org_store::Grant {
                    kind: GrantKind::Own,
                    departments: Vec::new(),
                },
            )
            .await?;
        }
    }
    Ok(counts)
}

/// Loads the city-sized set of `count` facilities (see
/// [`crate::facility::seed::city_facilities`]), run by the city's 課 in turn, with about
/// `per_day` bookings per facility and working day from `first` to `last`, by staff of the
/// managing department. For `generate-city`.
pub async fn load_city(
    pool: &AnyPool,
    count: usize,
    per_day: f64,
    first: time::Date,
    last: time::Date,
    seed: u64,
    now: OffsetDateTime,
) -> Result<SeedCounts, sqlx::Error> {
    use crate::facility::seed::{
        Rng, city_categories, city_facilities, day_bookings, days, rules_for,
    };
    use crate::org::model::DepartmentKind;

    let departments: Vec<DepartmentId> = org_store::departments(pool)
        .await?
        .into_iter()
        .filter(|d| d.kind == DepartmentKind::Ka)
        .map(|d| d.id)
        .collect();
    if departments.is_empty() {
        return Ok(SeedCounts::default());
    }
    let teams: std::collections::HashMap<DepartmentId, Vec<StaffId>> =
        org_store::teams(pool).await?.into_iter().collect();
    let everyone: Vec<StaffId> = teams.values().flatten().copied().collect();
    let mut counts = SeedCounts::default();
    let mut tx = pool.begin().await?;
    let mut categories = Vec::new();
    for name in city_categories(count) {
        categories.push(insert_category(&mut *tx, &name).await?);
        counts.categories += 1;
    }
    let mut made = Vec::with_capacity(count);
    for (i, facility) in city_facilities(count, seed).into_iter().enumerate() {
        let Some(category) = categories.get(facility.category_index) else {
            continue;
        };
        let department = departments[i % departments.len()];
        let input = FacilityInput {
            category_id: *category,
            name: facility.name,
            place: facility.place,
            capacity: facility.capacity,
            department_id: department,
            rules: rules_for(facility.kind, facility.restricted),
            note: String::new(),
            in_service: true,
        };
        made.push((
            insert_facility(&mut *tx, &input).await?,
            facility.kind,
            department,
        ));
        counts.facilities += 1;
    }
    tx.commit().await?;
    let mut rng = Rng::new(seed ^ 0xB00C);
    let mut rows = Vec::new();
    for (id, kind, department) in made {
        let bookers = teams
            .get(&department)
            .filter(|members| !members.is_empty())
            .unwrap_or(&everyone);
        for day in days(first, last) {
            rows.extend(day_bookings(id, kind, day, per_day, bookers, &mut rng));
        }
        if rows.len() >= 50_000 {
            let mut tx = pool.begin().await?;
            counts.reservations += insert_seed_reservations(&mut tx, &rows, now).await?;
            tx.commit().await?;
            rows.clear();
        }
    }
    let mut tx = pool.begin().await?;
    counts.reservations += insert_seed_reservations(&mut tx, &rows, now).await?;
    tx.commit().await?;
    Ok(counts)
}
