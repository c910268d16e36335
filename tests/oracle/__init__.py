"""A deliberately plain second implementation of every daily mart, written from the domain brief only.

It reads the landing files itself (the provider layouts come from schemas/registry.py, nothing else of the
pipeline is imported), applies the brief's section 7 rules in plain Python and returns every daily mart as a
list of rows. tests/test_oracle.py compares it with the warehouse the pipeline builds from the same files.
Slow and obvious on purpose: when the two disagree, this side should be the one a reader can check by hand.
"""

from tests.oracle.build import build_marts

__all__ = ["build_marts"]
