"""great-expectations suites run over the warehouse, and their Data Docs site made to open with no network."""
