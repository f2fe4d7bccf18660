"""The import SQL of the population surface (govdash.ingest._sql by kind): the 100 m cells, replaced whole by each
import, and the units' residents that follow them; undo puts both back."""

from __future__ import annotations

CELL_COLUMNS = ("cell_id", "x", "y", "lon", "lat", "size_m", "residents", "grid_id", "community_id", "town_id")
_UNIT_SUMS = """
    SELECT 'grid' AS level, grid_id AS unit_id, sum(residents) AS residents FROM {t} WHERE grid_id IS NOT NULL
      GROUP BY grid_id
    UNION ALL SELECT 'community', community_id, sum(residents) FROM {t} WHERE community_id IS NOT NULL
      GROUP BY community_id
    UNION ALL SELECT 'town', town_id, sum(residents) FROM {t} WHERE town_id IS NOT NULL GROUP BY town_id"""


def apply(con, import_id: str, diff, op_counts) -> dict[str, int]:
    """Replace the cells with `import_rows`, keeping the old surface and the units' residents for undo.

    A unit's residents follow the surface when they were empty or equal to the old surface's sum for it;
    residents the unit file gave (different from the surface) are kept. ``diff`` and ``op_counts``: the cases
    import's (govdash.ingest._sql), which imports this module.
    """
    cols = ", ".join(CELL_COLUMNS)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE cell_diff AS "
        f"{diff('import_rows', 'cells', 'cell_id', [c for c in CELL_COLUMNS if c != 'cell_id'])}"
    )
    counts = op_counts(con, "cell_diff")
    con.execute("DROP TABLE cell_diff")
    con.execute(f"INSERT INTO cell_versions (import_id, {cols}) SELECT $id, {cols} FROM cells", {"id": import_id})
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE unit_follow AS
        SELECT u.level, u.unit_id, u.residents FROM units u
        LEFT JOIN ({_UNIT_SUMS.format(t="cells")}) s ON s.level = u.level AND s.unit_id = u.unit_id
        WHERE u.residents IS NULL OR u.residents = coalesce(s.residents, 0)""")
    con.execute(
        "INSERT INTO residents_versions (import_id, level, unit_id, residents) "
        "SELECT $id, level, unit_id, residents FROM unit_follow",
        {"id": import_id},
    )
    con.execute("DELETE FROM cells")
    con.execute(f"INSERT INTO cells ({cols}) SELECT {cols} FROM import_rows")
    con.execute(f"""
        UPDATE units SET residents = coalesce(s.residents, 0)
        FROM unit_follow f LEFT JOIN ({_UNIT_SUMS.format(t="cells")}) s
          ON s.level = f.level AND s.unit_id = f.unit_id
        WHERE units.level = f.level AND units.unit_id = f.unit_id""")
    con.execute("DROP TABLE unit_follow")
    return counts


def blockers(con, import_id: str) -> list[str]:
    """Later, still-loaded population imports (each replaced the surface this one wrote)."""
    df = con.execute(
        """
        SELECT import_id FROM imports WHERE kind = 'population' AND status = 'loaded'
          AND seq > (SELECT seq FROM imports WHERE import_id = $id) ORDER BY seq DESC""",
        {"id": import_id},
    ).df()
    return df["import_id"].tolist()


def undo(con, import_id: str, at, user: str | None) -> dict[str, int]:
    """Put back the surface and the units' residents as they were before the import."""
    cols = ", ".join(CELL_COLUMNS)
    removed = con.execute("SELECT count(*) FROM cells").fetchone()[0]
    con.execute("DELETE FROM cells")
    restored = con.execute(
        f"INSERT INTO cells ({cols}) SELECT {cols} FROM cell_versions WHERE import_id = $id", {"id": import_id}
    ).fetchone()[0]
    con.execute(
        "UPDATE units SET residents = v.residents FROM residents_versions v WHERE v.import_id = $id "
        "AND units.level = v.level AND units.unit_id = v.unit_id",
        {"id": import_id},
    )
    con.execute(
        "UPDATE imports SET status = 'undone', undone_at = $at, undone_by = $user WHERE import_id = $id",
        {"id": import_id, "at": at, "user": user},
    )
    return {"removed": int(removed), "restored": int(restored)}
