"""The warehouse and what is written from it: its one way to open, the readers' copy, the data dictionary, re-sends."""
