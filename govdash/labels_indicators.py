"""Labels of the indicators: headline tiles, their 口径 notes, definitions and table values.

Part of the one label table (govdash.i18n.LABELS): key -> (中文, English)."""

LABELS: dict[str, tuple[str, str]] = {
    # the leader's headline (docs/indicators.md): the indicators beside the cases and each tile's 口径 note
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
    "caliber_backlog": (
        "期末（本期未完为现在）仍未办结的全部工单，不论何时受理",
        "every case open at the period's end (now, while it runs), whenever reported",
    ),
    "caliber_overdue_at_end": (
        "期末（本期未完为现在）超过办理时限仍未办结的全部工单，不论何时受理",
        "every case open past its deadline at the period's end (now, while it runs), whenever reported",
    ),
    "caliber_open": ("本期受理、尚未办结", "reported in the period, not yet closed"),
    "caliber_overdue": ("本期受理、已超时限未办结", "reported in the period, open past the deadline"),
    "caliber_median_hours": ("上报至办结小时数的中位数", "median hours from report to closure"),
    # indicator definitions: the trends page, the lifecycle page and the briefing (govdash.indicators)
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
        "在办（全部）：统计期末（本期未完为现在）仍未办结的全部工单，不论何时受理；超期在办（全部）是其中已过办理时限"
        "的。在办（本期受理）、超期在办（本期受理）只计本期受理的工单。",
        "Open (all): every case still open at the period's end (now, while it runs), whenever it was reported; "
        "overdue open (all) are those past their deadline. Open and overdue open (reported in period) count "
        "only the period's own cases.",
    ),
    "def_comparison": (
        "与上期、去年同期比较时，取其期末后同样天数时的办理状态（相同办理时长），避免在办工单使近期显得较差。",
        "Comparisons with the previous period and the same period last year take those cases' progress "
        "the same time after their end (same age), so recent periods with cases in hand do not look worse.",
    ),
    # values in tables and details (issue 19 item 7, issue 17 item 7): no "True"/"False"/"None"/"NaN" on screen
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "crs_wgs84": ("WGS-84（GPS）", "WGS-84 (GPS)"),
    "crs_gcj02": ("GCJ-02（高德、腾讯地图）", "GCJ-02 (Amap, Tencent Maps)"),
    "crs_bd09": ("BD-09（百度地图）", "BD-09 (Baidu Maps)"),
    "page_of": ("第 {p:,} 页，共 {n:,} 页", "Page {p:,} of {n:,}"),
}
