"""Alerts: telling the SCC when a run fails, a file is late or missing, and whether the morning brief is ready."""
