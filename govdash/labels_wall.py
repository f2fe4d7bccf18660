"""Labels of the wall screen: short words for reading from across a room.

Part of the one label table (govdash.i18n.LABELS): key -> (中文, English)."""

LABELS: dict[str, tuple[str, str]] = {
    # the wall screen (govdash.wall, govdash.wall_view): short words for reading from across a room
    "wall_title": ("{name}城市运行 · 社会治理一屏观", "{name} · operations at a glance"),  # the district's name
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
    "wall_map_title_community": (
        "居村态势 · 近{d}天工单密度 · 近{h}小时新工单",
        "Community · case density {d} days · new cases {h} h",
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
    "wall_lagging": ("超期在办（全部）最多的街镇", "Most overdue open (all)"),
    "wall_latest": ("最新工单", "Latest cases"),
    "wall_uncovered": ("未覆盖人口", "residents not covered"),
    "wall_doorstep": ("家门口服务站", "doorstep stations"),  # named apart from the centres (issue 19 item 3)
    "wall_centres": ("街镇服务中心", "street/town centres"),
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
