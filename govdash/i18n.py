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

# trends, rankings, lifecycle, anomalies, survey and the briefing (issue 4)
LABELS.update(
    {
        "page_rankings": ("红黑榜", "Rankings"),
        "page_lifecycle": ("工单全流程", "Case lifecycle"),
        "p90_hours": ("办结时长P90(小时)", "P90 hours to close"),
        "backlog": ("期末在办（全部）", "Open at period end (all)"),
        "overdue_at_end": ("期末超期在办（全部）", "Overdue at period end (all)"),
        "dispute_rate": ("矛盾纠纷化解率", "Dispute resolution rate"),
        "compare_by": ("对比维度", "Compare by"),
        "none": ("不分组", "None"),
        "this_period": ("本期", "This period"),
        "this_month": ("本月", "This month"),
        "previous": ("上期", "Previous period"),
        "previous_month": ("上月", "Previous month"),
        "previous_year": ("上年", "Previous year"),
        "year_before": ("去年同期", "Same period last year"),
        "change": ("变化", "Change"),
        "target": ("目标", "Target"),
        "breach": ("未达标", "Target missed"),
        "met": ("达标", "Met"),
        "partial": ("本期未结束", "Period not complete"),
        "all_indicators": ("全部指标", "All indicators"),
        "definitions": ("指标口径", "Definitions"),
        "chart_note": (
            "图表范围 {a} – {b}（至少{n}天）。黄色虚线为目标，红色×为未达标；"
            "未结束的统计期只显示件数（浅色柱），其比率待办理完成后再比较。上方卡片的上期、去年同期按相同办理时长比较。",
            "Chart range {a} – {b} (at least {n} days). Dashed yellow: target; red ×: target missed. A "
            "period still running shows counts only (pale bars): its rates are compared once its cases are "
            "handled. The cards compare earlier periods at the same age.",
        ),
        "tab_trends": ("指标趋势", "Trends"),
        "tab_anomalies": ("异常波动", "Anomalies"),
        "tab_survey": ("满意度与治理指数", "Satisfaction & governance index"),
        "score": ("综合得分", "Score"),
        "movement": ("名次变化", "Rank change"),
        "red_list": ("排名前{n}位", "Top {n}"),
        "black_list": ("排名后{n}位", "Bottom {n}"),
        "red_short": ("靠前", "Top"),
        "rank_same": ("持平", "unchanged"),
        "rank_new": ("新上榜", "new"),
        "black_short": ("靠后", "Bottom"),
        "list": ("榜单", "List"),
        "town_ranking": ("街镇综合排名", "Street/town ranking"),
        "department_ranking": ("部门综合排名", "Department ranking"),
        "rank_level": ("排名对象", "Rank"),
        "not_ranked": ("样本不足，未排名", "Too few cases, not ranked"),
        "click_to_filter": ("点击表格行可将全站筛选到该对象。", "Click a row to filter the whole app to it."),
        "score_method": (
            "综合得分 = 各指标 ÷ 目标（越低越好的指标用 目标 ÷ 指标）的加权平均，单项上限 {cap}；"
            "权重：{weights}；受理少于 {min_cases} 件不排名。1.000 表示全部达标。",
            "Score = weighted mean of each indicator ÷ its target (target ÷ value where lower is better), "
            "each capped at {cap}; weights: {weights}; fewer than {min_cases} cases are not ranked. "
            "1.000 means every target met.",
        ),
        "no_anomalies": ("本期未发现异常波动。", "No unusual spikes in this period."),
        "anomaly_method": (
            "每个“类别×街镇”的日受理量与前8周同一星期几的中位数比较（稳健z≥3.5且当日≥5件）。",
            "Daily cases per category × street/town against the median of the same weekday over the "
            "previous 8 weeks (robust z ≥ 3.5 and at least 5 cases that day).",
        ),
        "start": ("开始日期", "Start"),
        "end": ("结束日期", "End"),
        "days": ("天数", "Days"),
        "observed": ("实际件数", "Cases"),
        "expected": ("常态件数", "Expected"),
        "ratio": ("倍数", "Ratio"),
        "excess": ("超出件数", "Excess"),
        "stage": ("环节", "Stage"),
        "funnel": (
            "办理漏斗：登记 → 派遣 → 处置 → 办结 → 认可",
            "Funnel: registered → dispatched → handled → closed → recognised",
        ),
        "handled": ("已处置", "Handled"),
        "recognised": ("已认可", "Recognised"),
        "deadline": ("办理时限", "Deadline"),
        "now": ("当前", "Now"),
        "share_registered": ("占登记", "Share of registered"),
        "median_hours_leg": ("上一环节至此中位小时", "Median hours from previous stage"),
        "p90_hours_leg": ("上一环节至此P90小时", "P90 hours from previous stage"),
        "tier_share": ("办结层级占比", "Share closed by tier"),
        "tier_slogan": (
            "小事不出社区，大事不出街道，难事不出城区",
            "Small matters stay in the community, big ones in the street, hard ones in the district",
        ),
        "oldest_open": ("最久未办结工单", "Oldest open cases"),
        "oldest_overdue": ("超期未办结工单", "Overdue open cases"),
        "overdue_only": ("只看超期", "Overdue only"),
        "no_overdue": ("期末无超期在办工单。", "No overdue open cases at period end."),
        "days_overdue": ("超期天数", "Days overdue"),
        "age_days": ("已办天数", "Days open"),
        "case_timeline": ("工单时间线", "Case timeline"),
        "pick_case": ("选择表格中的一行查看工单时间线。", "Pick a row to see the case timeline."),
        "survey": ("满意度测评", "Satisfaction survey"),
        "survey_spread": ("街镇间差距（最低—最高）", "Spread between streets/towns (lowest–highest)"),
        "quarter_pick": ("季度", "Quarter"),
        "dimension": ("维度", "Dimension"),
        "median": ("中位数", "Median"),
        "lowest": ("最低", "Lowest"),
        "highest": ("最高", "Highest"),
        "spread": ("极差", "Spread"),
        "overall": ("总体", "Overall"),
        "convenience": ("便利", "Convenience"),
        "comfort": ("舒适", "Comfort"),
        "safety": ("安全", "Safety"),
        "health": ("健康", "Health"),
        "harmony": ("和谐", "Harmony"),
        "security": ("保障", "Security"),
        "governance": ("社会治理指数", "Social governance index"),
        "subdomain": ("分领域", "Sub-domain"),
        "social_services": ("社会服务", "Social services"),
        "social_security": ("社会保障", "Social security"),
        "social_order": ("社会秩序", "Social order"),
        "social_participation": ("社会参与", "Social participation"),
        "social_ecology": ("社会生态", "Social ecology"),
        "progress": ("进步指数", "Progress index"),
        "briefing_footer": (
            "本报告由 govdash 自动生成，可离线打开并按A4打印。指标口径见第{n}节。",
            "Generated by govdash; opens offline and prints to A4. Definitions in section {n}.",
        ),
        "download_briefing": ("下载简报", "Download briefing"),
        "month": ("月份", "Month"),
        "sec_headline": ("主要指标", "Headline indicators"),
        "sec_rankings": ("综合排名", "Rankings"),
        "sec_anomalies": ("异常波动", "Unusual spikes"),
        "sec_overdue": ("超期未办结工单（期末）", "Overdue open cases (period end)"),
        "sec_lifecycle": ("办理流程与层级", "Lifecycle and escalation"),
        "sec_survey": ("满意度测评与社会治理指数", "Satisfaction survey and governance index"),
    }
)


# grid map and issue heatmap
LABELS.update(
    {
        "name": ("名称", "Name"),
        "layer": ("图层", "Layer"),
        "density": ("工单密度", "Case density"),
        "hot_spots": ("热点分析", "Hot spots"),
        "repeat_complaints": ("重复投诉", "Repeat complaints"),
        "bin_size": ("方格边长(米)", "Square size (m)"),
        "auto": ("自动", "Auto"),
        "playback": ("时间回放", "Playback"),
        "play": ("▶ 播放", "▶ Play"),
        "frame": ("帧", "Frame"),
        "play_none": ("不回放", "None"),
        "play_hour": ("按小时", "Hour of day"),
        "play_dow": ("按星期", "Day of week"),
        "play_week": ("按周", "Week by week"),
        "play_month": ("按月", "Month by month"),
        "show_cases": ("显示单个工单", "Show single cases"),
    }
)


# 15-minute service circle (issue 5)
LABELS.update(
    {
        "cov_threshold": ("步行时间", "Walking time"),
        "cov_function": ("服务功能（四站一室）", "Station function (four services and a clinic)"),
        "cov_any": ("全部服务站", "Any station"),
        "cov_mode": ("步行距离", "Walking distance"),
        "cov_straight": ("直线 × 绕行系数", "Straight line × circuity"),
        "cov_network": ("步行路网", "Street network"),
        "cov_share": ("{m}分钟步行覆盖率", "Residents within {m} min"),
        "cov_to_goal": ("距100%目标", "to the 100 % goal"),
        "cov_whatif_change": ("假设分析变化", "what-if change"),
        "cov_area_district": ("全区", "District"),
        "cov_area_selected": ("所选街镇", "Selected streets/towns"),
        "cov_method": (
            "步行速度 {kmh} km/h；{how}。居民按100米人口栅格计。",
            "Walking at {kmh} km/h; {how}. Residents from the 100 m population surface.",
        ),
        "cov_how_straight": ("直线距离 × 绕行系数 {c}", "straight-line distance × circuity {c}"),
        "cov_how_network": ("沿步行路网最短路径（{n:,} 个节点）", "shortest paths on the street network ({n:,} nodes)"),
        "cov_network_failed": (
            "无法读取步行路网，已改用直线距离：",
            "Could not read the street network, using straight lines instead: ",
        ),
        "covered": ("覆盖人口", "Residents covered"),
        "uncovered": ("未覆盖人口", "Residents not covered"),
        "stations_counted": ("计入服务站", "Stations counted"),
        "share": ("覆盖率", "Share"),
        "cov_by_town": ("各街镇覆盖率（由低到高）", "Streets/towns, lowest share first"),
        "cov_by_community": (
            "所选街镇各居村覆盖率（由低到高）",
            "Communities of the selected streets/towns, lowest first",
        ),
        "cov_click_add": (
            "点击地图网格即在该处新增服务站（假设分析）",
            "Click a map cell to add a station there (what-if)",
        ),
        "cov_legend_note": (
            "青绿色：{m}分钟内可步行到达；暖色：超出{m}分钟。白圈编号为最大的覆盖缺口。",
            "Teal: within a {m}-minute walk; warm colours: beyond it. Numbered rings: the largest gaps.",
        ),
        "tab_whatif": ("假设分析", "What-if"),
        "tab_gaps": ("覆盖缺口", "Gaps"),
        "tab_siting": ("选址建议", "Siting"),
        "tab_load": ("站点负荷", "Station load"),
        "tab_directory": ("服务站名录", "Station directory"),
        "add_station": ("新增服务站", "Add a station"),
        "remove_station": ("撤除服务站", "Remove a station"),
        "move_station": ("迁移服务站", "Move a station"),
        "lon": ("经度", "Longitude"),
        "lat": ("纬度", "Latitude"),
        "add": ("新增", "Add"),
        "remove": ("撤除", "Remove"),
        "move": ("迁移", "Move"),
        "undo": ("撤销上一步", "Undo last"),
        "clear_edits": ("清除全部假设", "Clear all edits"),
        "edits": ("假设修改", "What-if edits"),
        "op": ("操作", "Edit"),
        "no_edits": (
            "尚无假设修改：新增、撤除或迁移服务站后，全页数据立即按假设重新计算。",
            "No edits yet: add, remove or move a station and the whole page is recomputed at once.",
        ),
        "gap": ("缺口", "Gap"),
        "cells": ("100米网格数", "100 m cells"),
        "area_km2": ("面积(km²)", "Area (km²)"),
        "max_minutes": ("最远步行(分钟)", "Farthest walk (min)"),
        "cov_square": (
            "每格{s:,.0f}米见方（人口加权平均步行时间）。",
            "Each square is {s:,.0f} m across (residents-weighted mean minutes).",
        ),
        "overview_monthly": ("受理工单 · 按月", "Cases collected · by month"),
        "partial_period": ("最后一期截至{at}，尚未满期。", "The last period ends at {at}: not yet complete."),
        "gaps_note": (
            "超出步行时间的居民按相邻网格连成片，列出人口最多的{n}片，地图上以编号圆圈标出。",
            "Residents beyond the threshold grouped into connected patches of cells; the {n} largest are "
            "listed and ringed with their number on the map.",
        ),
        "no_gaps": ("所有居民都在步行时间内。", "Every resident is within the threshold."),
        "served": ("服务人口", "Residents served"),
        "ratio_to_median": ("为中位数的倍数", "× median"),
        "flagged": ("负荷过高", "Overloaded"),
        "load_note": (
            "以居民最近的服务站计；超过中位数（{median:,.0f}人）2倍的站点标为负荷过高：{n}个。",
            "Residents counted at their nearest station; stations above 2 × the median ({median:,.0f}) are "
            "flagged: {n}.",
        ),
        "doorstep": ("家门口服务站", "Doorstep station"),
        "opening_hours": ("开放时间", "Opening hours"),
        "extended_hours": ("错时延时", "Extended hours"),
        "floor_area_m2": ("面积(㎡)", "Floor area (m²)"),
        "cases_nearby": ("周边{r}米工单", "Cases within {r} m"),
        "party_short": ("党建", "Party"),
        "gov_short": ("政务", "Gov."),
        "culture_short": ("文化", "Culture"),
        "joint_short": ("联勤", "Joint duty"),
        "clinic_short": ("卫生室", "Clinic"),
        "k_new": ("新增站点数", "New stations"),
        "site_no": ("建议站点", "Proposed site"),
        "propose": ("生成选址方案", "Propose sites"),
        "gain": ("新增覆盖人口", "Residents gained"),
        "cumulative": ("累计", "Cumulative"),
        "siting_greedy": (
            "贪心算法：每次选新增覆盖人口最多的候选点。覆盖函数具有子模性，贪心解至少达到最优解的"
            " 1 − 1/e ≈ 63%，即最优方案新增覆盖不超过 {bound:,.0f} 人。",
            "Greedy: each time the candidate covering most residents still beyond reach. Coverage is "
            "submodular, so greedy reaches at least 1 − 1/e ≈ 63 % of the optimum: the best possible "
            "plan adds at most {bound:,.0f} residents.",
        ),
        "siting_exact": (
            "精确解：最大覆盖选址模型（MCLP）整数规划，由 HiGHS 求得最优。",
            "Exact: the maximal covering location problem as an integer programme, solved to optimality by HiGHS.",
        ),
        "siting_note": (
            "候选点为超出步行时间的有人口网格（过多时取较粗网格），服务半径按直线距离 {r:,.0f} 米"
            "（{m}分钟 ÷ 绕行系数），保留现有站点。",
            "Candidates are populated cells beyond the threshold (a coarser lattice when many); reach is "
            "a straight {r:,.0f} m ({m} min ÷ circuity); existing stations kept.",
        ),
        "add_proposals": ("将建议站点加入假设分析", "Add the proposed sites to the what-if"),
        "coverage_after": ("覆盖率变为", "Share becomes"),
    }
)

# issue 8: sign-in, roles, scope, the import page
LABELS.update(
    {
        "sign_in": ("登录", "Sign in"),
        "sign_out": ("退出登录", "Sign out"),
        "username": ("用户名", "Username"),
        "password": ("密码", "Password"),
        "sign_in_failed": ("用户名或密码错误。", "Wrong username or password."),
        "locked": (
            "连续失败次数过多，账号已锁定至 {until}。",
            "Too many failed attempts: the account is locked until {until}.",
        ),
        "no_accounts": (
            "尚无账号：请管理员运行 python -m govdash account add 用户名 --role admin 创建。",
            "No accounts yet: an administrator creates one with python -m govdash account add NAME --role admin.",
        ),
        "oidc_no_account": (
            "{user} 没有本系统账号，请联系管理员开通。",
            "{user} has no account here: ask an administrator.",
        ),
        "oidc_not_configured": (
            "单点登录未配置（.streamlit/secrets.toml 的 [auth] 部分）。",
            "Single sign-on is not configured (the [auth] section of .streamlit/secrets.toml).",
        ),
        "signed_in_as": ("当前用户", "Signed in as"),
        "role_viewer": ("查看", "viewer"),
        "role_analyst": ("分析", "analyst"),
        "role_admin": ("管理", "admin"),
        "no_right": ("当前账号无权使用此页面。", "Your account may not use this page."),
        "out_of_scope": (
            "链接中的街镇或居村不在本账号的权限范围内，已忽略。",
            "The link names streets/towns or communities outside your account's area: ignored.",
        ),
        "url_unit_unknown": (
            "链接参数 {param}={value}：本区没有这个编码或名称的{level}，已忽略。",
            "Link parameter {param}={value}: no {level} of this district has this code or name; ignored.",
        ),
        "url_unit_ambiguous": (
            "链接参数 {param}={value}：这个名称对应多个{level}（{ids}），请改用编码；已忽略。",
            "Link parameter {param}={value}: this name fits several units ({level}: {ids}); use its code. Ignored.",
        ),
        "too_large": (
            "文件 {size:.1f} MB，超过上限 {limit} MB，未读取。",
            "The file is {size:.1f} MB, over the {limit} MB limit: not read.",
        ),
    }
)


# data import and export: the admin page (issue 6)
LABELS.update(
    {
        "page_admin": ("数据导入", "Data import"),
        "adm_import_kind": ("导入内容", "What to import"),
        "adm_kind_cases": ("工单", "Cases"),
        "adm_kind_stations": ("服务站", "Stations"),
        "adm_kind_units": ("区划边界", "Boundaries"),
        "adm_kind_population": ("人口", "Population"),
        "adm_kind_workers": ("网格员", "Grid workers"),
        "adm_kind_patrols": ("巡查记录", "Patrols"),
        "adm_kind_events": ("流转记录", "Case events"),
        "adm_kind_station_services": ("服务站服务记录", "Station services"),
        "adm_kind_station_meetings": ("服务站议事会议", "Station meetings"),
        "adm_kind_property_companies": ("物业企业", "Property companies"),
        "adm_kind_estates": ("住宅小区", "Housing estates"),
        "adm_import_file": ("上传文件", "File"),
        "adm_import_file_help": (
            "工单：CSV（UTF-8/GBK）、Excel、Parquet、JSON lines、Open311 JSON/XML；服务站：带坐标的"
            "CSV/Excel、GeoJSON；边界：GeoJSON、GeoPackage、Shapefile（zip）",
            "Cases: CSV (UTF-8/GBK), Excel, Parquet, JSON lines, Open311 JSON/XML; stations: CSV/Excel "
            "with coordinates, GeoJSON; boundaries: GeoJSON, GeoPackage, zipped Shapefile",
        ),
        "adm_mapping": ("字段映射", "Mapping"),
        "adm_mapping_auto": ("自动识别", "Detect"),
        "adm_mapping_upload": ("上传映射文件（TOML）", "Upload a mapping (TOML)"),
        "adm_mapping_file": ("映射文件", "Mapping file"),
        "adm_crs": ("坐标系", "Coordinates"),
        "adm_crs_file": ("按文件/映射", "As in the file / mapping"),
        "adm_crs_epsg": ("EPSG代码", "EPSG code"),
        "adm_encoding": ("文字编码", "Encoding"),
        "adm_encoding_auto": ("自动识别", "Detect"),
        "adm_on_error": ("有错误行时", "Rows with errors"),
        "adm_on_error_reject": ("全部不导入", "Reject the file"),
        "adm_on_error_quarantine": ("导入正确行，隔离错误行", "Load valid rows, quarantine the rest"),
        "adm_dry_run": ("仅校验，不写入", "Validate only (dry run)"),
        "adm_unit_level": ("边界层级", "Boundary level"),
        "adm_level_from_file": ("按文件", "From the file"),
        "adm_run_import": ("开始导入", "Import"),
        "adm_need_file": ("请先上传文件。", "Upload a file first."),
        "adm_import_loaded": ("已导入 {id}", "Imported as {id}"),
        "adm_import_dry_run": ("校验完成：未写入数据库。", "Dry run: nothing was written."),
        "adm_import_rejected": (
            "有 {n} 行错误，未导入任何数据。可修正后重试，或选择“隔离错误行”。",
            "{n} rows have errors; nothing was loaded. Fix them, or choose to quarantine them.",
        ),
        "adm_import_failed": ("无法导入：", "Cannot import: "),
        "adm_rows_read": ("读取行数", "Rows read"),
        "adm_inserted": ("新增", "Inserted"),
        "adm_updated": ("更新", "Updated"),
        "adm_unchanged": ("未变", "Unchanged"),
        "adm_failed": ("错误行", "Rows with errors"),
        "adm_quarantined": ("已隔离", "Quarantined"),
        "adm_warnings": ("警告", "Warnings"),
        "adm_errors": ("错误", "Errors"),
        "adm_download_report": ("下载校验报告", "Download the report"),
        "adm_download_quarantine": ("下载隔离行（CSV）", "Download quarantined rows (CSV)"),
        "adm_past_imports": ("导入记录", "Past imports"),
        "adm_no_imports": ("尚无导入记录。", "No imports yet."),
        "adm_undo_pick": ("撤销哪次导入", "Import to undo"),
        "adm_undo_import": ("撤销导入", "Undo import"),
        "adm_undo_done": (
            "已撤销 {id}：删除 {removed} 条，恢复 {restored} 条。",
            "Undone {id}: {removed} removed, {restored} restored.",
        ),
        "adm_quarantine_pick": ("隔离行", "Quarantined rows of"),
    }
)

# the leader's headline (docs/indicators.md): the indicators beside the cases and each tile's 口径 note
LABELS.update(
    {
        "survey_satisfaction": ("民生满意度（测评）", "Survey satisfaction"),
        "governance_index": ("社会治理指数", "Social governance index"),
        "progress_index": ("进步指数", "Progress index"),
        "in_handling": ("办理中", "In handling"),
        "due": ("到期工单", "Cases due"),
        "preset_last_month": ("上月（完整月）", "Last complete month"),
        "caliber": ("口径", "Definition"),
        "caliber_collected": ("统计期内上报的工单", "cases reported in the period"),
        "caliber_resolution_rate": (
            "已解决 ÷ 到期工单 {due}件；办理中 {handling}件未到期不计",
            "resolved ÷ {due} cases due; {handling} in handling, not yet due, not judged",
        ),
        "caliber_on_time_rate": (
            "期限内办结 ÷ 到期工单 {due}件；办理中 {handling}件未到期不计",
            "closed by the deadline ÷ {due} cases due; {handling} in handling not judged",
        ),
        "caliber_recognition_rate": ("社区认可 ÷ 到期已解决工单", "accepted by the community ÷ resolved cases due"),
        "caliber_survey_satisfaction": ("季度民生满意度测评得分（{quarter}）", "quarterly survey score ({quarter})"),
        "caliber_satisfaction": ("已回访工单评分的平均值", "mean callback score of rated cases"),
        "caliber_governance_index": ("年度综合指数，{progress}", "annual composite, {progress}"),
        "caliber_in_handling": (
            "期内上报、期末未办结且未到期",
            "reported in the period, open and not yet due at its end",
        ),
        "caliber_overdue_at_end": ("期末超过办理时限仍未办结", "open past the deadline at the period's end"),
        "caliber_open": ("期内上报、尚未办结", "reported in the period, not yet closed"),
        "caliber_overdue": ("期内上报、已超时限未办结", "reported in the period, open past the deadline"),
        "caliber_median_hours": ("上报至办结小时数的中位数", "median hours from report to closure"),
    }
)

# indicator definitions: the trends page, the lifecycle page and the briefing (govdash.indicators)
LABELS.update(
    {
        "def_counting": (
            "工单按上报日期计入统计周期；已解决、办结等状态截至数据时间。最近一期可能未结束，其工单仍在办理中。",
            "A case counts in the period of the day it was reported; its status (resolved, closed) is as of "
            "the data time. The latest period may be incomplete and its cases still open.",
        ),
        "def_collected": ("受理工单：统计周期内上报的工单数。", "Collected: cases reported in the period."),
        "def_resolution_rate": (
            "解决率 = 已解决 ÷ 到期工单（办理期限在本期，或在期限前于本期办结；"
            "未到期的办理中工单不计）。分期趋势同样按各期到期工单计；按维度对比的趋势按上报日期计：已解决 ÷ 受理。",
            "Resolution rate = resolved ÷ cases due (deadline in the period, or closed in it before "
            "the deadline; cases in handling not yet due are left out). The trend by period is over each "
            "period's cases due too; the comparison by a dimension counts by the day reported: resolved ÷ collected.",
        ),
        "def_on_time_rate": (
            "按期办结率 = 在办理时限内（含恰好到期）办结 ÷ 到期工单（分期趋势同）；按维度对比为 ÷ 已办结。",
            "On-time rate = closed by the deadline (exactly at the deadline counts) ÷ cases due (the trend "
            "by period too); the comparison by a dimension ÷ closed.",
        ),
        "def_recognition_rate": (
            "基层认可率 = 社区认可 ÷ 已解决（到期工单中）。",
            "Recognition rate = accepted by the community ÷ resolved (of the cases due).",
        ),
        "def_dispute_rate": (
            "矛盾纠纷化解率 = 已化解的矛盾纠纷 ÷ 到期的矛盾纠纷（同解决率口径；本期无到期纠纷为“—”）。",
            "Dispute resolution rate = disputes resolved ÷ disputes due (as the resolution rate; "
            "“—” when no dispute is due).",
        ),
        "def_satisfaction": (
            "回访满意度：回访评分（0–100）的平均值，未评分不计；民生满意度（测评）是季度测评得分，另列。",
            "Callback satisfaction: mean callback score (0–100) of the rated cases; the survey "
            "satisfaction is the quarterly survey's score, shown apart.",
        ),
        "def_hours": (
            "办结时长：上报至办结的小时数（中位数、90分位）。注意：办结时长≠问题真正解决所需时间——"
            "工单可能在问题根除前办结，也可能因回访而延后办结。",
            "Hours to close: from report to closure (median, 90th percentile). Caveat: time to close is not "
            "time to fix — a case can be closed before the problem is gone, or stay open for the callback.",
        ),
        "def_backlog": (
            "期末在办：统计期末仍未办结的全部工单（不论何时上报）。",
            "Backlog: all cases still open at the end of the period, whenever they were reported.",
        ),
        "def_comparison": (
            "与上期、去年同期比较时，取其期末后同样天数时的办理状态（相同办理时长），避免在办工单使近期显得较差。",
            "Comparisons with the previous period and the same period last year take those cases' progress "
            "the same time after their end (same age), so recent periods with cases in hand do not look worse.",
        ),
    }
)

# page and analysis texts that were written inline per language (issue 14: one table)
LABELS.update(
    {
        "spike_usual": ("常态约{e:.0f}件，为常态{r:.1f}倍", "about {e:.0f} expected, ×{r:.1f}"),
        "spike_rare": ("常态不足1件", "under 1 expected"),
        "spike_date": ("{d:%-m月%-d日}", "{d:%d %b}"),
        "spike_text": (
            "{start}起 {town} {category}：{days}天{n}件（{base}）",
            "From {start}: {category} in {town}, {n} cases in {days} day(s) ({base})",
        ),
        "html_lang": ("zh-CN", "en"),
        "clock_locale": ("zh-CN", "en-GB"),
        "wall_date": ("{now:%Y/%m/%d} {weekday}", "{weekday} {now:%d/%m/%Y}"),
        "n_units": ("{n} 个{what}", "{n} {what}"),
        "median_word": ("中位", "median"),
        "legend_target": ("目标", "target"),
        "legend_all_below": ("全部低于目标", "all below target"),
        "legend_all_above": ("全部达到目标", "all at or above target"),
        "legend_target_line": (
            "目标 {target}（白线）· 红 = 低于目标，蓝 = 高于目标",
            "target {target} (white line) · red below target, blue above",
        ),
        "legend_brighter": ("颜色越亮数值越大", "brighter = more"),
        "legend_min_base": ("不足 {n} 件的单元不着色", "units with < {n} cases: grey"),
        "legend_no_data": ("无数据", "no data"),
        "hours_word": ("开放时间", "Hours"),
        "density_legend": (
            "每 {cell:,.0f} 米方格工单数（平方根色标，回放各帧统一）",
            "Cases per {cell:,.0f} m square (square-root scale, the same for every frame)",
        ),
        "proposed_site": ("建议站点", "Proposed site"),
        "newly_covered": ("新增覆盖", "newly covered"),
        "whatif_added": ("假设新增/迁移", "what-if added / moved"),
        "lang_zh": ("中文", "中文"),
        "lang_en": ("English", "English"),  # each language by its own name
        "preset_7d": ("近7天", "Last 7 days"),
        "preset_30d": ("近30天", "Last 30 days"),
        "preset_90d": ("近90天", "Last 90 days"),
        "preset_365d": ("近一年", "Last year"),
        "preset_all": ("全部", "All"),
        "preset_custom": ("自定义", "Custom"),
        "map_click_hint": (
            "点击地图单元或排名表中的一行即可下钻，并筛选全部页面。",
            "Click a unit on the map or a row of the ranking to drill down and filter every page.",
        ),
        "worst_first": ("需关注的在前", "worst first"),
        "town_ranking_title": ("街镇排名", "Street/town ranking"),
        "community_ranking_title": ("居村排名", "Community ranking"),
        "minute_unit": ("分钟", "min"),
        "heat_squares": ("个方格（上限 {n:,}）", "squares (at most {n:,})"),
        "heat_hover_dot": ("悬停圆点查看工单", "hover a dot for the case"),
        "heat_top_units": ("工单最多的{level}", "Most cases by {level}"),
        "unlocated_cases": (
            "另有 {n:,} 件工单无位置（按所属单元名称定位，不在点位图上）",
            "{n:,} cases without a location (located by their unit's name; not drawn as points)",
        ),
        "unlocated_level": (
            "{n:,} 件工单无位置，只计入上级单元，不在本级地图上",
            "{n:,} cases without a location count only for a higher level, not on this level's map",
        ),
        "heat_points_max": (
            "工单超过 {n:,} 件时只显示方格汇总；缩小时段或区域可查看单个工单。",
            "Above {n:,} cases only squares are drawn; narrow the period or area to see single cases.",
        ),
        "hot_spot_explain": (
            "热点是工单数在统计上显著高于全区平均、且周边方格同样偏高的一片区域（Getis-Ord Gi*，显著性水平 α = 0.05，"
            "已用 Benjamini-Hochberg 方法校正多重检验）；冷点则显著偏低；新出现热点指本期是热点而上一等长时段不是。",
            "A hot spot is an area where the number of cases in a square and its neighbours is significantly higher "
            "than the average of the area shown (Getis-Ord Gi*, α = 0.05 after Benjamini-Hochberg correction for "
            "multiple tests); a cold spot is significantly lower; an emerging hot spot is hot now but was not in the "
            "previous period of equal length.",
        ),
        "repeat_too_many": (
            "所选范围有 {n:,} 件工单，超过 {max:,} 件，请缩短时段或缩小区域。",
            "{n:,} cases selected, more than {max:,}: narrow the period or area.",
        ),
        "repeat_rule": (
            "同一类别在 30 天内被反映 ≥3 次（同一网格内或 100 米内），说明根源问题可能没有解决。",
            "The same category reported ≥ 3 times within 30 days in one grid or within 100 m: "
            "the root cause is probably not fixed.",
        ),
        "dow_mon": ("周一", "Mon"),
        "dow_tue": ("周二", "Tue"),
        "dow_wed": ("周三", "Wed"),
        "dow_thu": ("周四", "Thu"),
        "dow_fri": ("周五", "Fri"),
        "dow_sat": ("周六", "Sat"),
        "dow_sun": ("周日", "Sun"),
        "week_from": ("起一周", "week"),
        "hot_spot": ("热点", "hot spot"),
        "cold_spot": ("冷点", "cold spot"),
        "emerging_hot_spot": ("新出现热点", "emerging hot spot"),
        "emerging_hot_spot_legend": (
            "新出现热点（上期不是热点）",
            "emerging hot spot (not hot in the previous period)",
        ),
        "spot_kind": ("类型", "Kind"),
        "where": ("位置", "Where"),
        "new_bins": ("新出现格", "New"),
        "spot_previous": ("上期", "Previous"),
        "dates": ("时段", "Dates"),
        "rule": ("规则", "Rule"),
        "rule_grid": ("同网格", "grid"),
        "rule_radius": ("100米内", "100 m"),
        "rule_grid_radius": ("同网格·100米", "grid, 100 m"),
        "spot_summary": (
            "{n:,} 个 {cell:,.0f} 米方格（含无工单方格）参与检验：热点 {hot:,} 格，冷点 {cold:,} 格，"
            "新出现热点 {new:,} 格；上期 {a} – {b}。",
            "{n:,} squares of {cell:,.0f} m tested (empty ones included): {hot:,} hot, {cold:,} cold, "
            "{new:,} emerging; previous period {a} – {b}.",
        ),
    }
)

# the wall screen (govdash.wall, govdash.wall_view): short words for reading from across a room
LABELS.update(
    {
        "wall_title": ("{name}城市运行 · 社会治理一屏观", "{name} · operations at a glance"),  # the district's name
        "wall_overdue_at_end": ("超期在办", "Overdue open"),
        "wall_backlog": ("在办", "open"),
        "wall_target": ("目标", "target"),
        "wall_vs_prev": ("较上期", "vs prev."),
        "wall_flat": ("持平", "flat"),
        "wall_demo_badge": ("演示数据", "demo data"),
        "wall_filtered": ("另有{n}项筛选", "{n} more filter(s)"),
        "wall_panel_overview": ("总览", "Overview"),
        "wall_panel_map": ("态势地图", "Map"),
        "wall_panel_trend": ("办结趋势", "Trend"),
        "wall_panel_coverage": ("15分钟服务圈", "15-min circle"),
        "wall_map_title": (
            "街镇态势 · 近{d}天工单密度 · 近{h}小时新工单",
            "Streets/towns · case density {d} days · new cases {h} h",
        ),
        "wall_trend_title": ("解决率与按期办结率 · 近{w}周", "Resolution and on-time rates · last {w} weeks"),
        "wall_trend_note": (
            "解决率、按期办结率按各周到期工单计算（与指标卡口径一致）；本周未满，只显示受理量",
            "resolution and on-time rates are over each week's cases due (as the tiles); "
            "the running week shows volume only",
        ),
        "wall_coverage_title": ("15分钟步行可达服务站的常住人口", "Within a 15-min walk of a station"),
        "wall_coverage_town": ("覆盖率最低的街镇", "Streets/towns with the lowest coverage"),
        "wall_coverage_community": ("覆盖率最低的居村", "Communities with the lowest coverage"),
        "wall_lagging": ("超期在办最多的街镇", "Most overdue open cases"),
        "wall_latest": ("最新工单", "Latest cases"),
        "wall_uncovered": ("未覆盖人口", "residents not covered"),
        "wall_stations": ("服务站", "stations"),
        "wall_status_ok": ("无超期", "none overdue"),
        "wall_status_amber": ("超期 {a}–{b} 件", "{a}–{b} overdue"),
        "wall_status_red": ("超期 ≥{n} 件", "≥{n} overdue"),
        "wall_new_cases": ("新工单", "new cases"),
        "wall_alert_overdue": ("超期", "Overdue"),
        "wall_alerts": ("告警", "ALERTS"),
        "wall_alert_spike": ("异常", "Spike"),
        "wall_no_alerts": ("当前无超期工单和异常告警", "No overdue cases or anomalies"),
        "wall_stale": ("数据延迟", "data delayed"),
        "wall_weekly_collected": ("每周受理", "Collected per week"),
        "wall_day_unit": ("天", " d"),
    }
)

# values in tables and details (issue 19 item 7, issue 17 item 7): no "True"/"False"/"None"/"NaN" on screen
LABELS.update(
    {
        "yes": ("是", "Yes"),
        "no": ("否", "No"),
        "crs_wgs84": ("WGS-84（GPS）", "WGS-84 (GPS)"),
        "crs_gcj02": ("GCJ-02（高德、腾讯地图）", "GCJ-02 (Amap, Tencent Maps)"),
        "crs_bd09": ("BD-09（百度地图）", "BD-09 (Baidu Maps)"),
        "page_of": ("第 {p:,} 页，共 {n:,} 页", "Page {p:,} of {n:,}"),
    }
)
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


# grid management: grid workers, patrols, 主动发现率 (issue 18 item 2; govdash.queries_grid, pages/grid.py)
LABELS.update(
    {
        "page_grid": ("网格管理", "Grid management"),
        "patrol_found_rate": ("主动发现率", "Found on patrol"),
        "patrol_coverage": ("巡查覆盖率", "Patrol coverage"),
        "reports_per_worker": ("人均上报问题", "Issues reported per worker"),
        "residents_per_worker": ("人均服务人口", "Residents per worker"),
        "unit_per_worker": ("件/人", "per worker"),
        "unit_people": ("人", "residents"),
        "def_patrol_found_rate": (
            "主动发现率 = 网格巡查发现的工单 ÷ 全部工单（按上报日期计入本期；巡查发现指来源渠道为网格巡查）。",
            "Found on patrol = cases found by grid patrols ÷ all cases (by the day reported; found "
            "on patrol means the case came through the grid-patrol channel).",
        ),
        "def_patrol_coverage": (
            "巡查覆盖率 = 有巡查记录的网格日 ÷ 网格数 × 天数（本期内自首条巡查记录起至数据时间）。",
            "Patrol coverage = grid-days with a patrol ÷ (grids × days), over the period's days from the first "
            "patrol on record to the data time.",
        ),
        "def_reports_per_worker": (
            "人均上报问题 = 本期巡查上报的问题数 ÷ 在岗网格员（含协管员、公益员）人数。",
            "Issues reported per worker = issues reported on the period's patrols ÷ grid workers on duty "
            "(assistants and volunteers included).",
        ),
        "def_residents_per_worker": (
            "人均服务人口 = 网格常住人口 ÷ 在岗网格员人数（无人在岗的网格不计）。",
            "Residents per worker = the grids' residents ÷ grid workers on duty (grids with nobody on duty show —).",
        ),
        "role_grid_worker": ("网格员", "Grid worker"),
        "role_assistant": ("网格协管员", "Grid assistant"),
        "role_volunteer": ("网格公益员", "Grid volunteer"),
        "grid_no_grids": (
            "本区没有网格层级：先导入网格边界（python -m govdash import units 网格.geojson --level grid），"
            "再导入网格员和巡查记录。",
            "This district has no grid level: import the grid boundaries first (python -m govdash import units "
            "grids.geojson --level grid), then its grid workers and patrols.",
        ),
        "grid_no_data": (
            "尚无网格员和巡查记录：导入后显示巡查覆盖、主动发现率和网格员工作量——"
            "python -m govdash import workers 网格员.csv；python -m govdash import patrols 巡查记录.csv"
            "（或在“数据导入”页上传）。",
            "No grid workers or patrols yet: import them to see patrol coverage, cases found on patrol and "
            "workloads — python -m govdash import workers workers.csv; python -m govdash import patrols "
            "patrols.csv (or upload them on the Import page).",
        ),
        "grid_found_no_patrols": (
            "按来源渠道计算的主动发现率（巡查记录导入前）：",
            "Found on patrol by source channel (before patrol records are imported):",
        ),
        "grid_workers_on_duty": ("在岗网格员", "Workers on duty"),
        "grid_unpatrolled_n": ("连续{n}天未巡查的网格", "Grids not patrolled for {n} days"),
        "grid_days_without": ("未巡查天数 N", "Days without a patrol (N)"),
        "grid_none_unpatrolled": ("所有网格在最近{n}天内都有巡查。", "Every grid was patrolled in the last {n} days."),
        "grid_daily_title": ("每日巡查网格数", "Grids patrolled per day"),
        "grid_found_title": ("主动发现率 · {level}", "Found on patrol · {level}"),
        "grid_workers_title": ("网格员工作量", "Grid workers' workload"),
        "grid_records": ("巡查覆盖率按 {first} 至 {last} 计", "Patrol coverage over {first} to {last}"),
        "grid_unpatrolled_at": ("截至 {at}", "as of {at}"),
        "grid_patrolled": ("已巡查网格", "Grids patrolled"),
        "grid_count": ("网格数", "Grids"),
        "grid_worker_name": ("姓名", "Name"),
        "grid_role": ("角色", "Role"),
        "grid_on_duty": ("在岗", "On duty"),
        "grid_patrols": ("巡查次数", "Patrols"),
        "grid_hours": ("巡查时长(小时)", "Hours on patrol"),
        "grid_route_km": ("巡查里程(公里)", "Route (km)"),
        "grid_reports": ("上报问题", "Issues reported"),
        "grid_residents": ("网格人口", "Grid residents"),
        "grid_last_patrol": ("最近巡查", "Last patrol"),
        "grid_days_since": ("未巡查天数", "Days since"),
        "grid_patrol_found": ("巡查发现", "Found on patrol"),
        "grid_never": ("从未巡查", "never"),
    }
)

# stations at work, 居村 coverage, the property red/black list and the adjusted ranking (issue 18)
LABELS.update(
    {
        "tab_operations": ("服务站运行", "Stations at work"),
        "ops_none": (
            "尚无服务记录：导入服务站服务记录（python -m govdash import station_services 文件）后显示服务量、热门事项、"
            "低于预期使用的服务站与错时延时执行情况。",
            "No service records yet: import them (python -m govdash import station_services FILE) to see services "
            "delivered, the busiest items, stations below their expected use and the extended hours kept.",
        ),
        "ops_services": ("服务人次记录", "Services delivered"),
        "ops_served_residents": ("服务居民人次", "Residents served"),
        "ops_use_ratio": ("使用率（实际÷预期）", "Use (actual ÷ expected)"),
        "ops_expected": ("预期服务记录", "Expected services"),
        "ops_hours": ("错时延时", "Extended hours"),
        "ops_meetings": ("三会场次", "三会 held"),
        "hours_kept": ("已落实", "kept"),
        "hours_not_kept": ("未落实", "not kept"),
        "hours_standard": ("标准时间", "standard hours"),
        "ops_below": ("低于预期使用的服务站", "Stations below expected use"),
        "ops_hours_kept": ("落实错时延时 / 承诺", "Extended hours kept / declared"),
        "ops_meetings_line": (
            "本期三会：听证会 {h} 场、协调会 {c} 场、评议会 {r} 场。",
            "三会 this period: {h} hearings, {c} coordination and {r} review meetings.",
        ),
        "ops_method": (
            "预期服务 = 同级服务站每位服务居民的平均服务记录 × 本站步行服务居民；实际低于预期的 {b:.0%} "
            "即为低于预期（预期不足 {e:.0f} 次不判断）。"
            "承诺错时延时的服务站，本期至少 {k:.0%} 的周在工作日 8:30 前、17:00 后或周末有服务记录，视为已落实。",
            "Expected services = the services per resident served at stations of the same level × the residents "
            "this station serves within the walk; under {b:.0%} of that is below expected use (not judged "
            "under {e:.0f} expected). A station declaring "
            "extended hours keeps them when at least {k:.0%} of the period's weeks saw a service before 8:30, "
            "after 17:00 or on a weekend.",
        ),
        "ops_busiest": ("服务最多的事项", "Busiest service items"),
        "ops_below_list": ("低于预期使用的服务站", "Stations below their expected use"),
        "ops_item": ("服务事项", "Service item"),
        "ops_tier": ("层级", "Tier"),
        "cov_community_share": ("居村覆盖率", "Community coverage"),
        "cov_community_help": (
            "文件所说“覆盖全区”指每个居村都有一个家门口服务站；上方为15分钟步行覆盖的居民占比。",
            "The documents' “covers the whole district” means every community has a doorstep station; the "
            "figure above is the share of residents within the walk.",
        ),
        "cov_community_without": ("名居民所在居村无服务站", "residents in communities without one"),
        "prop_red_short": ("红榜", "Red"),
        "prop_black_short": ("黑榜", "Black"),
        "hearing": ("听证会", "Hearing"),
        "coordination": ("协调会", "Coordination meeting"),
        "review": ("评议会", "Review meeting"),
        "rank_property": ("物业红黑榜", "Property companies"),
        "prop_none": (
            "尚无小区与物业公司数据：导入 estates 与 property_companies（python -m govdash import estates 文件）"
            "后按物业公司排名。",
            "No estates or property companies yet: import them (python -m govdash import estates FILE) to rank "
            "the companies.",
        ),
        "prop_method": (
            "每千户投诉 = 本期物业类投诉（{cats}）÷ 所管小区户数 × 1000；投诉归入同一居村内 {m:,.0f} 米内最近的小区。"
            "红榜为每千户投诉最少的 {n} 家，黑榜为最多的 {n} 家；所管户数少于 {h:,} 户不排名。"
            "预警线：每千户 {w:.2f} 件（全区比率的 {x:.1f} 倍）。",
            "Complaints per 1,000 households = property complaints this period ({cats}) ÷ households of the "
            "estates a company manages × 1,000; a complaint goes to the nearest estate within {m:,.0f} m in the "
            "same community. Red list: the {n} lowest; black list: the {n} highest; companies managing fewer "
            "than {h:,} households are not ranked. Warning line: {w:.2f} per 1,000 households ({x:.1f}× the "
            "district's rate).",
        ),
        "prop_unassigned": (
            "{n:,} 件物业类投诉附近无小区，未计入。",
            "{n:,} property complaints had no estate nearby and are not counted.",
        ),
        "prop_company": ("物业公司", "Property company"),
        "prop_estates": ("小区数", "Estates"),
        "prop_households": ("管理户数", "Households"),
        "prop_complaints": ("物业投诉", "Complaints"),
        "prop_rate": ("每千户投诉", "Per 1,000 households"),
        "prop_warning": ("预警", "Warning"),
        "prop_warned": ("超预警线", "over the line"),
        "prop_trend": ("每千户投诉月度趋势", "Complaints per 1,000 households by month"),
        "prop_red": ("物业红榜（投诉最少）", "Property red list (fewest complaints)"),
        "prop_black": ("物业黑榜（投诉最多，预警）", "Property black list (most complaints, warning)"),
        "casemix_method": (
            "个案结构调整：每个对象的解决率、按期办结率、认可率、化解率、办结时长与满意度，与全区同类问题的水平比较"
            "（间接标准化：实际 ÷ 按全区各类别水平计算的预期），再按经验贝叶斯向全区水平收缩（件数少的对象收缩多），"
            "几件工单不会使名次大幅跳动；受理少于 {min_cases} 件不排名。",
            "Case-mix adjustment: each unit's resolution, on-time, recognition and dispute rates, hours to close "
            "and satisfaction are compared with the district's level for the same categories (indirect "
            "standardisation: observed ÷ expected at the district's rate per category), then shrunk toward the "
            "district (empirical Bayes: units with few cases move most), so a handful of cases cannot swing a "
            "rank; fewer than {min_cases} cases are not ranked.",
        ),
    }
)

# the period reports (govdash.briefing, govdash.periods) and 挂牌督办 decisions (govdash.supervision)
LABELS.update(
    {
        "report_title_week": ("基层社会治理周例会简报", "Weekly Meeting Briefing on Grassroots Governance"),
        "report_title_month": ("基层社会治理月研判简报", "Monthly Review Briefing on Grassroots Governance"),
        "report_title_quarter": ("基层社会治理季度总结", "Quarterly Summary of Grassroots Governance"),
        "report_title_year": ("基层社会治理年度考核报告", "Annual Assessment Report on Grassroots Governance"),
        "report_kind_week": ("周例会", "Weekly meeting"),
        "report_kind_month": ("月研判", "Monthly review"),
        "report_kind_quarter": ("季总结", "Quarterly summary"),
        "report_kind_year": ("年考核", "Annual assessment"),
        "period_label_week": ("{wy}年第{w}周", "Week {w} of {wy}"),
        "period_label_month": ("{y}年{m}月", "{y}-{m:02d}"),
        "period_label_quarter": ("{y}年第{q}季度", "Q{q} {y}"),
        "period_label_year": ("{y}年", "{y}"),
        "this_week": ("本周", "This week"),
        "previous_week": ("上周", "Previous week"),
        "this_quarter": ("本季度", "This quarter"),
        "previous_quarter": ("上季度", "Previous quarter"),
        "this_year": ("本年", "This year"),
        "partial_week": ("本周尚未结束，数据截至", "The week is not over; data up to"),
        "partial_month": ("本月尚未结束，数据截至", "The month is not over; data up to"),
        "partial_quarter": ("本季度尚未结束，数据截至", "The quarter is not over; data up to"),
        "partial_year": ("本年度尚未结束，数据截至", "The year is not over; data up to"),
        "sec_trends_week": ("近13周趋势", "Last 13 weeks"),
        "sec_trends_month": ("近13个月趋势", "Last 13 months"),
        "sec_trends_quarter": ("近8个季度趋势", "Last 8 quarters"),
        "sec_trends_year": ("近24个月趋势", "Last 24 months"),
        "report_judged_note": (
            "图中解决率、按期办结率按各期到期工单计算（与主要指标口径一致）；其余指标按上报日期计入各期。",
            "The charts' resolution and on-time rates are over each period's cases due (as the headline table); "
            "the other indicators count cases in the period they were reported.",
        ),
        "trend_judged_note": (
            "口径：解决率、按期办结率按各期到期工单计算（与上方卡片一致）；受理量、办结量等按上报日期计入各期。",
            "Basis: resolution and on-time rates are over each period's cases due (as the cards above); "
            "collected, closed and the other counts go by the day reported.",
        ),
        "report_period": ("报告类型", "Report"),
        "report_which": ("统计期", "Period"),
        "report_format": ("格式", "Format"),
        "download_report": ("下载{kind}报告（{fmt}）", "Download {kind} report ({fmt})"),
        "pdf_unavailable": (
            "本服务器未安装 Chromium 与中文字体，只能下载 HTML（浏览器中打开后可打印为 PDF）。",
            "This server has no Chromium and Chinese font: HTML only (open it and print to PDF in the browser).",
        ),
        "list_numerals": ("一,二,三,四,五,六,七,八,九,十", "1,2,3,4,5,6,7,8,9,10"),  # the size of a ranking's lists
        "bottom_note": (
            "{title}是按综合得分排出的名单，不是处理决定；挂牌督办由检查后作出决定，记录见“挂牌督办”。",
            "“{title}” is a list by score, not a verdict; listed supervision is a decision "
            "taken after inspection, recorded under “Listed supervision”.",
        ),
        "sec_supervision": ("挂牌督办", "Listed supervision"),
        "sup_title": ("挂牌督办决定", "Listed supervision decisions"),
        "sup_none": (
            "截至本期末没有记录挂牌督办决定。",
            "No listed-supervision decision recorded up to the period end.",
        ),
        "sup_intro": (
            "挂牌督办是检查后作出的决定：记录由谁、何时、对哪个街镇或部门、因何督办。排名靠后不等于挂牌督办。",
            "Listed supervision is a decision taken after inspection: record who decided, when, which "
            "street/town or department, and why. A low rank places no one under supervision by itself.",
        ),
        "sup_decided_on": ("决定日期", "Decided on"),
        "sup_level": ("对象类型", "Kind"),
        "sup_unit": ("督办对象", "Unit"),
        "sup_decided_by": ("决定人/会议", "Decided by"),
        "sup_reason": ("督办事由", "Reason"),
        "sup_add": ("记录挂牌督办决定", "Record a decision"),
        "sup_saved": ("已记录第{n}号决定。", "Decision {n} recorded."),
        "sup_failed": (
            "未记录：请检查“{e}”（必填，最多500字；日期不晚于今天）。",
            "Not recorded: check “{e}” (required, at most 500 characters; the date not after today).",
        ),
    }
)


# 八必报 and 重点难点 (govdash.mustreport, govdash.keycases): the overview's panel, the wall's panel, the reports
LABELS.update(
    {
        "mr_title": ("八必报", "The eight must-report items"),
        "mr_item": ("上报事项", "Item"),
        "mr_cases": ("件数", "Cases"),
        "mr_open": ("未办结", "Open"),
        "mr_report_hours": ("发现→上报（中位）", "Found → reported (median)"),
        "mr_response_hours": ("发现→首次响应（中位）", "Found → first response (median)"),
        "mr_hours_unit": ("小时", "h"),
        "mr_days_unit": ("天", "d"),
        "mr_by_town": ("按街镇", "By street/town"),
        "mr_by_grid": ("按网格", "By grid"),
        "mr_total": (
            "本期网格员必报事项 {n} 件：发现→上报中位 {report}，发现→首次响应中位 {response}。",
            "{n} must-report items found this period: found → reported {report}, found → first response "
            "{response} (medians).",
        ),
        "mr_none": (
            "本期无八必报事项（导入的工单未标注必报事项）。",
            "No must-report items this period (the imported cases carry none).",
        ),
        "mr_caliber": (
            "口径：发现时间为登记时间，上报为派遣时间，首次响应为处置时间；中位数只计已到该环节的事项。",
            "Basis: found = registered, reported = dispatched, first response = handled; medians over the items "
            "that reached that step.",
        ),
        "kc_title": ("重点难点", "Key difficult cases"),
        "kc_status": ("状态", "Status"),
        "kc_owner": ("责任单位", "Owner"),
        "kc_age_days": ("已历时（天）", "Age (days)"),
        "kc_resolved": ("已化解", "Resolved"),
        "kc_clear_path": ("有明确路径", "Clear path"),
        "kc_special_push": ("需专项推进", "Special push"),
        "kc_unassessed": ("待研判", "Not yet assessed"),
        "kc_oldest_open": ("历时最长的未化解事项", "Oldest unresolved"),
        "kc_total": ("共 {n} 件", "{n} in all"),
        "kc_none": ("暂无重点难点事项。", "No key difficult cases."),
        "wall_panel_must_report": ("八必报", "Must-report"),
        "wall_mr_items": ("八必报 · 本期各事项", "Must-report items this period"),
        "wall_mr_towns": ("必报事项最多的街镇", "Streets/towns with most items"),
        "wall_mr_none": ("本期无八必报事项", "No must-report items this period"),
    }
)
