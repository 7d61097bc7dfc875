//! Categories and facilities: listing, the category the grid opens on, creating and changing.

use sqlx::{Any, AnyPool, Executor};
use time::OffsetDateTime;

use crate::facility::model::{
    Approval, BookableHours, Bookers, Category, CategoryId, Facility, FacilityId, FacilityInput,
    Rules,
};
use crate::org::model::DepartmentId;

/// A category with how many facilities in service it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySummary {
    /// The category.
    pub category: Category,
    /// Facilities in service in it.
    pub facilities: i64,
}

/// Every category in display order, with its count of facilities in service.
pub async fn categories(pool: &AnyPool) -> Result<Vec<CategorySummary>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT c.id, c.name, c.display_order, \
                (SELECT COUNT(*) FROM facilities f WHERE f.category_id = c.id AND f.in_service = 1) \
         FROM facility_categories c ORDER BY c.display_order, c.id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, order, facilities)| CategorySummary {
            category: Category {
                id: CategoryId(id),
                name,
                display_order: i32::try_from(order).unwrap_or(i32::MAX),
            },
            facilities,
        })
        .collect())
}

/// How far up the department tree [`home_category`] looks for a managing department; real
/// trees have four levels.
const HOME_DEPTH: i64 = 8;

/// How far back [`home_category`] looks at a department's bookings, in seconds (90 days).
const RECENT_BOOKINGS: i64 = 90 * 24 * 60 * 60;

/// The category the facility grid opens on for someone of `department`: the category of the
/// facilities in service that `department` manages, or failing that the nearest department
/// above it (a 係 under the 課 that keeps the rooms), the category with most of them first;
/// failing that, the category of the booking most recently made by anyone sitting in
/// `department` for a slot from 90 days before `now` on; `None` when neither exists.
pub async fn home_category(
    pool: &AnyPool,
    department: DepartmentId,
    now: OffsetDateTime,
) -> Result<Option<CategoryId>, sqlx::Error> {
    let managed: Option<i64> = sqlx::query_scalar(
        "WITH RECURSIVE up (id, parent_id, depth) AS ( \
             SELECT id, parent_id, 0 FROM departments WHERE id = $1 \
             UNION ALL \
             SELECT d.id, d.parent_id, up.depth + 1 \
             FROM departments d JOIN up ON d.id = up.parent_id WHERE up.depth < $2 \
         ) \
         SELECT f.category_id FROM up \
         JOIN facilities f ON f.department_id = up.id AND f.in_service = 1 \
         GROUP BY f.category_id \
         ORDER BY MIN(up.depth), COUNT(*) DESC, f.category_id LIMIT 1",
    )
    .bind(department)
    .bind(HOME_DEPTH)
    .fetch_optional(pool)
    .await?;
    if let Some(id) = managed {
        return Ok(Some(CategoryId(id)));
    }
    // The booker index (booker_id, starts_at) bounds this to the department's recent
    // bookings; those made lately are for slots from a little before now on.
    let booked: Option<i64> = sqlx::query_scalar(
        "SELECT f.category_id FROM staff s \
         JOIN facility_reservations r ON r.booker_id = s.id AND r.starts_at >= $2 \
         JOIN facilities f ON f.id = r.facility_id AND f.in_service = 1 \
         WHERE s.department_id = $1 \
         ORDER BY r.created_at DESC, r.id DESC LIMIT 1",
    )
    .bind(department)
    .bind(now.unix_timestamp() - RECENT_BOOKINGS)
    .fetch_optional(pool)
    .await?;
    Ok(booked.map(CategoryId))
}

/// Creates a category named `name` at the end of the list.
pub async fn insert_category<'e, E>(db: E, name: &str) -> Result<CategoryId, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO facility_categories (name, display_order) \
         VALUES ($1, (SELECT COALESCE(MAX(display_order), 0) + 1 FROM facility_categories)) \
         RETURNING id",
    )
    .bind(name)
    .fetch_one(db)
    .await
    .map(CategoryId)
}

/// The category named `name`, if there is one.
pub async fn category_by_name<'e, E>(db: E, name: &str) -> Result<Option<CategoryId>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM facility_categories WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await?;
    Ok(id.map(CategoryId))
}

const FACILITY_COLUMNS: &str = "id, category_id, name, place, capacity, department_id, \
     display_order, approval, bookers, advance_days, max_minutes, open_minute, close_minute, \
     note, in_service";

#[derive(sqlx::FromRow)]
struct FacilityRow {
    id: i64,
    category_id: i64,
    name: String,
    place: String,
    capacity: Option<i64>,
    department_id: i64,
    display_order: i64,
    approval: String,
    bookers: String,
    advance_days: i64,
    max_minutes: i64,
    open_minute: i64,
    close_minute: i64,
    note: String,
    in_service: i64,
}

impl From<FacilityRow> for Facility {
    fn from(row: FacilityRow) -> Facility {
        let minute = |m: i64| u16::try_from(m).unwrap_or(0);
        Facility {
            id: FacilityId(row.id),
            category_id: CategoryId(row.category_id),
            name: row.name,
            place: row.place,
            capacity: row.capacity.and_then(|c| u32::try_from(c).ok()),
            department_id: DepartmentId(row.department_id),
            display_order: i32::try_from(row.display_order).unwrap_or(i32::MAX),
            rules: Rules {
                approval: Approval::from_stored(&row.approval),
                bookers: Bookers::from_stored(&row.bookers),
                advance_days: u16::try_from(row.advance_days).unwrap_or(0),
                max_minutes: u32::try_from(row.max_minutes).unwrap_or(0),
                // The table's CHECKs keep the hours valid; the default is the reading of a
                // row that somehow is not.
                hours: BookableHours::new(minute(row.open_minute), minute(row.close_minute))
                    .unwrap_or(Rules::DEFAULT.hours),
            },
            note: row.note,
            in_service: row.in_service == 1,
        }
    }
}

/// The facility `id`, in service or not.
pub async fn facility<'e, E>(db: E, id: FacilityId) -> Result<Option<Facility>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {FACILITY_COLUMNS} FROM facilities WHERE id = $1");
    let row = sqlx::query_as::<_, FacilityRow>(&sql)
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Facility::from))
}

/// The facilities in service in `category`, in display order, `limit` from `offset`.
pub async fn facilities_in(
    pool: &AnyPool,
    category: CategoryId,
    offset: i64,
    limit: i64,
) -> Result<Vec<Facility>, sqlx::Error> {
    let sql = format!(
        "SELECT {FACILITY_COLUMNS} FROM facilities WHERE category_id = $1 AND in_service = 1 \
         ORDER BY display_order, id LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query_as::<_, FacilityRow>(&sql)
        .bind(category)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Facility::from).collect())
}

/// Every facility, in service or not, by category and display order: the administration list,
/// which callers narrow to their scope.
pub async fn all_facilities(pool: &AnyPool) -> Result<Vec<Facility>, sqlx::Error> {
    let sql = format!(
        "SELECT {FACILITY_COLUMNS} FROM facilities ORDER BY category_id, display_order, id"
    );
    let rows = sqlx::query_as::<_, FacilityRow>(&sql)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Facility::from).collect())
}

/// Creates a facility at the end of its category.
pub async fn insert_facility<'e, E>(db: E, input: &FacilityInput) -> Result<FacilityId, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = "INSERT INTO facilities (category_id, name, place, capacity, department_id, \
         display_order, approval, bookers, advance_days, max_minutes, open_minute, close_minute, \
         note, in_service) \
         VALUES ($1, $2, $3, $4, $5, \
                 (SELECT COALESCE(MAX(display_order), 0) + 1 FROM facilities WHERE category_id = $1), \
                 $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";
    let id = bind_facility(sqlx::query_scalar::<_, i64>(sql), input)
        .fetch_one(db)
        .await?;
    Ok(FacilityId(id))
}

/// Replaces everything about facility `id` but its display order; returns whether it exists.
pub async fn update_facility<'e, E>(
    db: E,
    id: FacilityId,
    input: &FacilityInput,
) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = "UPDATE facilities SET category_id = $1, name = $2, place = $3, capacity = $4, \
         department_id = $5, approval = $6, bookers = $7, advance_days = $8, max_minutes = $9, \
         open_minute = $10, close_minute = $11, note = $12, in_service = $13 \
         WHERE id = $14 RETURNING id";
    let found = bind_facility(sqlx::query_scalar::<_, i64>(sql), input)
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(found.is_some())
}

fn bind_facility<'q>(
    query: sqlx::query::QueryScalar<'q, Any, i64, sqlx::any::AnyArguments<'q>>,
    input: &'q FacilityInput,
) -> sqlx::query::QueryScalar<'q, Any, i64, sqlx::any::AnyArguments<'q>> {
    let rules = input.rules;
    query
        .bind(input.category_id)
        .bind(input.name.as_str())
        .bind(input.place.as_str())
        .bind(input.capacity.map(i32::try_from).and_then(Result::ok))
        .bind(input.department_id)
        .bind(rules.approval.as_str())
        .bind(rules.bookers.as_str())
        .bind(i32::from(rules.advance_days))
        .bind(i32::try_from(rules.max_minutes).unwrap_or(i32::MAX))
        .bind(i32::from(rules.hours.open()))
        .bind(i32::from(rules.hours.close()))
        .bind(input.note.as_str())
        .bind(i32::from(input.in_service))
}

/// How many facilities exist, in service or not.
pub async fn count_facilities<'e, E>(db: E) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM facilities")
        .fetch_one(db)
        .await
}
