"""Benchmarks: the pipeline against plain DuckDB on the same files (`make bench`)."""
