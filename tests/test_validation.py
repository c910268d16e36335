"""Contract failures become row errors; a failure that belongs to no row is raised, not swallowed."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
import pytest

from pipelines.validation import contract_errors


def test_a_failure_with_no_row_is_raised_as_pandera_reported_it():
    # A text column where the contract wants integers is our mapping's defect: pandera's error must surface.
    schema = pa.DataFrameSchema({"x": pa.Column(pl.Int64)})
    with pytest.raises(pa.errors.SchemaErrors):
        contract_errors(pl.DataFrame({"x": ["a"], "source_row": [2]}), schema, {"x": "X_COL"})
