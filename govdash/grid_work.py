"""Grid management's tables and chart: patrol coverage, 主动发现率 by unit, workloads, in either language."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from govdash import charts
from govdash.i18n import plain, t
from govdash.indicators import fmt

UNPATROLLED_DAYS = 3  # the page's default N of "grids not patrolled for N days"
# workers listed at once: the district's ~8,000 rows were 0.84 MB for the browser to receive and lay out
WORKERS_SHOWN = 300
WORKER_ORDERS = ("most_reports", "fewest_patrols")


def headline(work: pd.DataFrame, staff: pd.DataFrame, unpatrolled: pd.DataFrame) -> dict[str, float]:
    """The page's four figures over the rows of ``queries_grid.unit_work`` (any level, the whole area):
    workers on duty, patrol coverage, 主动发现率 and the number of grids unpatrolled for N days."""
    den = lambda x: x if x > 0 else float("nan")  # noqa: E731
    return {
        "workers": int(staff["on_duty"].sum()) if len(staff) else 0,
        "patrol_coverage": work["patrolled_days"].sum() / den(work["grid_days"].sum()),
        "patrol_found_rate": work["patrol_found"].sum() / den(work["collected"].sum()),
        "unpatrolled": len(unpatrolled),
    }


def found_table(work: pd.DataFrame, names: dict[str, str], lang: str = "zh") -> pd.DataFrame:
    """主动发现率 per unit (``queries_grid.unit_work`` rows; ``names``: unit_id → name), lowest rate first."""
    df = work.sort_values(["patrol_found_rate", "unit_id"], na_position="last", kind="stable")
    return pd.DataFrame(
        {
            t("name", lang): [names.get(u, u) for u in df["unit_id"]],
            t("collected", lang): df["collected"].to_numpy(),
            t("grid_patrol_found", lang): df["patrol_found"].to_numpy(),
            t("patrol_found_rate", lang): [fmt(v, "patrol_found_rate") for v in df["patrol_found_rate"]],
            t("patrol_coverage", lang): [fmt(v, "patrol_coverage") for v in df["patrol_coverage"]],
            t("grid_workers_on_duty", lang): df["workers"].to_numpy(),
            t("reports_per_worker", lang): [fmt(v, "reports_per_worker") for v in df["reports_per_worker"]],
            t("residents_per_worker", lang): [fmt(v, "residents_per_worker") for v in df["residents_per_worker"]],
        }
    )


def workers_table(staff: pd.DataFrame, towns: dict[str, str], lang: str = "zh") -> pd.DataFrame:
    """Each worker's period (``queries_grid.workers`` rows; ``towns``: town_id → name) with role in words."""
    return pd.DataFrame(
        {
            t("grid_worker_name", lang): staff["name"].to_numpy(),
            t("grid_role", lang): [t(f"role_{r}", lang) for r in staff["role"]],
            t("grid_on_duty", lang): [plain(bool(v), lang) for v in staff["on_duty"]],
            t("grid", lang): staff["grid_name"].to_numpy(),
            t("town", lang): [towns.get(x, x) for x in staff["town_id"]],
            t("grid_patrols", lang): staff["patrols"].to_numpy(),
            t("grid_hours", lang): staff["hours"].round(1).to_numpy(),
            t("grid_route_km", lang): staff["route_km"].round(1).to_numpy(),
            t("grid_reports", lang): staff["reports"].to_numpy(),
            t("grid_residents", lang): staff["grid_residents"].to_numpy(),
            t("residents_per_worker", lang): [fmt(v, "residents_per_worker") for v in staff["residents_per_worker"]],
        }
    )


def workers_shown(staff: pd.DataFrame, order: str = "most_reports", n: int = WORKERS_SHOWN) -> pd.DataFrame:
    """The first ``n`` workers of ``staff`` (``queries_grid.workers`` rows) by ``order``: most reports first
    (then most patrols), or the fewest patrols first among those on duty (then fewest reports); ties by id."""
    if order == "fewest_patrols":
        on = staff[staff["on_duty"].astype(bool)]
        return on.sort_values(["patrols", "reports", "worker_id"], kind="stable").head(n)
    return staff.sort_values(["reports", "patrols", "worker_id"], ascending=[False, False, True], kind="stable").head(n)


def unpatrolled_table(grids: pd.DataFrame, names: dict[str, dict[str, str]], lang: str = "zh") -> pd.DataFrame:
    """Grids not patrolled for N days (``queries_grid.unpatrolled`` rows), named with their community and town."""
    last = pd.to_datetime(grids["last_patrol"])
    return pd.DataFrame(
        {
            t("grid", lang): grids["name_zh"].to_numpy(),
            t("community", lang): [names.get("community", {}).get(c, c) for c in grids["community_id"]],
            t("town", lang): [names.get("town", {}).get(x, x) for x in grids["town_id"]],
            t("grid_last_patrol", lang): [t("grid_never", lang) if pd.isna(v) else f"{v:%Y-%m-%d %H:%M}" for v in last],
            t("grid_days_since", lang): [
                "—" if pd.isna(v) else int(v) for v in grids["days_since"].astype("float").to_numpy()
            ],
        }
    )


def daily_chart(daily: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Grids patrolled per day (bars) against the grids there are (a line): ``queries_grid.daily_coverage``."""
    fig = go.Figure()
    fig.add_bar(x=daily["day"], y=daily["patrolled"], name=t("grid_patrolled", lang), marker_color=charts.PALETTE[0])
    fig.add_scatter(
        x=daily["day"], y=daily["grids"], name=t("grid_count", lang), mode="lines", line={"color": charts.PALETTE[2]}
    )
    fig.update_yaxes(rangemode="tozero")
    return charts.style(fig, height=300)
