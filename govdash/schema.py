"""The DuckDB data model: table definitions and the controlled vocabularies they use."""

from __future__ import annotations

import re

from govdash import writes_days

# Controlled vocabularies. Codes are stored; labels come from govdash.i18n. Categories, channels and
# departments are catalogues instead: rows of their own tables, with their names in both languages.
TIERS = ("community", "street", "district")  # 小事不出社区，大事不出街道，难事不出城区
STATUSES = ("registered", "dispatched", "handling", "closed")
OPEN_STATUSES = ("registered", "dispatched", "handling")
UNIT_LEVELS = ("town", "community", "grid")
STATION_LEVELS = ("doorstep", "centre")
FUNCTIONS = ("f_party", "f_gov", "f_culture", "f_joint", "f_clinic")  # 四站一室
WORKER_ROLES = ("grid_worker", "assistant", "volunteer")  # 网格员 / 网格协管员 / 网格公益员
PATROL_CHANNELS = ("grid_patrol",)  # channels whose cases a patrol found (主动发现): the catalogue code
ITEM_TIERS = ("baseline", "basic", "quality")  # 底线 / 基本 / 质量民生
MEETING_TYPES = ("hearing", "coordination", "review")  # 三会: 听证会 / 协调会 / 评议会
IMPORT_COLUMNS = (
    "channel",
    "category",
    "subcategory",
    "description",
    "complainant_name",
    "complainant_phone",
    "address",
    "lon",
    "lat",
    "grid_id",
    "community_id",
    "town_id",
    "reported_at",
    "dispatched_at",
    "handled_at",
    "closed_at",
    "deadline_at",
    "department_id",
    "tier",
    "status",
    "resolved",
    "recognised",
    "satisfaction",
    "repeat_of",
    "key_difficult",
    "must_report",
    "key_status",
    "key_owner",
)  # what an import may set
# Case events (the handling chain, govdash.events): codes stored, labels in govdash.i18n (event_<code>).
EVENTS = (
    "accept",  # 受理
    "register",  # 立案 (new_deadline: the time limit set)
    "dispatch",  # 派单 (to_party: department)
    "return",  # 退单 (from_party: the department returning it; reason)
    "redispatch",  # 重派 (to_party: the new department)
    "extend",  # 延期 (new_deadline)
    "supervise",  # 督办
    "urge",  # 催办
    "escalate",  # 升级 (from_party / to_party: tiers; reason)
    "whistle",  # 吹哨 (from_party: the street; to_party: the department called)
    "report",  # 报到 (from_party: the department answering the whistle)
    "handled",  # 处置完成
    "verify",  # 核查 (result: passed | failed -> back to handling)
    "close",  # 结案 (result: resolved | unresolved)
    "callback",  # 回访 (result: satisfaction 0-100)
)
ACTOR_ROLES = ("operator", "dispatcher", "department", "street", "community", "grid_worker", "supervisor", "verifier")
ESCALATION_REASONS = ("beyond_community", "cross_department", "repeat_complaint", "overdue", "major_complex")
# 八必报 (Xiacheng): the eight items a grid worker must report. The demo writes them to must_report_items; a
# district whose table is empty uses these (govdash.catalogue), and may list its own items there instead
MUST_REPORT = (
    ("facility_damage", "公共设施损坏", "Public facility damage"),
    ("back_lane", "背街小巷不洁", "Unclean back lanes"),
    ("new_pregnancy", "发现新增孕妇", "New pregnancy found"),
    ("incoming_migrants", "外来人员流入", "Incoming migrants"),
    ("hospitalised", "居民病重住院", "Resident seriously ill in hospital"),
    ("house_rented", "居民房屋出租", "House rented out"),
    ("safety_hazard", "安全隐患", "Safety hazard"),
    ("unstable_factor", "不稳定因素", "Unstable factor"),
)
# 重点难点 tracking: 已化解 / 有明确路径（阶段性成效） / 需专项推进
KEY_STATUSES = ("resolved", "clear_path", "special_push")
SURVEY_DIMENSIONS = ("convenience", "comfort", "safety", "health", "harmony", "security")

DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);
-- The district itself, one row (govdash.district_record): names, time zone, metric CRS ('' until chosen;
-- crs_auto: chosen from the units' UTM zone on import), level names as JSON {level: [zh, en]}.
CREATE TABLE IF NOT EXISTS district (
    name_zh VARCHAR NOT NULL,
    name_en VARCHAR,
    timezone VARCHAR NOT NULL,
    metric_crs VARCHAR,
    crs_auto BOOLEAN,
    level_names VARCHAR,
    synthetic BOOLEAN,
    first_year INTEGER
);
-- 街镇 / 居村 / 网格 in one table: level says which; parent_id points one level up.
CREATE TABLE IF NOT EXISTS units (
    unit_id VARCHAR NOT NULL,          -- unique within its level: community 1 and street/town 1 are two units
    level VARCHAR NOT NULL,            -- town | community | grid
    parent_id VARCHAR,                 -- community's town, grid's community
    town_id VARCHAR,                   -- NULL only while its parent's level is not imported (parent_pending)
    community_id VARCHAR,              -- NULL for towns
    name_zh VARCHAR NOT NULL,
    name_en VARCHAR,
    kind VARCHAR,                      -- 街道 | 镇 | 居委 | 村 | 网格
    area_km2 DOUBLE,
    residents INTEGER,
    lon DOUBLE, lat DOUBLE,            -- label point, WGS-84
    geom BLOB,                         -- polygon, WKB, WGS-84
    PRIMARY KEY (level, unit_id)
);
-- Population surface: square cells of the metric grid (settings.metric_crs).
CREATE TABLE IF NOT EXISTS cells (
    cell_id BIGINT PRIMARY KEY,
    x DOUBLE, y DOUBLE,                -- cell centre, metres in metric_crs
    lon DOUBLE, lat DOUBLE,            -- cell centre, WGS-84
    size_m DOUBLE,                     -- edge length in metres
    residents INTEGER,
    grid_id VARCHAR, community_id VARCHAR, town_id VARCHAR
);
CREATE TABLE IF NOT EXISTS departments (
    department_id VARCHAR PRIMARY KEY,
    name_zh VARCHAR NOT NULL,
    name_en VARCHAR
);
-- Catalogues: the case categories and source channels a district uses, named in both languages.
CREATE TABLE IF NOT EXISTS category_names (
    category VARCHAR PRIMARY KEY,      -- code, e.g. facility_damage
    name_zh VARCHAR NOT NULL,
    name_en VARCHAR
);
-- 八必报: the must-report items of grid workers (codes of cases.must_report), named in both languages.
CREATE TABLE IF NOT EXISTS must_report_items (
    item VARCHAR PRIMARY KEY,          -- code, e.g. new_pregnancy
    name_zh VARCHAR NOT NULL,
    name_en VARCHAR
);
CREATE TABLE IF NOT EXISTS channels (
    channel VARCHAR PRIMARY KEY,       -- code, e.g. hotline_12345
    name_zh VARCHAR NOT NULL,
    name_en VARCHAR
);
-- Subcategories of each category, with their default department and deadline.
CREATE TABLE IF NOT EXISTS categories (
    category VARCHAR NOT NULL,         -- code, e.g. facility_damage
    subcategory VARCHAR NOT NULL,
    name_zh VARCHAR, name_en VARCHAR,  -- of the subcategory
    department_id VARCHAR,             -- default responsible department
    deadline_days DOUBLE,              -- time allowed to close, days
    PRIMARY KEY (category, subcategory)
);
CREATE TABLE IF NOT EXISTS stations (
    station_id VARCHAR PRIMARY KEY,
    name_zh VARCHAR NOT NULL,
    level VARCHAR NOT NULL,            -- doorstep (家门口服务站) | centre (街镇服务中心)
    community_id VARCHAR, town_id VARCHAR,
    lon DOUBLE, lat DOUBLE,            -- WGS-84
    f_party BOOLEAN, f_gov BOOLEAN, f_culture BOOLEAN, f_joint BOOLEAN, f_clinic BOOLEAN,
    opening_hours VARCHAR,
    extended_hours BOOLEAN,            -- 错时延时服务
    floor_area_m2 DOUBLE
);
CREATE TABLE IF NOT EXISTS service_items (
    item_id VARCHAR PRIMARY KEY,
    name_zh VARCHAR, name_en VARCHAR,
    tier VARCHAR,                      -- baseline | basic | quality
    department_id VARCHAR
);
CREATE TABLE IF NOT EXISTS station_items (
    station_id VARCHAR, item_id VARCHAR,
    PRIMARY KEY (station_id, item_id)
);
-- Stations at work (issue 18): one row per service record (an item served at a station in one sitting).
CREATE TABLE IF NOT EXISTS station_services (
    station_id VARCHAR NOT NULL,
    item VARCHAR NOT NULL,             -- service_items.item_id, or the item's own name when not catalogued
    tier VARCHAR NOT NULL,             -- baseline | basic | quality (底线 / 基本 / 质量民生)
    served_at TIMESTAMP NOT NULL,      -- local time
    residents INTEGER NOT NULL,        -- residents served by the record
    import_id VARCHAR                  -- the import that loaded it ('demo' in the demo)
);
-- 三会 held at stations: hearing (听证会), coordination (协调会) and review (评议会) meetings.
CREATE TABLE IF NOT EXISTS station_meetings (
    type VARCHAR NOT NULL,             -- hearing | coordination | review
    station_id VARCHAR NOT NULL,
    held_on DATE NOT NULL,
    topic VARCHAR,
    attendance INTEGER,
    import_id VARCHAR
);
-- Property-management companies (物业公司) and the estates (小区) they manage: the 红黑榜 of property.
CREATE TABLE IF NOT EXISTS property_companies (
    company_id VARCHAR PRIMARY KEY,
    name_zh VARCHAR NOT NULL,
    name_en VARCHAR,
    import_id VARCHAR
);
CREATE TABLE IF NOT EXISTS estates (
    estate_id VARCHAR PRIMARY KEY,
    name_zh VARCHAR NOT NULL,
    community_id VARCHAR,              -- 居村 it lies in
    households INTEGER NOT NULL,
    lon DOUBLE, lat DOUBLE,            -- WGS-84
    company_id VARCHAR,                -- property_companies.company_id
    import_id VARCHAR
);
-- 工单. Times are the district's local time (district.timezone, else settings.timezone) without zone.
CREATE TABLE IF NOT EXISTS cases (
    case_id VARCHAR PRIMARY KEY,
    channel VARCHAR, category VARCHAR, subcategory VARCHAR,
    description VARCHAR,
    complainant_name VARCHAR, complainant_phone VARCHAR, address VARCHAR,
    lon DOUBLE, lat DOUBLE,
    grid_id VARCHAR, community_id VARCHAR, town_id VARCHAR,
    reported_at TIMESTAMP NOT NULL,
    dispatched_at TIMESTAMP, handled_at TIMESTAMP, closed_at TIMESTAMP,
    deadline_at TIMESTAMP,
    department_id VARCHAR,
    tier VARCHAR,                      -- community | street | district
    status VARCHAR,                    -- registered | dispatched | handling | closed
    resolved BOOLEAN,                  -- closed with the problem solved
    recognised BOOLEAN,                -- the community accepted the result (NULL unless resolved)
    satisfaction DOUBLE,               -- callback score 0-100, NULL when not rated
    repeat_of VARCHAR,
    key_difficult BOOLEAN,             -- 重点难点
    must_report VARCHAR,               -- 八必报 item (must_report_items.item), NULL for other cases
    key_status VARCHAR,                -- 重点难点 status: resolved | clear_path | special_push (NULL: not assessed)
    key_owner VARCHAR,                 -- 重点难点 owner: a department id, a unit id or a name (NULL: its department)
    import_id VARCHAR,
    updated_at TIMESTAMP
);
-- The handling chain of each case, one row per event (govdash.events; docs/data-model.md "Case events"). The log is
-- the truth; the case row's times, deadline, tier and satisfaction are derived from it for speed.
CREATE TABLE IF NOT EXISTS case_events (
    case_id VARCHAR NOT NULL,
    seq INTEGER NOT NULL,              -- order within the case (events at the same time)
    at_time TIMESTAMP NOT NULL,        -- local time without zone, as the case's times
    event VARCHAR NOT NULL,            -- a code of schema.EVENTS
    from_party VARCHAR,                -- department id or tier (community | street | district)
    to_party VARCHAR,                  -- department id or tier
    actor_role VARCHAR,                -- schema.ACTOR_ROLES
    reason VARCHAR,                    -- a code (escalation, return) or free text (imports: 意见)
    new_deadline TIMESTAMP,            -- register (the limit set) and extend (the new limit)
    result VARCHAR,                    -- verify: passed | failed; close: resolved | unresolved; callback: score
    implied BOOLEAN,                   -- written from the case's timestamps (a case imported without a log)
    import_id VARCHAR                  -- the events or cases import that wrote it; 'demo' for the demo
);
-- Per case, its chain summed up from case_events (derived, for speed; writes.refresh_chain keeps it in step): when
-- it reached each stage (处置 and passed 核查 at their last occurrence) and how often each event happened.
CREATE TABLE IF NOT EXISTS case_chain (
    case_id VARCHAR NOT NULL,
    t_accept TIMESTAMP, t_dispatch TIMESTAMP, t_handled TIMESTAMP, t_verify TIMESTAMP, t_close TIMESTAMP,
    t_callback TIMESTAMP,
    n_return INTEGER, n_redispatch INTEGER, n_extend INTEGER, n_verify INTEGER, n_verify_failed INTEGER,
    n_supervise INTEGER, n_urge INTEGER, n_escalate INTEGER, n_whistle INTEGER
);
-- Events an events import replaced (its cases' earlier logs), for undo.
CREATE TABLE IF NOT EXISTS case_event_versions (
    import_id VARCHAR, case_id VARCHAR, seq INTEGER, at_time TIMESTAMP, event VARCHAR, from_party VARCHAR,
    to_party VARCHAR, actor_role VARCHAR, reason VARCHAR, new_deadline TIMESTAMP, result VARCHAR, implied BOOLEAN,
    prior_import_id VARCHAR
);
CREATE TABLE IF NOT EXISTS satisfaction_survey (
    town_id VARCHAR, quarter VARCHAR, dimension VARCHAR, score DOUBLE,
    PRIMARY KEY (town_id, quarter, dimension)
);
CREATE TABLE IF NOT EXISTS governance_index (
    year INTEGER, subdomain VARCHAR, score DOUBLE,
    PRIMARY KEY (year, subdomain)
);
-- People of the grid (网格员 / 网格协管员 / 网格公益员) and their patrols (每日巡查), read by govdash.queries_grid.
CREATE TABLE IF NOT EXISTS grid_workers (
    worker_id VARCHAR PRIMARY KEY,
    name VARCHAR,
    grid_id VARCHAR,                   -- the grid the worker is responsible for (units, level grid)
    role VARCHAR,                      -- grid_worker 网格员 | assistant 网格协管员 | volunteer 网格公益员
    on_duty BOOLEAN
);
CREATE TABLE IF NOT EXISTS patrols (
    patrol_id VARCHAR PRIMARY KEY,
    worker_id VARCHAR,
    grid_id VARCHAR,
    started_at TIMESTAMP NOT NULL,     -- local time, as cases
    ended_at TIMESTAMP,
    route_m DOUBLE,                    -- length walked, metres (NULL when the app records points only)
    points_visited INTEGER,            -- check points visited (NULL when not recorded)
    issues_reported INTEGER            -- issues the worker reported on this patrol
);
-- 挂牌督办: a decision taken after inspection to place a street/town or a department under listed
-- supervision (govdash.supervision); the reports list them. Never set automatically by a ranking.
CREATE TABLE IF NOT EXISTS supervisions (
    decision_id INTEGER PRIMARY KEY,
    level VARCHAR NOT NULL,            -- town | department
    unit_id VARCHAR NOT NULL,          -- units.unit_id of a town, or departments.department_id
    decided_on DATE NOT NULL,          -- when the decision was taken
    decided_by VARCHAR NOT NULL,       -- who took it (a leader, a meeting)
    reason VARCHAR NOT NULL,           -- why
    recorded_at TIMESTAMP NOT NULL,    -- when it was entered
    recorded_by VARCHAR                -- the account (or OS user) that entered it
);
-- Imports (govdash.ingest): one row per loaded file; undo flips status to 'undone'.
CREATE TABLE IF NOT EXISTS imports (
    import_id VARCHAR PRIMARY KEY,
    seq INTEGER,                       -- order of imports (undo goes newest first)
    kind VARCHAR,                      -- cases | stations | units
    file_name VARCHAR, sha256 VARCHAR, mapping VARCHAR, crs VARCHAR, on_error VARCHAR,
    rows_read INTEGER, inserted INTEGER, updated INTEGER, unchanged INTEGER,
    quarantined INTEGER, outside_units INTEGER, warnings INTEGER,
    started_at TIMESTAMP, finished_at TIMESTAMP, user_name VARCHAR,
    status VARCHAR,                    -- loaded | undone
    undone_at TIMESTAMP, undone_by VARCHAR
);
-- Source rows an import held back (on_error = quarantine), with why, and the row as JSON.
CREATE TABLE IF NOT EXISTS quarantine (
    import_id VARCHAR, file_name VARCHAR, source_row INTEGER, reasons VARCHAR, record VARCHAR
);
-- Prior image of every case an import updated (op = update), for undo; inserted cases carry import_id.
CREATE TABLE IF NOT EXISTS case_versions (
    import_id VARCHAR, op VARCHAR, case_id VARCHAR,
    channel VARCHAR, category VARCHAR, subcategory VARCHAR, description VARCHAR,
    complainant_name VARCHAR, complainant_phone VARCHAR, address VARCHAR,
    lon DOUBLE, lat DOUBLE, grid_id VARCHAR, community_id VARCHAR, town_id VARCHAR,
    reported_at TIMESTAMP, dispatched_at TIMESTAMP, handled_at TIMESTAMP, closed_at TIMESTAMP,
    deadline_at TIMESTAMP, department_id VARCHAR, tier VARCHAR, status VARCHAR,
    resolved BOOLEAN, recognised BOOLEAN, satisfaction DOUBLE, repeat_of VARCHAR, key_difficult BOOLEAN,
    must_report VARCHAR, key_status VARCHAR, key_owner VARCHAR,
    prior_import_id VARCHAR, prior_updated_at TIMESTAMP   -- one row per (import_id, case_id)
);
-- The write log of cases (govdash.writes_log): per commit that changed cases, the streets/towns (NULL: a case
-- without one) and the months whose figures it can have changed, month_from to month_to (NULL: every later
-- month, a case open from then on). A cached result is keyed by the rows over the months and units it read
-- (govdash.freshness), so a write elsewhere leaves it valid; ``seq`` orders commits, ``written_at`` is the
-- commit's wall-clock time (two databases' logs never look alike).
CREATE TABLE IF NOT EXISTS case_writes (
    seq BIGINT NOT NULL, written_at TIMESTAMP NOT NULL, town_id VARCHAR, month_from DATE NOT NULL, month_to DATE
);
-- The case summary (govdash.writes_days, read by govdash.queries_days): per day, street/town and category, how
-- many cases each measure counts on that day (reported: the cohort; judged: the due counts; closures and deadlines
-- passed: the open stock), kept in step with cases in every commit that writes them. Present once meta has
-- 'case_days' (a file made before it has none: reads ask the cases).
CREATE TABLE IF NOT EXISTS case_days (
    day DATE NOT NULL, town_id VARCHAR, category VARCHAR,
    collected BIGINT, resolved BIGINT, closed BIGINT, closed_on_time BIGINT, recognised BIGINT, open BIGINT,
    closed_due BIGINT, recognition_known BIGINT, open_due BIGINT, rated BIGINT,
    closed_community BIGINT, closed_street BIGINT, closed_district BIGINT, tiered BIGINT,
    due BIGINT, due_on_time BIGINT, due_resolved BIGINT, due_recognised BIGINT, due_recognition_known BIGINT,
    due_reported_later BIGINT, closures BIGINT, deadline_passed BIGINT, deadline_passed_closed BIGINT,
    satisfaction_sum DOUBLE,
    late BIGINT, unrecognised BIGINT, timed BIGINT, hours DOUBLE, hours_sq DOUBLE, shortfall_sq DOUBLE
);
-- Catalogue entries a case import added ([catalogue] kind = "add"), removed again by its undo.
CREATE TABLE IF NOT EXISTS catalogue_additions (
    import_id VARCHAR, kind VARCHAR, code VARCHAR       -- kind: category | channel | department
);
-- Stations and units imports (govdash.ingest_geo): every row an import touched, for undo. op = insert
-- rows carry only the id; op = update rows hold the row as it was before the import.
CREATE TABLE IF NOT EXISTS station_versions (
    import_id VARCHAR, op VARCHAR, station_id VARCHAR, name_zh VARCHAR, level VARCHAR,
    community_id VARCHAR, town_id VARCHAR, lon DOUBLE, lat DOUBLE,
    f_party BOOLEAN, f_gov BOOLEAN, f_culture BOOLEAN, f_joint BOOLEAN, f_clinic BOOLEAN,
    opening_hours VARCHAR, extended_hours BOOLEAN, floor_area_m2 DOUBLE
);
CREATE TABLE IF NOT EXISTS unit_versions (
    import_id VARCHAR, op VARCHAR, unit_id VARCHAR, level VARCHAR, parent_id VARCHAR, town_id VARCHAR,
    community_id VARCHAR, name_zh VARCHAR, name_en VARCHAR, kind VARCHAR, area_km2 DOUBLE, residents INTEGER,
    lon DOUBLE, lat DOUBLE, geom BLOB
);
CREATE TABLE IF NOT EXISTS worker_versions (
    import_id VARCHAR, op VARCHAR, worker_id VARCHAR, name VARCHAR, grid_id VARCHAR, role VARCHAR, on_duty BOOLEAN
);
CREATE TABLE IF NOT EXISTS patrol_versions (
    import_id VARCHAR, op VARCHAR, patrol_id VARCHAR, worker_id VARCHAR, grid_id VARCHAR, started_at TIMESTAMP,
    ended_at TIMESTAMP, route_m DOUBLE, points_visited INTEGER, issues_reported INTEGER
);
-- Population imports (govdash.ingest, kind population) replace the whole surface: the cells as they were
-- before, and the residents of the units that followed them, for undo.
CREATE TABLE IF NOT EXISTS cell_versions (
    import_id VARCHAR, cell_id BIGINT, x DOUBLE, y DOUBLE, lon DOUBLE, lat DOUBLE, size_m DOUBLE,
    residents INTEGER, grid_id VARCHAR, community_id VARCHAR, town_id VARCHAR
);
CREATE TABLE IF NOT EXISTS residents_versions (
    import_id VARCHAR, level VARCHAR, unit_id VARCHAR, residents INTEGER
);
"""

# Accounts and the audit log (govdash.accounts); kept in settings.accounts_db, by default a small
# file beside the database, so sign-ins never wait for an import or change the data file.
ACCOUNTS_DDL = """
CREATE TABLE IF NOT EXISTS accounts (
    username VARCHAR PRIMARY KEY,
    role VARCHAR NOT NULL,             -- viewer | analyst | admin
    towns VARCHAR[] NOT NULL,          -- street/town ids the account may see; all three empty: everything
    communities VARCHAR[],             -- 居村 ids it may see (either these or its towns')
    departments VARCHAR[],             -- departments whose dispatched cases it may see, wherever they lie
    password VARCHAR,                  -- scrypt$n$r$p$salt$hash (base64); NULL: single sign-on only
    disabled BOOLEAN NOT NULL DEFAULT false,
    failed INTEGER NOT NULL DEFAULT 0, -- failed sign-ins since the last success or lockout
    locked_until TIMESTAMP,            -- local time; no sign-in before it
    created_at TIMESTAMP, updated_at TIMESTAMP
);
-- Sign-ins, failed sign-ins, exports, imports and account changes.
CREATE TABLE IF NOT EXISTS audit (
    at_time TIMESTAMP NOT NULL,        -- local time
    username VARCHAR,
    action VARCHAR NOT NULL,           -- sign_in | sign_in_failed | export | import | account
    detail VARCHAR
);
-- Wall-screen device tokens (README *Wall screen*): only the SHA-256 of the long random token is kept.
CREATE TABLE IF NOT EXISTS wall_tokens (
    name VARCHAR PRIMARY KEY,          -- the screen, e.g. lobby
    token_sha256 VARCHAR NOT NULL,     -- hex SHA-256 of the token
    towns VARCHAR[] NOT NULL,          -- street/town ids it shows; all three empty: everything
    communities VARCHAR[],             -- 居村 ids it shows
    departments VARCHAR[],             -- departments whose cases it shows
    revoked BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP
);
"""
DDL += ACCOUNTS_DDL


ADDED_CASE_COLUMNS = ("must_report", "key_status", "key_owner")
ADDED_SUMMARY_COLUMNS = {  # case_days columns a file made before them lacks (govdash.writes_days)
    "late": "BIGINT",
    "unrecognised": "BIGINT",
    "timed": "BIGINT",
    "hours": "DOUBLE",
    "hours_sq": "DOUBLE",
    "shortfall_sq": "DOUBLE",
}


def lake_ddl(ddl: str = DDL) -> str:
    """``ddl`` as a DuckLake accepts it: without PRIMARY KEY constraints (a lake has no unique indexes).

    NOT NULL and DEFAULT stay (DuckLake enforces them). On a lake the writers keep ids unique
    themselves: they insert by anti-join or merge by id, as they do on the file.
    """
    out = re.sub(r",([ \t]*--[^\n]*)?\s*PRIMARY KEY \([^)]*\)", r"\1", ddl)  # keeps the comment
    return re.sub(r" PRIMARY KEY(?=[,\s])", "", out)


def is_lake(con) -> bool:
    """Whether the connection's current database is a DuckLake."""
    kind = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return bool(kind) and kind[0] == "ducklake"


def create(con) -> None:
    """Create every table that does not exist yet in the connection's current database (a file or a lake),
    and relax what a newer version relaxed."""
    con.execute(lake_ddl() if is_lake(con) else DDL)
    strict = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'units' AND column_name = 'town_id' "
        "AND NOT is_nullable AND database_name = current_database()"
    ).fetchall()[0][0]
    if strict:  # a file made before a lower level could be imported ahead of its parents
        con.execute("ALTER TABLE units ALTER COLUMN town_id DROP NOT NULL")
    for table in ("cases", "case_versions"):  # a file made before 八必报 and the 重点难点 tracking
        for column in ADDED_CASE_COLUMNS:
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} VARCHAR")  # names of ours
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'case_days' "
            "AND database_name = current_database()"
        ).fetchall()
    }
    missing = [c for c in ADDED_SUMMARY_COLUMNS if c not in have]
    for column in missing:  # a summary made before the ranking read it
        con.execute(f"ALTER TABLE case_days ADD COLUMN {column} {ADDED_SUMMARY_COLUMNS[column]}")  # names of ours
    if missing and writes_days.present(con):  # made whole again in this write's transaction (10 M cases: 7 s)
        writes_days.rebuild(con)


def create_accounts(con) -> None:
    """Create the accounts file's tables (accounts, audit) that do not exist yet, and add the 居村 and
    department scope columns to a file made before them."""
    con.execute(ACCOUNTS_DDL)
    for table in ("accounts", "wall_tokens"):
        for column in ("communities", "departments"):
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} VARCHAR[]")
