"""Labels of the organisation at work: grid workers and patrols, stations, property list, reports, 八必报.

Part of the one label table (govdash.i18n.LABELS): key -> (中文, English)."""

LABELS: dict[str, tuple[str, str]] = {
    # grid management: grid workers, patrols, 主动发现率 (issue 18 item 2; govdash.queries_grid, pages/grid.py)
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
    "grid_workers_order": ("排序", "Order"),
    "most_reports": ("上报问题最多在前", "Most issues reported first"),
    "fewest_patrols": ("巡查最少在前（在岗）", "Fewest patrols first (on duty)"),
    "grid_workers_cut": (
        "列出 {n:,} / {total:,} 名网格员；在筛选栏选择街镇或居村可列出其全部网格员。",
        "{n:,} of {total:,} grid workers listed; choose a street/town or community in the filter to list all of "
        "theirs.",
    ),
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
    # stations at work, 居村 coverage, the property red/black list and the adjusted ranking (issue 18)
    "tab_operations": ("服务站运行", "Stations at work"),
    "ops_none": (
        "尚无服务记录：导入服务站服务记录（python -m govdash import station_services 文件）后显示服务量、热门事项、"
        "低于预期使用的服务站与错时延时执行情况。",
        "No service records yet: import them (python -m govdash import station_services FILE) to see services "
        "delivered, the busiest items, stations below their expected use and the extended hours kept.",
    ),
    "ops_services": ("服务人次记录", "Services delivered"),
    "ops_served_residents": ("服务居民人次", "Resident visits"),  # 人次: visits (服务人口 is "Residents served")
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
    "red_badge": ("红榜", "Red"),  # a unit on a red/black list (property companies, banded rankings)
    "black_badge": ("黑榜", "Black"),
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
        "（间接标准化：实际 ÷ 按全区各类别水平计算的预期），再按经验贝叶斯向全区水平收缩（件数少的对象收缩多）。",
        "Case-mix adjustment: each unit's resolution, on-time, recognition and dispute rates, hours to close "
        "and satisfaction are compared with the district's level for the same categories (indirect "
        "standardisation: observed ÷ expected at the district's rate per category), then shrunk toward the "
        "district (empirical Bayes: units with few cases move most).",
    ),
    "band_method": (
        "名次按档：每个对象的综合得分有一个区间（±{z} 个标准差，由收缩后的后验方差算出）；从得分最高者起，"
        "区间与本档第一名的区间重叠的对象同档，不重叠的另起一档。同档对象的差别在偶然波动之内，名次相同；"
        "名次变化只计档的升降。红榜只列得分区间整体高于全区水平（{district}）的对象，黑榜只列整体低于全区水平的对象，"
        "各最多 {n} 个。受理少于 {min_cases} 件不排名。",
        "Ranks are bands: each unit's score has an interval (±{z} standard deviations, from the shrunk "
        "posterior variance); from the best score down, a unit whose interval overlaps that of its band's first "
        "unit shares the band, otherwise it opens the next. Units in one band differ within chance and share "
        "the rank; rank change counts band moves only. The red list names only units whose whole interval lies "
        "above the district's own score ({district}), the black list only those wholly below it, at most {n} "
        "each. Fewer than {min_cases} cases are not ranked.",
    ),
    "rank_band": ("档次", "Band"),
    "band_n": ("第{n}档", "band {n}"),
    "score_range": ("得分区间", "Score interval"),
    "red_list_apart": ("红榜：明显好于全区（{n}个）", "Red list: clearly better than the district ({n})"),
    "black_list_apart": ("黑榜：明显差于全区（{n}个）", "Black list: clearly worse than the district ({n})"),
    "black_list_word": ("黑榜", "Black list"),  # the bottom note's name for the list of units apart
    "list_none_apart": (
        "没有与全区水平有可分辨差别的对象",
        "No unit differs from the district beyond chance",
    ),
    # the period reports (govdash.briefing, govdash.periods) and 挂牌督办 decisions (govdash.supervision)
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
    # 八必报 and 重点难点 (govdash.mustreport, govdash.keycases): the overview's panel, the wall's panel, the reports
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
