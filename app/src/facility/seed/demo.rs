//! The demo city's facilities: rooms, cars and equipment, each with the demo department that
//! runs it, and the input that creates one.

use super::{Kind, rules_for};
use crate::facility::model::{CategoryId, FacilityInput};
use crate::org::model::DepartmentId;

/// A demo facility: what it is and which department (by the demo's department names) runs it.
#[derive(Debug, Clone)]
pub struct DemoFacility {
    /// Its category's name.
    pub category: &'static str,
    /// The managing department's name in the demo city.
    pub department: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// Name.
    pub name: &'static str,
    /// Place.
    pub place: &'static str,
    /// Capacity.
    pub capacity: Option<u32>,
    /// Needs approval.
    pub restricted: bool,
    /// Notes.
    pub note: &'static str,
}

#[expect(clippy::too_many_arguments, reason = "one row of the demo table")]
const fn demo(
    category: &'static str,
    department: &'static str,
    kind: Kind,
    name: &'static str,
    place: &'static str,
    capacity: Option<u32>,
    restricted: bool,
    note: &'static str,
) -> DemoFacility {
    DemoFacility {
        category,
        department,
        kind,
        name,
        place,
        capacity,
        restricted,
        note,
    }
}

const ROOMS: &str = "本庁舎 会議室";
const CARS: &str = "公用車";
const EQUIPMENT: &str = "備品";

/// The demo city's facilities: rooms run by 総務課 (the large hall and the special room need
/// approval), cars run by 財務課 (the bus needs approval), equipment run by 情報化推進課.
pub fn demo_facilities() -> Vec<DemoFacility> {
    vec![
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "大会議室",
            "本庁舎 8階",
            Some(80),
            true,
            "マイク・プロジェクター常設。利用は総務課の承認後に確定します。",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "第1会議室",
            "本庁舎 3階",
            Some(12),
            false,
            "",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "第2会議室",
            "本庁舎 3階",
            Some(12),
            false,
            "",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "第3会議室",
            "本庁舎 4階",
            Some(20),
            false,
            "ホワイトボード2台",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "第4会議室",
            "本庁舎 4階",
            Some(8),
            false,
            "",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "特別会議室",
            "本庁舎 8階",
            Some(30),
            true,
            "幹部会議用。",
        ),
        demo(
            ROOMS,
            "総務課",
            Kind::Room,
            "応接室",
            "本庁舎 2階",
            Some(6),
            false,
            "",
        ),
        demo(
            CARS,
            "財務課",
            Kind::Vehicle,
            "公用車1号（プリウス）",
            "本庁舎 地下駐車場 A-1",
            Some(5),
            false,
            "鍵は財務課で受け取ってください。",
        ),
        demo(
            CARS,
            "財務課",
            Kind::Vehicle,
            "公用車2号（プリウス）",
            "本庁舎 地下駐車場 A-2",
            Some(5),
            false,
            "鍵は財務課で受け取ってください。",
        ),
        demo(
            CARS,
            "財務課",
            Kind::Vehicle,
            "公用車3号（軽自動車）",
            "本庁舎 地下駐車場 A-3",
            Some(4),
            false,
            "",
        ),
        demo(
            CARS,
            "財務課",
            Kind::Vehicle,
            "マイクロバス",
            "本庁舎 地下駐車場 B-1",
            Some(25),
            true,
            "運転手の手配が必要です。",
        ),
        demo(
            EQUIPMENT,
            "情報化推進課",
            Kind::Equipment,
            "プロジェクター1",
            "情報化推進課",
            None,
            false,
            "",
        ),
        demo(
            EQUIPMENT,
            "情報化推進課",
            Kind::Equipment,
            "プロジェクター2",
            "情報化推進課",
            None,
            false,
            "",
        ),
        demo(
            EQUIPMENT,
            "情報化推進課",
            Kind::Equipment,
            "貸出用ノートPC（5台セット）",
            "情報化推進課",
            None,
            false,
            "LGWAN接続不可。",
        ),
        demo(
            EQUIPMENT,
            "情報化推進課",
            Kind::Equipment,
            "ポータブルスピーカー",
            "情報化推進課",
            None,
            false,
            "",
        ),
    ]
}

/// The input for a demo facility in `category`, run by `department`.
pub fn demo_input(
    facility: &DemoFacility,
    category: CategoryId,
    department: DepartmentId,
) -> FacilityInput {
    FacilityInput {
        category_id: category,
        name: facility.name.to_owned(),
        place: facility.place.to_owned(),
        capacity: facility.capacity,
        department_id: department,
        rules: rules_for(facility.kind, facility.restricted),
        note: facility.note.to_owned(),
        in_service: true,
    }
}
