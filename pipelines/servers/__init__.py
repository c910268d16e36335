"""`make dev`: the Dagster UI and daemon, and the web server for the reports folder beside them."""
