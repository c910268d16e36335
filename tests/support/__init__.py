"""Helpers the test modules import (conftest.py holds only pytest's fixtures and hooks):

- rows: each feed's columns and a row of each layout (uhdb_row, crh_row, emas_row, dhu_row, dchs_row, opel_row)
- warehouse: Env, one test's private warehouse, landing area and feed configs; TEST_KEY
- samples: SAMPLES, SAMPLE_RANGE and warehouses built from the bundled sample files
- cli: running `uec` as a subprocess against an Env
- servers: local SMTP relay and Teams webhook stand-ins, free_port
- second_system: a provider of another ICB (Tameside, RMP) to add to copied configuration
- xlsx: the number formats Excel would show in a workbook
- duckdb_1x: Pythons with DuckDB 1.x, synced from tests/duckdb_1x/<version>/uv.lock, to read the published marts
"""
