"""Benchmarks, outside the product: ``python -m govdash bench`` (run, views, pages, floor, naive, sql) and scripts."""
