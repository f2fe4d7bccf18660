"""The demo generator: determinism by seed, calibration to DOMAIN.md, referential and spatial integrity."""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely

from govdash import demo, demo_catalogue, district, queries, schema

SMALL_CASES = 3000


def _df(path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def con(demo_db):
    c = duckdb.connect(demo_db, read_only=True)
    yield c
    c.close()


def q(con, sql: str, params=None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def one(con, sql: str, params=None):
    return con.execute(sql, params or []).fetchone()[0]


@pytest.fixture(scope="module")
def units(con) -> pd.DataFrame:
    df = q(con, "SELECT unit_id, level, parent_id, town_id, community_id, residents, area_km2, geom FROM units")
    df["shape"] = shapely.from_wkb(df["geom"].map(bytes).tolist())
    return df.drop(columns="geom").set_index("unit_id", drop=False)


# --- determinism ---


def _digest(path) -> dict[str, str]:
    """A content hash of each table, rows in key order."""
    keys = {
        "cases": "case_id",
        "units": "unit_id",
        "stations": "station_id",
        "cells": "cell_id",
        "satisfaction_survey": "town_id, quarter, dimension",
        "governance_index": "year, subdomain",
    }
    out = {}
    for table, key in keys.items():
        df = _df(path, f"SELECT * FROM {table} ORDER BY {key}")  # our own table names
        df = df.apply(
            lambda col: (
                col.map(bytes)
                if col.dtype == object and len(col) and isinstance(col.iat[0], (bytes, bytearray, memoryview))
                else col
            )
        )
        out[table] = hashlib.sha256(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def small_builds(tmp_path_factory):
    """Three small builds: seed 11 twice and seed 12 once."""
    d = tmp_path_factory.mktemp("determinism")
    paths = [
        demo.build(d / name, cases=SMALL_CASES, seed=seed)
        for name, seed in (("a.duckdb", 11), ("b.duckdb", 11), ("c.duckdb", 12))
    ]
    return [_digest(p) for p in paths]


def test_same_seed_same_database(small_builds):
    a, b, _ = small_builds
    assert a == b


def test_other_seed_other_cases(small_builds):
    a, _, c = small_builds
    assert a["cases"] != c["cases"]
    assert a["units"] != c["units"]


def test_case_count_follows_request(demo_db, con):
    n = one(con, "SELECT count(*) FROM cases")
    # repeats and event spikes come on top of the requested volume
    assert 20_000 <= n <= 20_000 * 1.1
    assert _df(demo_db, "SELECT value FROM meta WHERE key = 'synthetic'")["value"].tolist() == ["true"]


# --- calibration (DOMAIN.md) ---


def test_resolution_and_recognition(con):
    res = one(con, "SELECT avg(resolved::INT) FROM cases")
    rec = one(con, "SELECT count(*) FILTER (WHERE recognised) / count(*) FILTER (WHERE resolved) FROM cases")
    assert res == pytest.approx(0.993, abs=0.004)
    assert rec == pytest.approx(0.996, abs=0.003)


def test_resolution_differs_between_towns(con):
    by_town = q(con, "SELECT town_id, avg(resolved::INT) AS r FROM cases GROUP BY 1")["r"]
    assert by_town.max() - by_town.min() > 0.005


def test_satisfaction_survey(con):
    assert one(con, "SELECT avg(score) FROM satisfaction_survey") == pytest.approx(80.6, abs=1.5)
    towns = q(con, "SELECT town_id, avg(score) AS s FROM satisfaction_survey GROUP BY 1")["s"]
    assert len(towns) == 36
    assert towns.max() - towns.min() > 3
    dims = q(con, "SELECT DISTINCT dimension FROM satisfaction_survey")["dimension"]
    assert set(dims) == set(schema.SURVEY_DIMENSIONS)


def test_governance_index(con):
    latest = one(con, "SELECT max(year) FROM governance_index")
    overall = one(con, "SELECT score FROM governance_index WHERE year = ? AND subdomain = 'overall'", [latest])
    assert overall == pytest.approx(89.32)


def test_unit_and_station_counts(con):
    levels = dict(q(con, "SELECT level, count(*) AS n FROM units GROUP BY 1").values.tolist())
    assert levels["town"] == 36
    assert levels["community"] == 1275
    assert levels["grid"] >= 2 * 1275  # several grids per community
    kinds = dict(q(con, "SELECT kind, count(*) AS n FROM units WHERE level = 'town' GROUP BY 1").values.tolist())
    assert kinds == {"街道": 12, "镇": 24}
    stations = dict(q(con, "SELECT level, count(*) AS n FROM stations GROUP BY 1").values.tolist())
    assert stations == {"doorstep": 1285, "centre": 36}
    facts = district.town_facts()
    assert (facts["communities"] + facts["villages"]).sum() == 1275
    names = set(q(con, "SELECT name_zh FROM units WHERE level = 'town'")["name_zh"])
    assert names == set(facts["name_zh"])
    assert {"陆家嘴街道", "花木街道", "川沙新镇", "南汇新城镇"} <= names


def test_residents(con):
    total = one(con, "SELECT sum(residents) FROM units WHERE level = 'town'")
    assert total == pytest.approx(5_700_000, rel=0.01)
    # dense west bank: the average street (街道) is far more crowded than the average town (镇)
    dens = dict(
        q(
            con, "SELECT kind, sum(residents) / sum(area_km2) AS d FROM units WHERE level = 'town' GROUP BY 1"
        ).values.tolist()
    )
    assert dens["街道"] > 3 * dens["镇"]


def test_overdue_is_a_few_per_cent(con):
    as_of = one(con, "SELECT value::TIMESTAMP FROM meta WHERE key = 'as_of'")
    share = one(
        con,
        "SELECT avg(((status = 'closed' AND closed_at > deadline_at) "
        "OR (status <> 'closed' AND deadline_at < ?))::INT) FROM cases",
        [as_of],
    )
    assert 0.01 <= share <= 0.06


def test_tiers_small_matters_stay_low(con):
    tiers = dict(q(con, "SELECT tier, count(*) AS n FROM cases GROUP BY 1").values.tolist())
    assert set(tiers) == set(schema.TIERS)
    assert tiers["community"] > tiers["street"] > tiers["district"]


def test_case_volume_follows_population(con):
    df = q(
        con,
        "SELECT u.residents, count(c.case_id) AS n FROM units u LEFT JOIN cases c ON c.town_id = u.unit_id "
        "WHERE u.level = 'town' GROUP BY u.unit_id, u.residents",
    )
    assert np.corrcoef(df["residents"], df["n"])[0, 1] > 0.8


# --- referential integrity ---


def test_vocabularies_and_keys(con):
    assert (
        one(
            con,
            "SELECT count(*) FROM cases WHERE channel NOT IN (SELECT unnest(?))",
            [list(demo_catalogue.CHANNEL_CODES)],
        )
        == 0
    )
    assert one(con, "SELECT count(*) FROM cases WHERE status NOT IN (SELECT unnest(?))", [list(schema.STATUSES)]) == 0
    assert (
        one(
            con,
            "SELECT count(*) FROM cases c ANTI JOIN categories k "
            "ON k.category = c.category AND k.subcategory = c.subcategory",
        )
        == 0
    )
    assert one(con, "SELECT count(*) FROM cases c ANTI JOIN departments d USING (department_id)") == 0
    assert (
        one(
            con,
            "SELECT count(*) FROM cases WHERE repeat_of IS NOT NULL AND repeat_of NOT IN (SELECT case_id FROM cases)",
        )
        == 0
    )
    assert one(con, "SELECT count(*) - count(DISTINCT case_id) FROM cases") == 0


def test_case_lifecycle_is_consistent(con):
    assert one(con, "SELECT count(*) FROM cases WHERE (status = 'closed') <> (closed_at IS NOT NULL)") == 0
    assert one(con, "SELECT count(*) FROM cases WHERE resolved AND status <> 'closed'") == 0
    assert one(con, "SELECT count(*) FROM cases WHERE recognised IS NOT NULL AND NOT coalesce(resolved, false)") == 0
    assert (
        one(
            con,
            "SELECT count(*) FROM cases WHERE dispatched_at < reported_at OR handled_at < dispatched_at "
            "OR closed_at < handled_at OR deadline_at <= reported_at",
        )
        == 0
    )
    assert one(con, "SELECT count(*) FROM cases WHERE satisfaction NOT BETWEEN 0 AND 100") == 0
    # fake personal data: a plausible mainland mobile number and a name on every case
    assert (
        one(
            con,
            "SELECT count(*) FROM cases WHERE NOT regexp_full_match(complainant_phone, '1[3-9][0-9]{9}') "
            "OR complainant_name IS NULL",
        )
        == 0
    )


def test_unit_hierarchy(units):
    com = units[units["level"] == "community"]
    grid = units[units["level"] == "grid"]
    towns = set(units.index[units["level"] == "town"])
    assert set(com["parent_id"]) <= towns and (com["parent_id"] == com["town_id"]).all()
    assert (grid["parent_id"] == grid["community_id"]).all()
    assert (units.loc[grid["parent_id"], "town_id"].to_numpy() == grid["town_id"].to_numpy()).all()


def test_case_units_agree_with_the_hierarchy(con):
    bad = one(
        con,
        """
        SELECT count(*) FROM cases c
        LEFT JOIN units g ON g.unit_id = c.grid_id AND g.level = 'grid'
        LEFT JOIN units m ON m.unit_id = c.community_id AND m.level = 'community'
        WHERE g.unit_id IS NULL OR m.unit_id IS NULL
           OR g.parent_id <> c.community_id OR m.parent_id <> c.town_id""",
    )
    assert bad == 0


# The generator places points in the metric CRS and stores polygons with their vertices projected to
# WGS-84; an edge straight in one CRS bows by millimetres in the other, so a point a hair from a
# boundary may fall just outside. Allow 5 cm (5e-7 degrees), and only rarely.
EDGE_TOL_DEG = 5e-7


def _inside(polys: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(strictly inside, inside or within EDGE_TOL_DEG of the boundary) per point."""
    shapely.prepare(polys)
    strict = shapely.contains_xy(polys, lon, lat)
    near = strict.copy()
    near[~strict] = shapely.dwithin(polys[~strict], shapely.points(lon[~strict], lat[~strict]), EDGE_TOL_DEG)
    return strict, near


def test_every_case_lies_in_its_grid(con, units):
    cases = q(con, "SELECT case_id, grid_id, lon, lat FROM cases")
    strict, near = _inside(
        units.loc[cases["grid_id"], "shape"].to_numpy(), cases["lon"].to_numpy(), cases["lat"].to_numpy()
    )
    assert near.all(), cases[~near].head()
    assert (~strict).sum() <= len(cases) // 5000 + 1, cases[~strict].head()


def test_polygons_valid(units):
    shapes = units["shape"].to_numpy()
    assert shapely.is_valid(shapes).all()
    assert (shapely.area(shapes) > 0).all()
    assert set(shapely.get_type_id(shapes)) <= {3, 6}  # Polygon, MultiPolygon


def _partition_errors(parent, children) -> tuple[float, float, float]:
    """(|Σ child areas − parent area|, Σ pairwise overlap, area of parent not covered) as shares of the parent."""
    children = np.asarray(children)
    area = parent.area
    tree = shapely.STRtree(children)
    i, j = tree.query(children, predicate="intersects")
    keep = i < j
    overlap = shapely.area(shapely.intersection(children[i[keep]], children[j[keep]])).sum()
    uncovered = shapely.difference(parent, shapely.union_all(children)).area
    return abs(shapely.area(children).sum() - area) / area, overlap / area, uncovered / area


@pytest.mark.parametrize("parent_level, child_level", [("town", "community"), ("community", "grid")])
def test_children_partition_their_parent(units, parent_level, child_level):
    children = units[units["level"] == child_level]
    worst = np.zeros(3)
    for pid, grp in children.groupby("parent_id"):
        worst = np.maximum(worst, _partition_errors(units.at[pid, "shape"], grp["shape"].to_numpy()))
    area_err, overlap, uncovered = worst
    assert area_err < 1e-3
    assert overlap < 1e-6
    assert uncovered < 1e-3


def test_towns_do_not_overlap(units):
    towns = units[units["level"] == "town"]["shape"].to_numpy()
    district_area = shapely.union_all(towns).area
    _, overlap, _ = _partition_errors(shapely.union_all(towns), towns)
    assert overlap < 1e-6
    assert shapely.area(towns).sum() == pytest.approx(district_area, rel=1e-3)


def test_doorstep_stations_lie_in_their_community(con, units):
    st = q(con, "SELECT station_id, level, community_id, town_id, lon, lat FROM stations")
    door = st[st["level"] == "doorstep"]
    assert door["community_id"].notna().all()
    assert door["community_id"].nunique() == 1275  # every 居村 has one
    _, near = _inside(
        units.loc[door["community_id"], "shape"].to_numpy(), door["lon"].to_numpy(), door["lat"].to_numpy()
    )
    assert near.all(), door[~near].head()
    assert (units.loc[door["community_id"], "town_id"].to_numpy() == door["town_id"].to_numpy()).all()
    centres = st[st["level"] == "centre"]
    assert centres["town_id"].nunique() == 36
    _, near = _inside(
        units.loc[centres["town_id"], "shape"].to_numpy(), centres["lon"].to_numpy(), centres["lat"].to_numpy()
    )
    assert near.all(), centres[~near].head()


@pytest.mark.parametrize("level, column", [("town", "town_id"), ("community", "community_id"), ("grid", "grid_id")])
def test_cells_residents_sum_to_units(con, level, column):
    df = q(
        con,
        f"""
        SELECT u.unit_id, u.residents, coalesce(c.n, 0) AS n FROM units u
        LEFT JOIN (SELECT {column} AS unit_id, sum(residents) AS n FROM cells GROUP BY 1) c USING (unit_id)
        WHERE u.level = ?""",
        [level],
    )  # column from the parametrize list above, not user input
    assert (df["residents"] == df["n"]).all()
    assert one(con, f"SELECT count(*) FROM cells c ANTI JOIN units u ON u.unit_id = c.{column}") == 0


def test_a_large_demo_is_built_in_chunks_as_one(tmp_path, monkeypatch):
    """Above CHUNK_CASES the cases are generated chunk by chunk (bounded memory) and merged: ids in
    time order over all chunks, repeats linked to their earlier case, 37 key cases, stored in area order."""
    monkeypatch.setattr(demo, "CHUNK_CASES", 1000)
    paths = [demo.build(tmp_path / name, cases=SMALL_CASES, seed=11) for name in ("a.duckdb", "b.duckdb")]
    assert _digest(paths[0]) == _digest(paths[1])
    c = duckdb.connect(str(paths[0]), read_only=True)
    try:
        n, ids, first, last = c.execute(
            "SELECT count(*), count(DISTINCT case_id), min(case_id), max(case_id) FROM cases"
        ).fetchone()
        assert SMALL_CASES <= n == ids <= SMALL_CASES * 1.1
        assert (first, last) == ("GD000000001", f"GD{n:09d}")
        assert (
            one(
                c,
                "SELECT count(*) FROM (SELECT case_id, row_number() OVER (ORDER BY reported_at, case_id) AS a, "
                "row_number() OVER (ORDER BY case_id) AS b FROM cases) WHERE a <> b",
            )
            == 0
        )
        assert one(c, "SELECT count(*) FROM cases WHERE repeat_of IS NOT NULL") > 0
        assert (
            one(
                c,
                "SELECT count(*) FROM cases r JOIN cases o ON o.case_id = r.repeat_of "
                "WHERE o.reported_at >= r.reported_at OR o.category <> r.category OR o.grid_id <> r.grid_id",
            )
            == 0
        )
        assert (
            one(
                c,
                "SELECT count(*) FROM cases WHERE repeat_of IS NOT NULL "
                "AND repeat_of NOT IN (SELECT case_id FROM cases)",
            )
            == 0
        )
        assert one(c, "SELECT count(*) FROM cases WHERE key_difficult") == 37
        stored = [r[0] for r in c.execute("SELECT case_id FROM cases").fetchall()]
        assert stored == [
            r[0] for r in c.execute(f"SELECT case_id FROM cases ORDER BY {queries.CLUSTER_ORDER}").fetchall()
        ]
        assert 0.97 < one(c, "SELECT avg(resolved::INT) FROM cases WHERE status = 'closed'") < 1.0
    finally:
        c.close()
    # the build went through db.write: only the writer lock stays beside each file (no copy, log or spill folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.duckdb", "a.duckdb.lock", "b.duckdb", "b.duckdb.lock"]
