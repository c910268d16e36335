"""Columns a contract check adds to the rows it checks: kept apart from schemas/checks.py, so the loader can name
them without importing pandera (half a second) when a process only loads the definitions."""

# Which file a row came from (an index within one check call): a day's files are checked in one call,
# and "unique" means unique within a file, so every uniqueness rule keys on it too.
FILE = "_file"
# Each row's partition day, when the files of many days are checked in one call: a contract built without a day
# compares a row with its own file's day rather than being built again for every day.
DAY = "_partition_date"
# Stands for the day in a rule's name when the contract is built for no one day; each failing row's reason is
# given its own file's day afterwards (pipelines/ingest/validation.py), so the words match a one-day contract's.
DAY_IN_REASON = "{partition_day}"
