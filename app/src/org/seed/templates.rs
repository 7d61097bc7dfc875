//! Static department templates: the demo city hall as an indented tree, and the pools of
//! 局, 部, 課 and 係 the synthetic city draws from.

/// A node of a static department template: its name and the units usually found under it.
pub(super) struct Unit {
    pub(super) name: &'static str,
    pub(super) children: &'static [Unit],
}

/// Builds a [`Unit`] literal; keeps the templates below readable as an indented tree.
macro_rules! unit {
    ($name:literal) => {
        Unit { name: $name, children: &[] }
    };
    ($name:literal, [$($child:expr),* $(,)?]) => {
        Unit { name: $name, children: &[$($child),*] }
    };
}

/// The demo city hall. Names are unique across the tree so a flat department picker is
/// unambiguous; 区役所 are left out (the synthetic city adds them).
// Kept as an indented tree by hand; rustfmt would explode it into one call per line.
#[rustfmt::skip]
pub(super) static DEMO_TREE: &[Unit] = &[
    unit!("総務局", [
        unit!("総務部", [
            unit!("総務課", [unit!("庶務係"), unit!("文書法制係")]),
            unit!("人事課", [unit!("人事係"), unit!("給与厚生係")]),
        ]),
        unit!("行政経営部", [
            unit!("行政経営課"),
            unit!("広報課", [unit!("広報係"), unit!("広聴係")]),
        ]),
        unit!("情報化戦略部", [
            unit!("情報化推進課", [unit!("システム企画係"), unit!("基盤運用係")]),
            unit!("情報セキュリティ課"),
        ]),
    ]),
    unit!("財政局", [
        unit!("財務部", [
            unit!("財務課", [unit!("予算係"), unit!("財産管理係")]),
            unit!("契約課"),
        ]),
        unit!("税務部", [unit!("税務課"), unit!("市民税課"), unit!("資産税課")]),
    ]),
    unit!("市民局", [
        unit!("市民生活部", [
            unit!("市民課", [unit!("住民記録係"), unit!("戸籍係")]),
            unit!("地域協働課"),
            unit!("消費生活課"),
        ]),
        unit!("文化スポーツ部", [unit!("文化振興課"), unit!("スポーツ振興課")]),
    ]),
    unit!("福祉局", [
        unit!("福祉部", [
            unit!("福祉政策課"),
            unit!("障害福祉課", [unit!("障害者支援係"), unit!("障害給付係")]),
            unit!("高齢福祉課", [unit!("高齢者支援係"), unit!("介護保険係")]),
        ]),
        unit!("保険年金部", [
            unit!("国保年金課", [unit!("国民健康保険係"), unit!("国民年金係")]),
        ]),
    ]),
    unit!("こども家庭局", [
        unit!("こども未来部", [
            unit!("こども企画課"),
            unit!("保育課", [unit!("保育所係"), unit!("入所支援係")]),
            unit!("こども家庭支援課"),
        ]),
    ]),
    unit!("環境局", [
        unit!("環境保全部", [unit!("環境政策課"), unit!("環境保全課")]),
        unit!("資源循環部", [
            unit!("資源循環課", [unit!("ごみ減量係"), unit!("収集運搬係")]),
            unit!("環境施設課"),
        ]),
    ]),
    unit!("経済観光局", [
        unit!("経済部", [unit!("経済政策課"), unit!("商業振興課"), unit!("農政課")]),
        unit!("観光部", [unit!("観光企画課"), unit!("観光振興課")]),
    ]),
    unit!("建設局", [
        unit!("道路部", [unit!("道路計画課"), unit!("道路管理課"), unit!("道路工事課")]),
        unit!("下水道部", [unit!("下水道計画課"), unit!("下水道施設課")]),
    ]),
    unit!("都市局", [
        unit!("都市計画部", [unit!("都市計画課"), unit!("都市整備課")]),
        unit!("住宅部", [unit!("住宅政策課"), unit!("市営住宅課"), unit!("建築指導課")]),
    ]),
    unit!("水道局", [
        unit!("経営管理部", [
            unit!("経営企画課"),
            unit!("営業課", [unit!("料金係"), unit!("給水係")]),
        ]),
        unit!("技術部", [unit!("配水課"), unit!("浄水課")]),
    ]),
    unit!("消防局", [
        unit!("警防部", [unit!("警防課"), unit!("救急課"), unit!("指令課")]),
        unit!("予防部", [unit!("予防課")]),
    ]),
    unit!("教育委員会事務局", [
        unit!("教育総務部", [unit!("教育企画課"), unit!("教職員課")]),
        unit!("学校教育部", [unit!("学校教育課"), unit!("学校保健課"), unit!("特別支援教育課")]),
        unit!("生涯学習部", [unit!("生涯学習課"), unit!("図書館課")]),
    ]),
];

/// Further 局-level offices a designated city has, used once the demo 局 are spent.
// Kept as an indented tree by hand; rustfmt would explode it into one call per line.
#[rustfmt::skip]
pub(super) static EXTRA_KYOKU: &[Unit] = &[
    unit!("危機管理局", [
        unit!("危機管理部", [
            unit!("危機管理課", [unit!("危機対策係"), unit!("防災企画係")]),
            unit!("防災推進課"),
        ]),
    ]),
    unit!("健康局", [
        unit!("健康部", [unit!("健康企画課"), unit!("感染症対策課"), unit!("食品衛生課")]),
    ]),
    unit!("港湾局", [
        unit!("港湾部", [unit!("港湾振興課"), unit!("港湾整備課")]),
        unit!("空港部", [unit!("空港事業課")]),
    ]),
    unit!("交通局", [
        unit!("自動車部", [unit!("運輸課"), unit!("車両課")]),
        unit!("高速鉄道部", [unit!("運転課"), unit!("電気施設課")]),
    ]),
    unit!("議会事務局", [unit!("議事調査部", [unit!("議事課"), unit!("政策調査課")])]),
    unit!("選挙管理委員会事務局", [unit!("選挙部", [unit!("選挙課")])]),
    unit!("監査事務局", [unit!("監査部", [unit!("監査第一課"), unit!("監査第二課")])]),
    unit!("人事委員会事務局", [unit!("任用調査部", [unit!("任用課"), unit!("調査課")])]),
];

/// The shape of every 区役所; its own name comes from [`WARDS`].
// Kept as an indented tree by hand; rustfmt would explode it into one call per line.
#[rustfmt::skip]
pub(super) static WARD_OFFICE: Unit = unit!("区役所", [
    unit!("区民部", [
        unit!("まちづくり課"),
        unit!("市民課", [unit!("住民記録係"), unit!("戸籍係")]),
        unit!("保険年金医療課"),
    ]),
    unit!("保健福祉部", [
        unit!("保健福祉課", [unit!("福祉係"), unit!("介護保険係")]),
        unit!("こども家庭支援課"),
        unit!("健康推進課"),
    ]),
]);

/// The wards of the fictional やくば市.
pub(super) static WARDS: [&str; 9] = [
    "中央区",
    "北区",
    "南区",
    "東区",
    "西区",
    "港区",
    "山手区",
    "緑区",
    "湾岸区",
];

/// Suffixes for a repeated name outside a ward: an area of the city, then ordinals.
pub(super) static AREAS: [&str; 5] = ["北部", "南部", "東部", "西部", "中部"];

pub(super) static EXTRA_BU: &[Unit] = &[
    unit!("企画調整部"),
    unit!("管理部"),
    unit!("事業推進部"),
    unit!("施設管理部"),
    unit!("地域振興部"),
    unit!("計画部"),
    unit!("整備部"),
    unit!("監理部"),
    unit!("政策部"),
    unit!("事業部"),
];

pub(super) static EXTRA_KA: &[Unit] = &[
    unit!("企画調整課"),
    unit!("施設管理課"),
    unit!("事業推進課"),
    unit!("地域振興課"),
    unit!("管理課"),
    unit!("調整課"),
    unit!("監理課"),
    unit!("経理課"),
    unit!("用地課"),
    unit!("公園緑地課"),
    unit!("河川課"),
    unit!("建築課"),
    unit!("営繕課"),
    unit!("市民相談課"),
    unit!("男女共同参画課"),
    unit!("国際交流課"),
    unit!("統計課"),
    unit!("文書課"),
    unit!("福利課"),
    unit!("生活衛生課"),
    unit!("動物管理課"),
    unit!("農林水産課"),
    unit!("雇用労働課"),
    unit!("企業立地課"),
    unit!("交通政策課"),
    unit!("自転車対策課"),
    unit!("空き家対策課"),
    unit!("開発指導課"),
    unit!("景観課"),
    unit!("保護課"),
];

pub(super) static EXTRA_KAKARI: &[Unit] = &[
    unit!("庶務係"),
    unit!("企画係"),
    unit!("管理係"),
    unit!("調整係"),
    unit!("経理係"),
    unit!("計画係"),
    unit!("審査係"),
    unit!("指導係"),
    unit!("相談係"),
    unit!("業務係"),
    unit!("事業係"),
    unit!("施設係"),
    unit!("設計係"),
    unit!("工事係"),
    unit!("維持係"),
    unit!("用地係"),
    unit!("調査係"),
    unit!("統計係"),
    unit!("監理係"),
    unit!("給付係"),
    unit!("認定係"),
    unit!("保険料係"),
    unit!("徴収係"),
    unit!("管財係"),
    unit!("契約係"),
    unit!("検査係"),
    unit!("研修係"),
    unit!("福利係"),
    unit!("地域係"),
    unit!("推進係"),
    unit!("支援係"),
    unit!("啓発係"),
    unit!("登録係"),
    unit!("許可係"),
    unit!("運用係"),
    unit!("整備係"),
    unit!("保全係"),
    unit!("予防係"),
];

/// Stands in for a pool pick that cannot miss; the pools are static and non-empty.
pub(super) static FALLBACK_UNIT: Unit = unit!("総務担当");
