"""Labels in Chinese and English from one table; place names stay Chinese."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    # product
    "cov_no_population": (
        "尚无人口数据：导入人口后计算15分钟服务圈（python -m govdash import population 文件）。",
        "No population yet: import it to compute the 15-minute circle (python -m govdash import population FILE).",
    ),
    "cov_area_title": ("按面积与居村的覆盖（无人口数据）", "Coverage by area and by community (no population)"),
    "cov_area_share": ("{m}分钟步行可达的面积占比", "Area within a {m}-minute walk"),
    "cov_area_km2": ("面积（平方公里）", "Area (km²)"),
    "cov_units_with_station": ("有服务站的居村", "Communities with a station"),
    "cov_units_with_station_town": ("有服务站的街镇", "Streets/towns with a station"),
    "cov_area_note": (
        "每个100米网格按面积同等计权；导入人口后按居民计算。",
        "Every 100 m square counts the same (area); with population imported, residents count.",
    ),
    "has_station": ("有服务站", "Has a station"),
    "stations_in_unit": ("服务站数", "Stations"),
    "area_share": ("可达面积占比", "Area within reach"),
    "adm_metric_crs": ("面积与步行距离的投影坐标系：{crs}", "Metric CRS of areas and walking distances: {crs}"),
    "adm_crs_distorts": (
        "投影坐标系 {crs} 使本区尺度失真 {pct:.1f}%（超过1%）：面积与步行分钟不准，请改用本区所在的 UTM 带"
        "（取消 GOVDASH_METRIC_CRS 或 init --crs）。",
        "The metric CRS {crs} distorts this district's scale by {pct:.1f} % (more than 1 %): areas and "
        "walking minutes are wrong; use the district's UTM zone (unset GOVDASH_METRIC_CRS, or init --crs).",
    ),
    "app_title": ("{name}社会治理运行看板", "{name} Social Governance Dashboard"),  # the district's name
    "empty_district": (
        "{name}尚无数据：请先导入区划边界和工单（见 README“接入自己的区”）。",
        '{name} has no data yet: import its unit boundaries and cases first (README, "Your own district").',
    ),
    "empty_steps": (
        "python -m govdash import units 街镇.geojson --level town；"
        "python -m govdash import cases 工单.csv；或在“数据导入”页上传。",
        "python -m govdash import units towns.geojson --level town; "
        "python -m govdash import cases cases.csv; or upload on the Import page.",
    ),
    "synthetic": (
        "演示数据：本页数据为合成数据，非真实工单。",
        "Demo data: everything on this page is synthetic, not real cases.",
    ),
    "building_demo": ("首次运行：正在生成演示数据库…", "First run: building the demo database…"),
    "no_data": ("暂无数据", "No data"),
    "data_as_of": ("数据截至", "Data as of"),
    "language": ("语言", "Language"),
    # pages
    "page_overview": ("总览", "Overview"),
    "page_map": ("网格地图", "Grid map"),
    "page_heatmap": ("问题热力图", "Issue heatmap"),
    "page_trends": ("办结趋势", "Resolution trends"),
    "page_coverage": ("15分钟服务圈", "15-minute service circle"),
    "page_cases": ("工单查询", "Cases"),
    # filters
    "filters": ("筛选", "Filters"),
    "period": ("时段", "Period"),
    "town": ("街镇", "Street/town"),
    "community": ("居村", "Community/village"),
    "grid": ("网格", "Grid"),
    "category": ("类别", "Category"),
    "channel": ("来源渠道", "Channel"),
    "department": ("责任部门", "Department"),
    "all": ("全部", "All"),
    "reset": ("重置筛选", "Reset filters"),
    # indicators
    "collected": ("受理工单", "Cases collected"),
    "resolved": ("已解决", "Resolved"),
    "resolution_rate": ("解决率", "Resolution rate"),
    "on_time_rate": ("按期办结率", "On-time rate"),
    "recognition_rate": ("基层认可率", "Recognition rate"),
    "satisfaction": ("回访满意度", "Callback satisfaction"),
    "open": ("在办（本期受理）", "Open (reported in period)"),
    "overdue": ("超期在办（本期受理）", "Overdue open (reported in period)"),
    "median_hours": ("办结时长中位数(小时)", "Median hours to close"),
    "cases_per_1000": ("每千人工单", "Cases per 1,000 residents"),
    "residents": ("常住人口", "Residents"),
    # units of the indicators (govdash.indicators)
    "unit_cases": ("件", "cases"),
    "unit_per_1000": ("件/千人", "per 1,000 residents"),
    "unit_pct": ("%", "%"),
    "unit_hours": ("小时", "hours"),
    "unit_score": ("分 (0-100)", "score 0-100"),
    "change_points": ("分", "pts"),  # a score's change: points, never % (issue 19 item 3)
    "vs_previous": ("较上期", "vs previous period"),
    "same_age": ("（按相同办理时长比较）", "(compared at the same age)"),
    # units and things
    "district": ("全区", "District"),
    "station": ("家门口服务站", "Doorstep station"),
    "centre": ("街镇服务中心", "Street/town service centre"),
    "case": ("工单", "Case"),
    "export_csv": ("导出CSV", "Export CSV"),
    "export_page_csv": ("导出本页CSV", "Export this page (CSV)"),
    "export_all_csv": ("导出全部{n:,}条（CSV）", "Export all {n:,} (CSV)"),
    "export_all_xlsx": ("导出全部{n:,}条（Excel）", "Export all {n:,} (Excel)"),
    "export_progress": ("已写出{done:,} / {n:,}条", "{done:,} of {n:,} rows written"),
    "export_download": ("下载 {file}", "Download {file}"),
    "database_missing": (
        "找不到数据库 `{path}`：不会自动生成演示数据代替它。请检查 GOVDASH_DB，或运行 "
        "`python -m govdash demo --db {path}` 生成演示数据库。",
        "No database at `{path}`: no demo is built in its place. Check GOVDASH_DB, or build the "
        "demo with `python -m govdash demo --db {path}`.",
    ),
    "truncated": ("结果已截断：只显示前 {n:,} 行。", "Truncated: only the first {n:,} rows are shown."),
    "truncated_repeats": (
        "工单多于上限，重复投诉只按最早的 {n:,} 件计算。",
        "Truncated: repeat complaints are found among the first {n:,} cases only.",
    ),
    "xlsx_too_many": (
        "超过Excel单表行数上限，请导出CSV或缩小筛选范围。",
        "More rows than an Excel sheet holds: export CSV or narrow the filter.",
    ),
    "rows": ("条", "rows"),
    "page": ("页", "Page"),
    "description": ("问题描述", "Description"),
    "case_id": ("工单编号", "Case ID"),
    "order": ("排序", "Order"),
    "order_newest": ("最新上报", "Newest first"),
    "order_oldest": ("最早上报", "Oldest first"),
    "order_overdue": ("时限最近", "Nearest deadline"),
    "reported_at": ("上报时间", "Reported"),
    "closed_at": ("办结时间", "Closed"),
    "deadline_at": ("办理时限", "Deadline"),
    "status": ("状态", "Status"),
    "tier": ("处置层级", "Escalation tier"),
    "address": ("地址", "Address"),
    "complainant_name": ("诉求人", "Complainant"),
    "complainant_phone": ("联系电话", "Phone"),
    "indicator": ("指标", "Indicator"),
    "level": ("层级", "Level"),
    "ranking": ("排名", "Ranking"),
    "cases": ("工单数", "Cases"),
    "by_period": ("统计周期", "Period"),
    "day": ("日", "Day"),
    "week": ("周", "Week"),
    "quarter": ("季度", "Quarter"),
    "year": ("年", "Year"),
    "coverage_share": ("15分钟步行覆盖率", "Residents within a 15-minute walk"),
    "minutes": ("步行分钟", "Walking minutes"),
    "stations_layer": ("显示服务站", "Show stations"),
    # vocabularies
    "community_tier": ("社区", "Community"),
    "street_tier": ("街镇", "Street/town"),
    "district_tier": ("区级", "District"),
    "registered": ("已登记", "Registered"),
    "dispatched": ("已派遣", "Dispatched"),
    "handling": ("处置中", "Handling"),
    "closed": ("已办结", "Closed"),
    "f_party": ("党建服务站", "Party-building service"),
    "f_gov": ("政务受理服务站", "Government-affairs window"),
    "f_culture": ("文化服务站", "Culture service"),
    "f_joint": ("联勤联动站", "Joint-duty linkage"),
    "f_clinic": ("卫生室", "Clinic room"),
    "baseline": ("底线民生", "Baseline"),
    "basic": ("基本民生", "Basic"),
    "quality": ("质量民生", "Quality"),
}


LANGS = ("zh", "en")  # the order of every pair: Chinese, English
WEEKDAYS = ("dow_mon", "dow_tue", "dow_wed", "dow_thu", "dow_fri", "dow_sat", "dow_sun")  # labels, Monday first


def pick(zh: str, en: str, lang: str = "zh") -> str:
    """``zh`` or ``en`` by ``lang`` ('zh' or 'en'): the one place a language is chosen, for labels of this
    table (``t``) and for names held in the database (a catalogue's, a unit's), in their pairs' order."""
    return (zh, en)[LANGS.index(lang) if lang in LANGS else 1]


def t(key: str, lang: str = "zh") -> str:
    """The label for ``key`` in ``lang`` ('zh' or 'en'); the key itself when unknown."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pick(*pair, lang)


def bilingual(key: str) -> str:
    """'中文 English' for legends read by both audiences."""
    zh, en = LABELS.get(key, (key, key))
    return f"{zh} {en}"


# case events and the handling chain (issue 17): their own module, one table
from govdash.labels_events import EVENT_LABELS  # noqa: E402

LABELS.update(EVENT_LABELS)


MISSING = "—"  # a missing value in any table, detail or tile, in both languages


def plain(value: object, lang: str = "zh") -> str:
    """One value as on-screen text: missing (None, NaN, NaT, pd.NA) → "—", a boolean → 是/否 (Yes/No)."""
    if value is None:
        return MISSING
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return t("yes" if value else "no", lang)
    if isinstance(value, str):
        return value
    try:
        if value != value:  # NaN, NaT
            return MISSING
    except (TypeError, ValueError):  # pd.NA refuses comparison
        return MISSING
    return str(value)


def readable(frame, lang: str = "zh"):
    """A copy of ``frame`` (pandas) for a table: boolean columns as 是/否, missing text as "—".

    Numbers and times keep their type (the table formats them); only text and boolean columns change.
    A list of rows (dicts) is read as a frame first.
    """
    import pandas as pd

    out = frame.copy() if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
    for col in out.columns:
        s = out[col]
        kind = str(s.dtype)
        if kind in ("bool", "boolean") or (
            kind == "object" and len(s.dropna()) and s.dropna().map(lambda v: isinstance(v, bool)).all()
        ):
            out[col] = s.map(lambda v: plain(v, lang)).astype(object)
        elif kind in ("object", "string", "str") or kind.startswith("string"):
            out[col] = s.map(lambda v: plain(v, lang) if not isinstance(v, str) else v).astype(object)
    return out


# the rest of the table, by subject (one table: a key is defined once, checked by tests/test_i18n.py)
from govdash import labels_admin, labels_indicators, labels_pages, labels_wall, labels_work  # noqa: E402

for _part in (labels_pages, labels_admin, labels_indicators, labels_wall, labels_work):
    if _twice := sorted(set(_part.LABELS) & set(LABELS)):
        raise ValueError(f"label keys defined twice ({_part.__name__}): {', '.join(_twice)}")
    LABELS.update(_part.LABELS)
