"""Access: roles, masking of personal data, and area scope enforced by the query layer."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from literal_cases import ALL, AS_OF, build_db

from govdash import access, queries, queries_map, queries_trend
from govdash.access import Principal
from govdash.db import Database
from govdash.filters import Filters, Scope

LUJIAZUI, ZHANGJIANG = "310115005", "310115125"


# --- roles ---


@pytest.mark.parametrize(
    "role, rights",
    [
        ("viewer", set()),
        ("analyst", {"cases", "export", "personal_data"}),
        ("admin", {"cases", "export", "personal_data", "import"}),
    ],
)
def test_rights_of_each_role(role, rights):
    p = Principal("u", role)
    assert {r for r in ("cases", "export", "personal_data", "import") if p.can(r)} == rights


def test_unknown_role_is_refused():
    with pytest.raises(ValueError, match="role"):
        Principal("u", "root")


def test_scope_of_an_account():
    assert Principal("u", "viewer").scope is None  # no towns: all of them
    assert Principal("u", "viewer", ("T1", "T2")).scope == Scope(towns=("T1", "T2"))
    assert Principal("u", "viewer", communities=("1",)).scope == Scope(communities=("1",))
    assert Principal("u", "viewer", departments=("D01",)).scope == Scope(departments=("D01",))


# --- masking ---


@pytest.mark.parametrize(
    "phone, masked",
    [
        ("13812341234", "138****1234"),
        ("138-1234-1234", "138****1234"),
        ("021-58881234", "021****1234"),
        ("+86 138 1234 1234", "138****1234"),
        ("12345", "*****"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_phone(phone, masked):
    assert access.mask_phone(phone) == masked


@pytest.mark.parametrize("name, masked", [("王小明", "王*"), ("欧阳娜娜", "欧*"), ("Li", "L*"), ("", ""), (None, None)])
def test_mask_name(name, masked):
    assert access.mask_name(name) == masked


@pytest.mark.parametrize(
    "address, masked",
    [
        ("川沙新镇金春居委华兰路436号", "川沙新镇金春居委华兰路"),
        ("张江镇碧波路690弄3号502室", "张江镇碧波路"),
        ("陆家嘴街道世纪大道", "陆家嘴街道世纪大道"),
        ("花木街道锦绣路十二号", "花木街道锦绣路"),
        (None, None),
    ],
)
def test_mask_address_keeps_the_street_part(address, masked):
    assert access.mask_address(address) == masked


def test_mask_text_drops_house_numbers_and_mobile_numbers():
    text = "华兰路436号附近乱停车，联系人13812341234，3栋502室"
    assert access.mask_text(text) == "华兰路附近乱停车，联系人138****1234，"


def test_mask_frame_for_a_viewer_only():
    df = pd.DataFrame(
        {
            "case_id": ["A"],
            "complainant_name": ["王小明"],
            "complainant_phone": ["13812341234"],
            "address": ["华兰路436号"],
            "description": ["华兰路436号附近噪声"],
        }
    )
    masked = access.mask_frame(df, Principal("v", "viewer"))
    assert masked.iloc[0].tolist() == ["A", "王*", "138****1234", "华兰路", "华兰路附近噪声"]
    assert df.iloc[0, 1] == "王小明"  # the input is not changed
    assert access.mask_frame(df, Principal("a", "analyst")) is df


# --- scope in Filters ---


def test_restrict_sets_and_intersects_the_scope():
    f = Filters(start=date(2026, 1, 1), end=date(2026, 1, 31), towns=("T2",))
    assert access.restrict(f, None) is f
    g = access.restrict(f, ("T1", "T2"))
    assert g.scope == Scope(towns=("T1", "T2")) and g.towns == ("T2",)  # the choice stays; the scope limits it
    assert access.restrict(g, ("T2", "T3")).scope == Scope(towns=("T2",))
    assert access.restrict(g, ("T9",)).scope == Scope()  # nothing


def test_scope_never_goes_into_a_url():
    f = access.restrict(Filters(start=date(2026, 1, 1), end=date(2026, 1, 31)), ("T1",))
    assert "scope" not in str(f.to_params())


def test_where_intersects_scope_and_chosen_towns():
    clause, params = queries.where(Filters(start=date(2026, 1, 1), end=date(2026, 1, 1), towns=("T2",), scope=("T1",)))
    assert "town_id IN ($towns_0)" in clause and "town_id IN ($scope_t_0)" in clause
    assert params["scope_t_0"] == "T1"
    assert queries.where(Filters(start=date(2026, 1, 1), end=date(2026, 1, 1), scope=()))[0].endswith("false")


# --- the literal database: exact answers (cases A01-A05 in T1, A06-A09 in T2) ---


@pytest.fixture(scope="module")
def lit(tmp_path_factory) -> Database:
    return build_db(tmp_path_factory.mktemp("lit") / "lit.duckdb")


def test_scoped_counts_on_literal_cases(lit):
    t1 = ALL.with_(scope=("T1",))
    assert queries.case_count(lit, t1) == 5
    assert queries.case_count(lit, ALL.with_(scope=("T1", "T2"))) == 8
    assert queries.case_count(lit, t1.with_(towns=("T2",))) == 0  # chosen outside the scope: nothing
    assert queries.case_count(lit, ALL.with_(scope=())) == 0  # allowed nowhere: nothing, not everything
    assert queries.kpis(lit, t1, AS_OF)["collected"] == 5
    assert sorted(queries.cases_page(lit, t1)["case_id"]) == ["A01", "A02", "A03", "A04", "A05"]
    assert queries.case_detail(lit, "A06", scope=("T1",)).empty
    assert queries.case_detail(lit, "A06", scope=("T2",))["case_id"].tolist() == ["A06"]
    assert queries_trend.case_timeline(lit, "A06", scope=("T1",)).empty
    assert queries.towns(lit, scope=("T1",))["unit_id"].tolist() == ["T1"]
    assert queries.towns(lit, scope=())["unit_id"].tolist() == []
    assert {lv: sorted(ids) for lv, ids in queries.unit_names(lit, scope=("T2",)).items()} == {"town": ["T2"]}
    # open at the end of March: A05 (T1) and A06 (T2)
    assert queries_trend.indicator_totals(lit, ALL.with_(scope=("T2",)), AS_OF)["backlog"] == 1
    assert queries_trend.open_cases(lit, ALL.with_(scope=("T1",)), AS_OF)["case_id"].tolist() == ["A05"]


# --- the demo district: every query limited by scope gives what choosing the town gives ---


@pytest.fixture(scope="module")
def demo(demo_db) -> Database:
    db = Database(demo_db)
    yield db
    db.close()


@pytest.fixture(scope="module")
def period(demo) -> Filters:
    lo, hi = queries.date_range(demo)
    return Filters(start=lo, end=hi)


def _towns_of(df: pd.DataFrame) -> set:
    return set(df["town_id"].dropna())


def test_every_filtered_query_keeps_to_the_scope(demo, period):
    at = queries.as_of(demo)
    scoped, chosen = period.with_(scope=(LUJIAZUI,)), period.with_(towns=(LUJIAZUI,))
    assert queries.kpis(demo, scoped, at) == pytest.approx(queries.kpis(demo, chosen, at), nan_ok=True)
    assert queries.case_count(demo, scoped) == queries.case_count(demo, chosen) > 0
    assert _towns_of(queries.cases_page(demo, scoped, limit=1000)) == {LUJIAZUI}
    assert _towns_of(pd.concat(queries.cases_export(demo, scoped))) == {LUJIAZUI}
    assert _towns_of(queries_trend.open_cases(demo, scoped, at, limit=1000)) == {LUJIAZUI}
    pd.testing.assert_frame_equal(queries.trend(demo, scoped, "month", at), queries.trend(demo, chosen, "month", at))
    pd.testing.assert_frame_equal(queries_map.heat_bins(demo, scoped, 400), queries_map.heat_bins(demo, chosen, 400))
    pd.testing.assert_frame_equal(
        queries_trend.period_indicators(demo, scoped, "month", at, "town"),
        queries_trend.period_indicators(demo, chosen, "month", at, "town"),
    )
    assert set(queries_trend.split_indicators(demo, scoped, "town", at)["key"]) == {LUJIAZUI}
    assert set(queries_trend.daily_counts(demo, scoped)["town_id"]) == {LUJIAZUI}
    pd.testing.assert_frame_equal(
        queries_trend.open_backlog(demo, scoped, "month", at), queries_trend.open_backlog(demo, chosen, "month", at)
    )
    assert len(queries_map.repeat_candidates(demo, scoped)) == queries.case_count(demo, chosen)
    points = queries_map.case_points(demo, scoped, 100_000)
    assert len(points) == queries.case_count(demo, chosen.with_(start=period.start))  # every case has a position
    stats = queries.unit_stats(demo, scoped, "community", at)
    assert _towns_of(stats) == {LUJIAZUI} and stats["collected"].sum() == queries.case_count(demo, chosen)
    assert set(queries.unit_geometries(demo, "grid", scoped)["unit_id"]) == set(
        queries.grids(demo, queries.communities(demo, (LUJIAZUI,))["unit_id"])["unit_id"]
    )
    assert queries_trend.lifecycle_stages(demo, scoped)["registered"] == queries.case_count(demo, chosen)


def test_every_listing_keeps_to_the_scope(demo, period):
    sc = (LUJIAZUI,)
    assert queries.towns(demo, scope=sc)["unit_id"].tolist() == [LUJIAZUI]
    assert _towns_of(queries.communities(demo, scope=sc)) == {LUJIAZUI}
    others = queries.communities(demo, (ZHANGJIANG,))["unit_id"]
    assert queries.grids(demo, others, scope=sc).empty
    assert queries.communities(demo, (ZHANGJIANG,), scope=sc).empty
    assert _towns_of(queries_map.station_directory(demo, scope=sc)) == {LUJIAZUI}
    assert _towns_of(queries_map.cells(demo, scope=sc)) == {LUJIAZUI}
    assert set(queries_trend.survey_scores(demo, scope=sc)["town_id"]) <= {LUJIAZUI}
    assert queries_map.district_outline(demo, scope=sc)["unit_id"].tolist() == [LUJIAZUI]
    units = queries.unit_names(demo, scope=sc)
    paths = queries_map.unit_paths(demo, scope=sc)
    assert units and {lv: set(u) for lv, u in units.items()} == {lv: set(p) for lv, p in paths.items()}
    assert all(p.startswith("陆家嘴街道") for level in paths.values() for p in level.values())
    near = queries_map.station_cases_nearby(demo, period.with_(scope=sc))
    assert set(near["station_id"]) <= set(queries_map.stations(demo, (LUJIAZUI,))["station_id"])
    other_case = queries.cases_page(demo, period.with_(towns=(ZHANGJIANG,)), limit=1)["case_id"].iloc[0]
    assert queries.case_detail(demo, other_case, scope=sc).empty
    assert queries_trend.case_timeline(demo, other_case, scope=sc).empty
    assert not queries.case_detail(demo, other_case).empty  # it exists: the scope hid it


def test_scope_also_limits_analysis_modules(demo, period):
    """Modules above the query layer pass the filters on: rankings and the lifecycle funnel stay in scope."""
    from govdash import lifecycle, rankings, settings

    at = queries.as_of(demo)
    scoped = period.with_(scope=(LUJIAZUI,))
    ranked = rankings.ranking(demo, scoped, "town", at, settings.load())
    assert set(ranked["key"]) == {LUJIAZUI}  # other streets/towns are not even listed
    fun = lifecycle.funnel_data(demo, scoped)
    assert fun["count"].iloc[0] == queries.case_count(demo, period.with_(towns=(LUJIAZUI,)))


# --- free-text patterns (issue 15): each with hand-written examples that must and must not be masked ---


@pytest.mark.parametrize(
    "text, masked",
    [
        ("身份证31011519900307123X", "身份证******************"),
        ("身份证号 310115199003071234。", "身份证号 ******************。"),
        ("证件 31011519900307123x", "证件 ******************"),
        ("老证 310115900307123", "老证 " + "*" * 15),
    ],
)
def test_mask_text_id_card_numbers(text, masked):
    assert access.mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "工单PD310115199003071234",  # letters glued in front: an id of something else
        "流水号3101151990030712345",  # 19 digits
        "31011519901307123X",  # month 13: not a birth date
    ],
)
def test_mask_text_leaves_id_lookalikes(text):
    assert access.mask_text(text) == text


@pytest.mark.parametrize(
    "text, masked",
    [
        ("电话13812345678", "电话138****5678"),
        ("电话138 1234 5678", "电话138****5678"),
        ("电话138-1234-5678", "电话138****5678"),
        ("电话+86 138 1234 5678", "电话138****5678"),
        ("电话+86-13812345678", "电话138****5678"),
        ("电话008613812345678", "电话138****5678"),
        ("电话8613812345678", "电话138****5678"),
    ],
)
def test_mask_text_mobile_numbers(text, masked):
    assert access.mask_text(text) == masked


@pytest.mark.parametrize("text", ["编号12812345678", "金额138123456789元", "1381234567", "时间2026 1234 5678"])
def test_mask_text_leaves_mobile_lookalikes(text):
    assert access.mask_text(text) == text


@pytest.mark.parametrize(
    "text, masked",
    [
        ("座机021-58881234", "座机021-********"),
        ("座机021-5888 1234转808", "座机021-********"),
        ("座机(021)58881234", "座机021-********"),
        ("座机（021）5888-1234", "座机021-********"),
        ("座机0571 88881234", "座机0571-********"),
        ("座机02158881234", "座机021********"),
    ],
)
def test_mask_text_landlines(text, masked):
    assert access.mask_text(text) == masked


@pytest.mark.parametrize("text", ["2026-03-07 来电", "共1000人", "第021期", "温度-5到3度"])
def test_mask_text_leaves_landline_lookalikes(text):
    assert access.mask_text(text) == text


@pytest.mark.parametrize(
    "text, masked",
    [
        ("邮箱 wang.xm@example.cn", "邮箱 w***@example.cn"),
        ("回复至Li_Na+gov@mail.pudong.gov.cn。", "回复至L***@mail.pudong.gov.cn。"),
    ],
)
def test_mask_text_e_mail(text, masked):
    assert access.mask_text(text) == masked


@pytest.mark.parametrize("text", ["@城管 请处理", "a@b", "微信号 wxid_abc"])
def test_mask_text_leaves_e_mail_lookalikes(text):
    assert access.mask_text(text) == text


@pytest.mark.parametrize(
    "text, name, masked",
    [
        ("王小明反映楼下噪声", "王小明", "王*反映楼下噪声"),
        ("小明说他家漏水，王小明再次来电", "王小明", "*说他家漏水，王*再次来电"),
        ("欧阳娜娜投诉", "欧阳娜娜", "欧*投诉"),
        ("王丽称环境美丽", "王丽", "王*称环境美丽"),  # a one-character given name is left in ordinary words
        ("李四反映噪声", "王小明", "李四反映噪声"),  # another person's name: not the complainant
        ("王小明反映", None, "王小明反映"),  # no name on the case row
    ],
)
def test_mask_text_complainant_name(text, name, masked):
    assert access.mask_text(text, name) == masked


def test_mask_frame_uses_each_rows_own_name_and_rounds_case_coordinates():
    df = pd.DataFrame(
        {
            "case_id": ["A", "B"],
            "complainant_name": ["王小明", "李四"],
            "description": ["王小明来电", "王小明的邻居李四"],
            "lon": [121.505678, 121.4],
            "lat": [31.205432, 31.1],
        }
    )
    masked = access.mask_frame(df, Principal("v", "viewer"))
    assert masked["description"].tolist() == ["王*来电", "王小明的邻居李*"]
    assert masked["lon"].tolist() == [121.506, 121.4] and masked["lat"].tolist() == [31.205, 31.1]
    units = pd.DataFrame({"unit_id": ["G1"], "lon": [121.505678], "lat": [31.205432]})  # not a case: exact
    assert access.mask_frame(units, Principal("v", "viewer")) is units
    assert access.mask_frame(df, Principal("a", "analyst")) is df
