"""Reads for the property red/black list: estates, their companies, complaints in property categories."""

from __future__ import annotations

import pandas as pd

from govdash import property as prop
from govdash.db import Database
from govdash.filters import Filters
from govdash.queries import where
from govdash.queries_scope import scope_clause


def estates(db: Database, f: Filters) -> pd.DataFrame:
    """Estates of the filter's streets/towns within the account's area, with their company's names."""
    sc, params = scope_clause(f.scope, "places", "u")  # the estate's 居村 row: its town_id and community_id
    towns = " AND u.town_id IN (SELECT unnest($t))" if f.towns else ""
    sql = f"""
        SELECT e.estate_id, e.name_zh AS estate, e.community_id, u.town_id, e.households, e.lon, e.lat,
               coalesce(e.company_id, '') AS company_id,
               coalesce(c.name_zh, e.company_id, '') AS name_zh,
               coalesce(c.name_en, c.name_zh, e.company_id, '') AS name_en
        FROM estates e
        LEFT JOIN units u ON u.level = 'community' AND u.unit_id = e.community_id
        LEFT JOIN property_companies c ON c.company_id = e.company_id
        WHERE {sc}{towns}
        ORDER BY e.estate_id
    """
    return db.execute(sql, {**params, **({"t": list(f.towns)} if f.towns else {})}, complete=True)


def complaints(db: Database, f: Filters) -> pd.DataFrame:
    """Cases of the filter in property categories (codes in property.CATEGORIES, or a Chinese name holding
    one of property.WORDS) with a point: case_id, lon, lat, community_id, month reported."""
    clause, params = where(f)
    sql = f"""
        SELECT case_id, lon, lat, community_id, date_trunc('month', reported_at)::DATE AS month
        FROM cases
        WHERE {clause} AND lon IS NOT NULL AND lat IS NOT NULL
          AND (category IN (SELECT unnest($codes))
               OR category IN (SELECT category FROM category_names WHERE regexp_matches(name_zh, $words)))
        ORDER BY case_id
    """
    extra = {"codes": list(prop.CATEGORIES), "words": "|".join(prop.WORDS)}
    return db.execute(sql, {**params, **extra}, complete=True)


def category_names(db: Database) -> pd.DataFrame:
    """The property categories of the district's catalogue: category, name_zh, name_en."""
    return db.execute(
        "SELECT category, name_zh, coalesce(name_en, name_zh) AS name_en FROM category_names "
        "WHERE category IN (SELECT unnest($codes)) OR regexp_matches(name_zh, $words) ORDER BY category",
        {"codes": list(prop.CATEGORIES), "words": "|".join(prop.WORDS)},
    )
