"""`uec feeds check` over a folder or several files, run as an analyst runs it: one line block per file, then the
totals, with the set-up (layouts, reference codes, contracts) made once."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from pipelines import REPO_ROOT
from tests.support.cli import uec
from tests.support.rows import uhdb_row
from tests.support.warehouse import Env

EMAS_SAMPLES = REPO_ROOT / "data_samples" / "landing" / "ambulance_handovers" / "emas"
TOTAL = re.compile(
    r"Total: (?P<files>[\d,]+) files, rows read (?P<read>[\d,]+): would load (?P<loaded>[\d,]+) "
    r"\((?P<unknown>[\d,]+) with a value set to unknown\), would quarantine (?P<quarantined>[\d,]+) "
    r"\(in (?P<quarantined_files>[\d,]+) files\), would ignore (?P<duplicate>[\d,]+) duplicate rows; "
    r"files rejected (?P<rejected>[\d,]+), files no layout fits (?P<unmatched>[\d,]+), files clean (?P<clean>[\d,]+)\."
)


def totals(stdout: str) -> dict[str, int]:
    found = TOTAL.search(" ".join(stdout.split()))
    assert found, stdout[-2000:]
    return {name: int(value.replace(",", "")) for name, value in found.groupdict().items()}


def test_a_folder_of_the_bundled_samples_is_checked_file_by_file_with_a_total(env: Env):
    files = sorted(EMAS_SAMPLES.glob("*.csv"))
    # Rows read, worked here with the csv module: every data line of every file (header excluded).
    rows = 0
    for path in files:
        with open(path, encoding="utf-8", newline="") as handle:
            rows += sum(1 for _ in csv.reader(handle)) - 1
    done = uec(env, "feeds", "check", "emas", str(EMAS_SAMPLES))
    assert done.returncode == 1, done.stdout[-2000:]  # the planted bad rows (docs/sample-data.md)
    for path in files:
        assert f"{path.name}: feed ambulance_handovers, provider RX9" in done.stdout
    found = totals(done.stdout)
    assert found["files"] == len(files) and found["read"] == rows
    # Every row accounted for: loaded, quarantined or ignored as a duplicate.
    assert found["loaded"] + found["quarantined"] + found["duplicate"] == rows
    # The planted ones (docs/sample-data.md): EMAS hospital NGH on 12 Mar quarantined; 250109-00003 (9 Jan) and
    # 250204-00006 (4 Feb) loaded with their handover unknown.
    assert (found["quarantined"], found["quarantined_files"], found["unknown"]) == (1, 1, 2)
    assert (found["rejected"], found["unmatched"]) == (0, 0)
    block = done.stdout.split("EMAS_Handovers_20250312_20250313040000.csv:")[1].split("EMAS_Handovers_")[0]
    assert "would quarantine 1" in block and "Hospital: code not in the mapping for site_code" in block
    assert not env.warehouse.exists()


def test_several_files_report_each_and_a_total_and_fail_when_any_fails(env: Env):
    clean = env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 12:00:00")])
    mixed = env.write_uhdb(
        "20250116",
        "20250117T0600",
        [
            uhdb_row("B1", "2025-01-16 10:00:00", "2025-01-16 12:00:00"),
            uhdb_row("B2", "2025-01-16 10:00:00", "2025-01-16 09:00:00"),  # departs before arrival: row 3
        ],
    )
    empty = env.write_uhdb("20250117", "20250118T0600", [])
    empty.write_bytes(b"")
    done = uec(env, "feeds", "check", "uhdb", str(clean), str(mixed), str(empty))
    assert done.returncode == 1
    out = done.stdout
    assert out.index(clean.name) < out.index(mixed.name) < out.index(empty.name)
    assert "rows read 1: would load 1 (0 with a value set to unknown), would quarantine 0" in out
    assert "rows read 2: would load 1 (0 with a value set to unknown), would quarantine 1" in out
    assert "DEPARTURE_DTTM: not before arrival -> record quarantined  rows 3" in out
    assert "REJECTED: the whole file would be rejected" in out.split(empty.name)[1]
    # 1 + 2 rows read from the two readable files; 1 + 1 load; 1 quarantined; the empty file rejected.
    assert totals(out) == {
        "files": 3,
        "read": 3,
        "loaded": 2,
        "unknown": 0,
        "quarantined": 1,
        "quarantined_files": 1,
        "duplicate": 0,
        "rejected": 1,
        "unmatched": 0,
        "clean": 1,
    }


def test_a_clean_folder_passes_and_a_stray_file_or_a_missing_path_fails(env: Env):
    folder = env.landing / "ed_attendances" / "uhdb"
    for day in ("15", "16"):
        env.write_uhdb(f"202501{day}", f"202501{day}T2300", [uhdb_row("A" + day, f"2025-01-{day} 10:00:00")])
    done = uec(env, "feeds", "check", "uhdb", str(folder))
    assert done.returncode == 0, done.stdout
    assert totals(done.stdout)["clean"] == 2
    (folder / "notes.txt").write_text("not a feed file\n")
    stray = uec(env, "feeds", "check", "uhdb", str(folder))
    assert stray.returncode == 2
    assert "notes.txt does not match uhdb's file-name pattern" in stray.stdout
    assert (totals(stray.stdout)["files"], totals(stray.stdout)["unmatched"]) == (3, 1)
    missing = uec(env, "feeds", "check", "uhdb", str(folder / "UHDB_ED_20250199_20250199T0600.csv"))
    assert missing.returncode == 2 and "is not a file or a folder" in missing.stdout
    empty = env.root / "empty"
    empty.mkdir()
    nothing = uec(env, "feeds", "check", "uhdb", str(empty))
    assert nothing.returncode == 2 and "is a folder with no files in it" in nothing.stdout


def test_one_file_reads_as_before_without_a_total(env: Env):
    path: Path = env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00")])
    done = uec(env, "feeds", "check", "uhdb", str(path))
    assert done.returncode == 0
    assert "Total:" not in done.stdout
