"""Which warnings the command line keeps from the analyst: Dagster's notices about its own beta and preview features.

`uec` and `make demo` once ignored every warning, which would also have hidden a deprecation that breaks the next
upgrade, or a library's warning about the data. Listed by running them with every warning shown (`uec refresh`
on the samples, `make demo`): only these two categories appeared, raised as the definitions load.
"""

from __future__ import annotations

import warnings

# Raised in Dagster's own decorators (BetaWarning: an @asset's backfill_policy) or attributed to our module that
# uses the feature (PreviewWarning: a partitioned AssetCheckSpec in assets/data_quality.py).
DAGSTER_NOTICE_SOURCES = r"(dagster|assets|pipelines|schemas)(\.|$)"


def hide_dagster_notices() -> None:
    """Ignore Dagster's beta and preview notices (for developers, who see them under pytest and `dagster dev`)."""
    # The same classes as dagster.BetaWarning and dagster.PreviewWarning, without importing all of Dagster (about a
    # second) in commands that never load it.
    from dagster_shared.utils.warnings import BetaWarning, PreviewWarning

    for category in (BetaWarning, PreviewWarning):
        warnings.filterwarnings("ignore", category=category, module=DAGSTER_NOTICE_SOURCES)
