"""Thresholds and windows that SQL, checks, layouts and column descriptions share: each written here once.

SQL reads them as named parameters ($over_12h_minutes), or, in a view's text where DuckDB takes no parameter,
rendered by pipelines.storage.warehouse.sql as a number.
"""

# The ED 12-hour measure: an attendance over this many minutes from arrival to departure (or to its extract's
# cut-off while still open).
OVER_12H_MINUTES = 720

# How far apart two versions of one record id may be placed and still be one record (docs/domain.md §7.1), where a
# layout does not say otherwise.
IDENTITY_WINDOW_HOURS = 12
