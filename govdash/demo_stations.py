"""The demo's stations at work and its property: service catalogue, services, 三会, estates and companies."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

# 147 service items (DOMAIN.md: 26 departments, three tiers) as (department, tier, zh, en); tiers:
# b = 底线民生 baseline, m = 基本民生 basic, q = 质量民生 quality
_ITEMS = """
D01 m 违法搭建举报受理|Illegal-structure reports
D01 m 占道经营投诉受理|Street-stall complaints
D01 q 城市管理法规宣传|City-management law outreach
D01 m 渣土偷倒举报|Construction-waste dumping reports
D02 m 住宅小区道路维修申报|Estate road repairs
D02 m 公交线路意见征询|Bus-route consultation
D02 q 非机动车停放点设置申请|Bike-parking spots
D02 m 老旧住宅加装电梯咨询|Lift retrofit advice
D02 q 慢行步道建设意见征询|Footpath consultation
D03 m 噪声扰民投诉受理|Noise complaints
D03 q 环保志愿活动报名|Green volunteering
D03 m 油烟污染投诉|Cooking-fume complaints
D03 q 生态环境科普讲座|Environment talks
D04 b 最低生活保障申请|Minimum living allowance
D04 b 特困人员供养申请|Extreme-poverty support
D04 b 临时救助申请|Emergency assistance
D04 m 老年人综合津贴申领|Elderly allowance
D04 m 长者食堂助餐登记|Elderly canteen meals
D04 m 居家养老服务申请|Home-care services
D04 m 婚姻登记预约|Marriage registration booking
D04 q 社区睦邻点活动|Neighbourhood club activities
D04 q 养老顾问咨询|Elderly-care advice
D04 b 困境儿童保障|Children in hardship support
D05 m 家庭医生签约|Family doctor sign-up
D05 m 老年人健康体检预约|Elderly health check booking
D05 m 慢性病随访|Chronic-disease follow-up
D05 m 预防接种咨询|Vaccination advice
D05 q 健康自我管理小组|Health self-management group
D05 q 中医养生讲座|Chinese-medicine talks
D05 m 出生医学证明咨询|Birth certificate advice
D06 m 居住证办理|Residence permit
D06 m 户籍证明开具|Household-register certificate
D06 m 身份证办理咨询|ID card advice
D06 m 出租房屋登记|Rental-home registration
D06 q 防诈骗宣传|Anti-fraud outreach
D07 m 消费投诉调解|Consumer-complaint mediation
D07 m 个体工商户登记咨询|Sole-trader registration advice
D07 q 食品安全宣传|Food-safety outreach
D07 m 电梯安全隐患报修|Lift safety reports
D08 b 失业登记|Unemployment registration
D08 b 失业保险金申领|Unemployment benefit
D08 m 就业援助登记|Job assistance
D08 m 社保卡申领补换|Social security card
D08 m 退休人员资格认证|Pension eligibility check
D08 m 灵活就业参保登记|Flexible-work insurance
D08 q 职业技能培训报名|Skills-training sign-up
D08 m 劳动争议咨询|Labour-dispute advice
D08 q 创业指导|Start-up guidance
D09 m 入学咨询|School enrolment advice
D09 m 托育机构信息咨询|Nursery information
D09 q 课后看护（爱心暑托班）|After-school and summer care
D09 q 家庭教育指导|Parenting guidance
D09 b 学生资助申请|Student financial aid
D10 b 廉租住房申请|Low-rent housing
D10 b 公共租赁住房申请|Public rental housing
D10 m 住房维修资金使用咨询|Repair-fund advice
D10 m 物业服务投诉受理|Property-service complaints
D10 m 业主大会筹备指导|Owners' assembly guidance
D10 m 群租整治举报|Group-renting reports
D10 m 旧住房修缮咨询|Old-housing repair advice
D11 m 农村宅基地建房咨询|Rural housing-plot advice
D11 q 规划公示意见征询|Planning consultation
D11 m 不动产登记咨询|Property registration advice
D12 b 应急避难场所指引|Emergency shelter guidance
D12 m 安全隐患举报|Safety-hazard reports
D12 q 应急演练报名|Emergency drill sign-up
D12 q 防灾减灾宣传|Disaster-prevention outreach
D13 m 垃圾分类指导|Garbage-sorting guidance
D13 m 大件垃圾预约清运|Bulky-waste collection booking
D13 m 绿化养护报修|Greenery upkeep reports
D13 q 社区花园认领|Community garden plots
D13 m 装修垃圾清运申请|Renovation-waste collection
D14 m 积水点报修|Flooding reports
D14 m 供水水压问题反映|Water-pressure problems
D14 q 节水宣传|Water-saving outreach
D14 m 河道保洁投诉|River-cleaning complaints
D15 m 消防隐患举报|Fire-hazard reports
D15 m 电动自行车充电设施咨询|E-bike charging points
D15 q 消防安全培训|Fire-safety training
D15 b 独居老人烟感报警器安装|Smoke alarms for elderly living alone
D16 m 信访事项登记|Petition registration
D16 m 人民建议征集|Citizens' suggestions
D16 m 矛盾纠纷排查登记|Dispute screening
D16 q 领导接待日预约|Leaders' reception day booking
D17 m 法律援助申请|Legal aid
D17 m 人民调解|People's mediation
D17 m 公证咨询|Notary advice
D17 q 法律讲座|Legal talks
D17 m 社区矫正报到|Community-correction check-in
D17 b 特殊人群帮教|Support for released persons
D18 q 文化活动场地预约|Cultural-venue booking
D18 q 图书借阅|Library lending
D18 q 群众文艺团队报名|Amateur arts groups
D18 q 健身指导|Fitness guidance
D18 q 非遗体验活动|Intangible-heritage workshops
D18 q 公益电影放映|Free film screenings
D19 b 医疗救助申请|Medical assistance
D19 m 医保报销咨询|Medical reimbursement advice
D19 m 城乡居民医保参保登记|Residents' medical insurance
D19 m 长期护理保险评估申请|Long-term-care assessment
D19 b 大病保险咨询|Critical-illness insurance
D20 m 农业补贴申报|Farm subsidies
D20 m 土地承包经营权咨询|Land-contract advice
D20 q 农技培训|Farming-skills training
D20 q 美丽乡村建设意见征询|Village improvement consultation
D21 q 家政服务对接|Home-help services
D21 m 社区菜场意见反映|Community market feedback
D21 q 社区商业便民点咨询|Convenience-shop advice
D22 m 价格投诉受理|Price complaints
D22 b 困难群众价格补贴发放|Price subsidies for hardship
D22 q 公共服务满意度征询|Public-service satisfaction survey
D23 q 科普活动|Science outreach
D23 q 智能手机使用培训（老年人）|Smartphone classes for elderly
D23 m 小微企业政策咨询|Small-business policy advice
D24 b 优抚对象抚恤补助|Veterans' pensions
D24 m 退役军人服务登记|Veterans' registration
D24 m 退役军人就业帮扶|Veterans' job support
D24 q 光荣牌悬挂|Honour plaques
D25 b 妇女儿童权益维护|Women's and children's rights
D25 m 家庭暴力求助|Domestic-violence help
D25 q 妇女技能培训|Women's skills training
D25 q 亲子阅读活动|Parent-child reading
D25 m 婚姻家庭调解|Family mediation
D26 b 残疾人证办理|Disability card
D26 b 重度残疾人护理补贴|Severe-disability care allowance
D26 m 残疾人就业帮扶|Disability job support
D26 m 辅助器具适配申请|Assistive devices
D26 q 阳光家园日间照料|Day care for disabled
D04 b 高龄老人营养补贴|Nutrition subsidy for the very old
D04 m 养老机构入住评估|Care-home assessment
D05 b 重大疾病筛查|Major-disease screening
D08 b 就业困难人员认定|Hard-to-employ status
D10 b 住房困难家庭认定|Housing-hardship status
D12 b 自然灾害救助|Disaster relief
D04 b 残疾老人护理补贴|Care allowance for disabled elderly
D06 b 流浪乞讨人员救助指引|Help for homeless persons
D16 b 突发矛盾应急调处|Urgent dispute handling
D17 b 刑满释放人员安置帮教|Resettlement of released persons
D19 b 医疗救助一站式结算|One-stop medical assistance
D24 b 困难退役军人帮扶|Veterans in hardship
D26 b 残疾人两项补贴|Two disability allowances
D05 b 传染病防控咨询|Infectious-disease advice
D09 b 随迁子女入学保障|Migrant children's schooling
D21 m 老字号便民服务|Heritage-shop services
D15 b 火灾隐患上门排查|Home fire-hazard checks
D13 b 特殊困难家庭生活垃圾上门收集|Waste pickup for households in hardship
D03 b 饮用水安全咨询|Drinking-water safety
"""
TIER_CODE = {"b": "baseline", "m": "basic", "q": "quality"}
# what residents ask for most at a doorstep station (four times an item's random popularity), and the rural
# items a mostly urban district rarely serves (a third of it)
BUSY = ("社保卡申领补换", "医保报销咨询", "居住证办理", "老年人综合津贴申领", "长者食堂助餐登记", "家庭医生签约",
        "垃圾分类指导", "人民调解", "图书借阅", "文化活动场地预约", "出租房屋登记", "老年人健康体检预约")  # fmt: skip
RURAL = ("农业补贴申报", "土地承包经营权咨询", "农技培训", "农村宅基地建房咨询", "美丽乡村建设意见征询")
# relative use of an item's tier (records per offered item), residents per record by tier
TIER_USE = {"baseline": 0.6, "basic": 1.0, "quality": 0.8}
TIER_PEOPLE = {"baseline": 1.5, "basic": 2.5, "quality": 9.0}
UNDERUSED = 0.06  # share of stations with little use (one third of their expected records)
NOT_KEPT = 0.15  # share of stations declaring 错时延时 that keep no evening or weekend hours
MEETINGS_PER_YEAR = {"hearing": 1.5, "coordination": 6.0, "review": 3.0}  # per doorstep station; centres twice
ATTENDANCE = {"hearing": (15, 60), "coordination": (5, 20), "review": (10, 40)}
TOPICS = {
    "hearing": ["加装电梯方案", "小区停车收费调整", "旧住房综合改造方案", "垃圾厢房选址", "物业费调整"],
    "coordination": ["群租整治", "楼道堆物清理", "飞线充电整治", "邻里噪声纠纷", "绿化改造施工", "违章搭建拆除"],
    "review": ["物业服务评议", "家门口服务站服务评议", "为民办实事项目评议", "居委会年度工作评议"],
}
COMPANIES = [
    ("P01", "上海陆家嘴物业管理有限公司", "Lujiazui Property Management"),
    ("P02", "上海浦东物业管理有限公司", "Pudong Property Management"),
    ("P03", "上海东湖物业管理有限公司", "Donghu Property Management"),
    ("P04", "上海上房物业服务股份有限公司", "Shangfang Property Services"),
    ("P05", "万科物业服务有限公司", "Vanke Property Services"),
    ("P06", "绿城物业服务集团有限公司", "Greentown Service"),
    ("P07", "保利物业服务股份有限公司", "Poly Property Services"),
    ("P08", "中海物业管理有限公司", "China Overseas Property"),
    ("P09", "碧桂园生活服务集团股份有限公司", "Country Garden Services"),
    ("P10", "上海金桥物业管理有限公司", "Jinqiao Property Management"),
    ("P11", "上海张江物业管理有限公司", "Zhangjiang Property Management"),
    ("P12", "上海三林物业管理有限公司", "Sanlin Property Management"),
    ("P13", "上海川沙物业服务有限公司", "Chuansha Property Services"),
    ("P14", "上海惠南物业管理有限公司", "Huinan Property Management"),
    ("P15", "上海周浦物业管理有限公司", "Zhoupu Property Management"),
    ("P16", "上海高桥物业服务有限公司", "Gaoqiao Property Services"),
    ("P17", "上海古北物业管理有限公司", "Gubei Property Management"),
    ("P18", "上海明华物业管理有限公司", "Minghua Property Management"),
    ("P19", "长城物业集团股份有限公司", "Great Wall Property"),
    ("P20", "上海康桥物业管理有限公司", "Kangqiao Property Management"),
    ("P21", "上海永升物业管理有限公司", "Yongsheng Property Management"),
    ("P22", "上海新场物业管理有限公司", "Xinchang Property Management"),
    ("P23", "上海科瑞物业管理发展有限公司", "Kerui Property Management"),
    ("P24", "上海佳源物业服务有限公司", "Jiayuan Property Services"),
]
ESTATE_SUFFIX = np.array(["花园", "新村", "苑", "公寓", "小区", "家园", "名邸", "雅苑", "佳苑", "华庭"])
PERSONS_PER_HOUSEHOLD = 2.6
RESIDENTS_PER_ESTATE = 2_500  # one estate for this many residents of an urban 居委 (villages: one per 居村)


def catalogue(stations: pd.DataFrame, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 147 service items by department and tier, and which each station offers.

    A centre offers every item; a doorstep station each baseline item with probability 0.9, basic
    0.5, quality 0.2 (one draw per item and station, so the demo's random stream is as before).
    """
    rows = [line.split(" ", 2) for line in _ITEMS.strip().splitlines()]
    items = pd.DataFrame(
        {
            "item_id": [f"I{i + 1:03d}" for i in range(len(rows))],
            "name_zh": [r[2].split("|")[0] for r in rows],
            "name_en": [r[2].split("|")[1] for r in rows],
            "tier": [TIER_CODE[r[1]] for r in rows],
            "department_id": [r[0] for r in rows],
        }
    )
    base = items["tier"].map({"baseline": 0.9, "basic": 0.5, "quality": 0.2}).to_numpy()
    draws = rng.random((len(stations), len(items)))  # row-major: the same draws as one station at a time
    p = np.where((stations["level"] == "centre").to_numpy()[:, None], 1.0, base[None, :])
    si, ii = np.nonzero(draws < p)
    pairs = pd.DataFrame(
        {"station_id": stations["station_id"].to_numpy()[si], "item_id": items["item_id"].to_numpy()[ii]}
    )
    return items, pairs


def station_weights(stations: pd.DataFrame, units: pd.DataFrame) -> np.ndarray:
    """Residents each station serves for the demo's volumes: its 居村's residents shared among the 居村's
    doorstep stations; a centre a tenth of its street/town."""
    res = units.set_index(["level", "unit_id"])["residents"]
    com = stations["community_id"].map(lambda c: res.get(("community", c), 0) if c is not None else 0)
    per_com = stations[stations["level"] == "doorstep"].groupby("community_id")["station_id"].transform("size")
    share = pd.Series(1.0, index=stations.index)
    share.loc[per_com.index] = per_com
    town = stations["town_id"].map(lambda t: res.get(("town", t), 0))
    w = np.where(stations["level"] == "centre", town / 10.0, com / share)
    return np.asarray(w, float)


def services(
    stations: pd.DataFrame,
    pairs: pd.DataFrame,
    items: pd.DataFrame,
    weights: np.ndarray,
    start: datetime,
    end: datetime,
    per_day: float,
    rng,
) -> pd.DataFrame:
    """Service records (station_id, item, tier, served_at, residents), vectorised.

    ``per_day`` records on an average station's weekday, in proportion to the residents it serves
    (``weights``); UNDERUSED stations see a third of that. Stations keeping 错时延时 serve on
    weekends and until 20:00 on weekdays; the NOT_KEPT share of those declaring it do not.
    """
    days = pd.date_range(start.date(), end.date(), freq="D")
    n = len(stations)
    rel = weights / max(weights.mean(), 1.0)  # in proportion to the residents served, as expected use assumes
    rel = rel * np.where(rng.random(n) < UNDERUSED, 1 / 3, 1.0) * rng.lognormal(0, 0.15, n)
    extended = stations["extended_hours"].fillna(False).to_numpy(bool)
    kept = extended & (rng.random(n) >= NOT_KEPT)
    weekend = np.asarray(days.day_of_week >= 5)
    lam = per_day * rel[:, None] * np.where(weekend[None, :], np.where(kept, 0.5, 0.0)[:, None], 1.0)
    counts = rng.poisson(lam)
    si, di = np.nonzero(counts)
    reps = counts[si, di]
    s_idx, d_idx = np.repeat(si, reps), np.repeat(di, reps)
    m = len(s_idx)
    # hours: 08:30-17:00, a quarter of a keeping station's weekday records in the evening (17:00-20:00)
    evening = kept[s_idx] & ~weekend[d_idx] & (rng.random(m) < 0.25)
    hour = np.where(evening, rng.uniform(17.0, 20.0, m), rng.uniform(8.5, 17.0, m))
    served = days.to_numpy()[d_idx] + (hour * 3600).astype("timedelta64[s]")
    # the item: one the station offers, weighted by the item's popularity and its tier's use
    pop = rng.lognormal(0, 0.8, len(items)) * items["tier"].map(TIER_USE).to_numpy()
    pop = pop * np.where(items["name_zh"].isin(BUSY), 4.0, np.where(items["name_zh"].isin(RURAL), 1 / 3, 1.0))
    pairs = pairs.assign(
        s=pd.Categorical(pairs["station_id"], categories=stations["station_id"]).codes,
        i=pd.Categorical(pairs["item_id"], categories=items["item_id"]).codes,
    ).sort_values(["s", "i"], kind="stable")
    w = pop[pairs["i"].to_numpy()]
    cum = np.cumsum(w)
    first = np.searchsorted(pairs["s"].to_numpy(), np.arange(n), side="left")
    last = np.searchsorted(pairs["s"].to_numpy(), np.arange(n), side="right")
    lo = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
    hi = np.where(last > 0, cum[np.maximum(last - 1, 0)], 0.0)
    has = last > first
    keep = has[s_idx]
    s_idx, served = s_idx[keep], served[keep]
    u = lo[s_idx] + rng.random(len(s_idx)) * (hi[s_idx] - lo[s_idx])
    pick = np.minimum(np.searchsorted(cum, u, side="right"), last[s_idx] - 1)
    item_i = pairs["i"].to_numpy()[pick]
    people = 1 + rng.poisson(items["tier"].map(TIER_PEOPLE).to_numpy()[item_i] - 1)
    order = np.argsort(served, kind="stable")  # time order; codes, not strings, until DuckDB reads them
    s_idx, item_i = s_idx[order], item_i[order]
    tiers = pd.Categorical(items["tier"])
    return pd.DataFrame(
        {
            "station_id": pd.Categorical.from_codes(s_idx, categories=stations["station_id"]),
            "item": pd.Categorical.from_codes(item_i, categories=items["item_id"]),
            "tier": pd.Categorical.from_codes(tiers.codes[item_i], categories=tiers.categories),
            "served_at": served[order],
            "residents": people[order].astype(np.int32),
            "import_id": "demo",
        }
    )


def meetings(stations: pd.DataFrame, start: datetime, end: datetime, rng) -> pd.DataFrame:
    """三会 held at each station over ``start``–``end``: Poisson counts per MEETINGS_PER_YEAR, uniform dates."""
    years = max((end - start).days, 1) / 365.25
    centre = (stations["level"] == "centre").to_numpy()
    parts = []
    for kind, rate in MEETINGS_PER_YEAR.items():
        k = rng.poisson(rate * years * np.where(centre, 2.0, 1.0))
        idx = np.repeat(np.arange(len(stations)), k)
        day = np.datetime64(start.date()) + rng.integers(0, max((end - start).days, 1), len(idx)).astype(
            "timedelta64[D]"
        )
        lo, hi = ATTENDANCE[kind]
        parts.append(
            pd.DataFrame(
                {
                    "type": kind,
                    "station_id": stations["station_id"].to_numpy()[idx],
                    "held_on": day,
                    "topic": np.array(TOPICS[kind])[rng.integers(0, len(TOPICS[kind]), len(idx))],
                    "attendance": rng.integers(lo, hi + 1, len(idx)),
                    "import_id": "demo",
                }
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values(["held_on", "station_id"], ignore_index=True)


def estates(communities: pd.DataFrame, cells: pd.DataFrame, road_names: np.ndarray, rng) -> pd.DataFrame:
    """Estates (小区) of each 居村 at its populous 100 m cells: one per RESIDENTS_PER_ESTATE residents of an
    urban 居委 (at least one), one per village; households from the residents; a company each.

    ``communities``: unit_id, urban (bool); ``cells``: community_id, lon, lat, residents (WGS-84).
    A few companies manage many estates (a Zipf-like share), as in a real district.
    """
    rows = []
    by_com = {k: g for k, g in cells[cells["residents"] > 0].groupby("community_id")}
    for com in communities.itertuples():
        g = by_com.get(com.unit_id)
        if g is None:
            continue
        total = float(g["residents"].sum())
        k = max(1, int(round(total / RESIDENTS_PER_ESTATE))) if com.urban else 1
        k = min(k, len(g), 12)
        w = g["residents"].to_numpy(float)
        at = rng.choice(len(g), size=k, replace=False, p=w / w.sum())
        share = rng.dirichlet(np.full(k, 4.0)) * (0.85 if com.urban else 0.5)  # not everyone lives in an estate
        for j, a in enumerate(at):
            rows.append(
                (com.unit_id, g["lon"].iat[a], g["lat"].iat[a], max(30, int(total * share[j] / PERSONS_PER_HOUSEHOLD)))
            )
    out = pd.DataFrame(rows, columns=["community_id", "lon", "lat", "households"])
    n = len(out)
    stem = pd.Series(road_names[rng.integers(0, len(road_names), n)]).str.slice(0, -1)
    name = stem + pd.Series(ESTATE_SUFFIX[rng.integers(0, len(ESTATE_SUFFIX), n)])
    dup = name.groupby(name).cumcount()
    out["name_zh"] = name.where(dup == 0, name + (dup + 1).astype(str) + "期")
    zipf = 1.0 / np.arange(1, len(COMPANIES) + 1) ** 0.8
    out["company_id"] = np.array([c[0] for c in COMPANIES])[rng.choice(len(COMPANIES), n, p=zipf / zipf.sum())]
    out.insert(0, "estate_id", [f"E{i + 1:05d}" for i in range(n)])
    out["import_id"] = "demo"
    return out[["estate_id", "name_zh", "community_id", "households", "lon", "lat", "company_id", "import_id"]]


def companies() -> pd.DataFrame:
    """The demo's property-management companies (物业公司)."""
    return pd.DataFrame(COMPANIES, columns=["company_id", "name_zh", "name_en"]).assign(import_id="demo")
