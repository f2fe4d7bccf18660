"""Labels in Chinese and English from one table; place names stay Chinese."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    # product
    "app_title": ("浦东社会治理运行看板", "Pudong Social Governance Dashboard"),
    "synthetic": ("演示数据：本页数据为合成数据，非真实工单。", "Demo data: everything on this page is synthetic, not real cases."),
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
    "satisfaction": ("满意度", "Satisfaction"),
    "open": ("在办工单", "Open cases"),
    "overdue": ("超期在办", "Overdue open"),
    "median_hours": ("办结时长中位数(小时)", "Median hours to close"),
    "cases_per_1000": ("每千人工单", "Cases per 1,000 residents"),
    "residents": ("常住人口", "Residents"),
    "vs_previous": ("较上期", "vs previous period"),
    # units and things
    "district": ("全区", "District"),
    "station": ("家门口服务站", "Doorstep station"),
    "centre": ("街镇服务中心", "Street/town service centre"),
    "case": ("工单", "Case"),
    "export_csv": ("导出CSV", "Export CSV"),
    "rows": ("条", "rows"),
    "page": ("页", "Page"),
    "description": ("问题描述", "Description"),
    "reported_at": ("上报时间", "Reported"),
    "closed_at": ("办结时间", "Closed"),
    "deadline_at": ("办理时限", "Deadline"),
    "status": ("状态", "Status"),
    "tier": ("处置层级", "Escalation tier"),
    "address": ("地址", "Address"),
    "complainant": ("诉求人", "Complainant"),
    "phone": ("电话", "Phone"),
    "indicator": ("指标", "Indicator"),
    "level": ("层级", "Level"),
    "ranking": ("排名", "Ranking"),
    "cases": ("工单数", "Cases"),
    "by_period": ("统计周期", "Period"),
    "day": ("日", "Day"), "week": ("周", "Week"), "month": ("月", "Month"), "quarter": ("季度", "Quarter"),
    "year": ("年", "Year"),
    "coverage_share": ("15分钟步行覆盖率", "Residents within a 15-minute walk"),
    "minutes": ("步行分钟", "Walking minutes"),
    "stations_layer": ("显示服务站", "Show stations"),
    # vocabularies
    "hotline_12345": ("12345热线", "12345 hotline"),
    "hotline_12349": ("12349社区热线", "12349 community hotline"),
    "grid_patrol": ("网格巡查", "Grid patrol"),
    "camera_iot": ("视频物联感知", "Camera / IoT"),
    "walk_in": ("窗口来访", "Walk-in"),
    "survey": ("大调研", "Door-to-door survey"),
    "app": ("移动端", "App"),
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


def t(key: str, lang: str = "zh") -> str:
    """The label for ``key`` in ``lang`` ('zh' or 'en'); the key itself when unknown."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def bilingual(key: str) -> str:
    """'中文 English' for legends read by both audiences."""
    zh, en = LABELS.get(key, (key, key))
    return f"{zh} {en}"
