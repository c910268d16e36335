"""Contract failures become row errors; a failure that belongs to no row is raised, not swallowed."""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl
import pytest

from pipelines.ingest.validation import contract_errors
from schemas import ambulance_handovers, cnh_cases, ed_attendances, handover_sitrep, opel_submissions
from schemas.canonical import Reference

CONTRACTS = [ambulance_handovers, cnh_cases, ed_attendances, handover_sitrep, opel_submissions]


def test_row_failures_name_the_source_row_and_column():
    schema = pa.DataFrameSchema({"x": pa.Column(pl.Int64, pa.Check.ge(0, error="not negative"))})
    errors = contract_errors(pl.DataFrame({"x": [1, -1], "source_row": [2, 3]}), schema, {"x": "X_COL"})
    assert errors.rows() == [(3, "x", "X_COL", "not negative", "-1")]


def test_a_failure_with_no_row_is_raised_as_pandera_reported_it():
    # A text column where the contract wants integers is our mapping's defect: pandera's error must surface.
    schema = pa.DataFrameSchema({"x": pa.Column(pl.Int64)})
    with pytest.raises(pa.errors.SchemaErrors):
        contract_errors(pl.DataFrame({"x": ["a"], "source_row": [2]}), schema, {"x": "X_COL"})


@pytest.mark.parametrize("feed", CONTRACTS, ids=lambda m: m.SPEC.feed)
def test_every_check_says_why_in_words(feed):
    # pandera reports a built-in check (isin, ge, in_range...) by its `error`, which defaults to the
    # call itself, e.g. "isin(['RTG01', ...])": every built-in must carry words an analyst can act on.
    schema = feed.contract(Reference(sites=["RTG01"], providers=["RTG"]), date(2025, 1, 15))
    checks = [c for column in schema.columns.values() for c in column.checks] + list(schema.checks)
    unworded = [f"{c.name}: {c.error}" for c in checks if (c.error or "").startswith(f"{c.name}(")]
    assert unworded == []
