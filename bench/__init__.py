"""Benchmarks, outside the product: ``python -m govdash bench`` (run, views, pages, competent, naive, floor, sql)."""
