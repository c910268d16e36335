"""`uec public load` as an analyst runs it: the landed winter sitrep loads through the Dagster instance."""

from __future__ import annotations

import shutil

import duckdb

from tests.support.cli import uec
from tests.support.reference import WINTER_SITREP
from tests.support.warehouse import Env
from tests.support.winter_sitrep import expected

WINTER = WINTER_SITREP / "winter_sitrep_2022_23.csv"


def test_public_load_loads_the_landed_sitrep_names_an_unreadable_file_and_skips_what_it_loaded(env: Env):
    folder = env.landing / "national" / "winter_sitrep"
    folder.mkdir(parents=True)
    shutil.copy(WINTER, folder)
    broken = folder / "winter_sitrep_2023_24.csv"
    broken.write_text("org_code,org_name\nRTG,UHDB\n", encoding="utf-8")
    first = uec(env, "public", "load", "winter_sitrep")
    # The readable file loads; the unreadable one fails the run, named with what is wrong.
    assert first.returncode == 1, first.stdout + first.stderr
    assert "publication winter_sitrep, file winter_sitrep_2023_24.csv: missing columns ['date'" in first.stdout
    want = expected(WINTER)
    assert (
        f"winter_sitrep_2022_23.csv: {want.rows_read:,} read = {want.rows_loaded:,} loaded + "
        f"{want.rows_quarantined:,} quarantined + {want.rows_duplicate:,} duplicate"
    ) in first.stdout
    with duckdb.connect(str(env.warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from national.winter_sitrep").fetchone() == (want.rows_loaded,)
    broken.unlink()
    again = uec(env, "public", "load")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No new files" in again.stdout
