"""`uec public fetch`, run as an analyst runs it, against a local stand-in for NHS England's statistics pages serving
the real published files under the suffixed names NHS England gives them since 2025-26."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.national.fetch import load_sources
from tests.support.cli import UEC, uec_env
from tests.support.reference import AE_MONTHLY, WINTER_SITREP
from tests.support.servers import Publisher, free_port, local_publisher
from tests.support.warehouse import Env

SOURCES = load_sources()
SITREP_PAGE = urlsplit(SOURCES["winter_sitrep"].page_url).path
AE_PAGE = urlsplit(SOURCES["ae_monthly"].page_url).path
UPLOADS = "/statistics/wp-content/uploads/sites/2/2026/03/"
# As NHS England names them since 2025-26: a random suffix before the extension.
SITREP_NAME = "UEC-Daily-SitRep-Acute-Web-File-Timeseries-2022-23-a1b2c3.csv"
AMBULANCE_NAME = "Ambulance-Collection-daily-2025-26-d4e5f6.csv"
AMBULANCE_BYTES = b"Period,Org Code,All handovers\n2025-11-01,RTG,180\n2025-11-01,RFS,95\n"
SITREP_2022_23 = WINTER_SITREP / "winter_sitrep_2022_23.csv"


def fetch(env: Env, base_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(UEC), "public", "fetch", *args],
        env={**uec_env(env), "UEC_NATIONAL_BASE_URL": base_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def page(*names: str, absolute: bool = True) -> bytes:
    """A publication page linking each file, the way NHS England's pages do (absolute links to its own host)."""
    host = "https://www.england.nhs.uk" if absolute else ""
    links = "\n".join(f'<li><a href="{host}{UPLOADS}{name}">{name.rsplit(".", 1)[0]}</a></li>' for name in names)
    return (
        "<html><body><h1>Statistics</h1><ul>\n"
        f'{links}\n<li><a href="https://www.england.nhs.uk/privacy/">Privacy</a></li>\n'
        '<li><a href="#content">Back to top</a></li></ul></body></html>'
    ).encode()


def publish(
    site: Publisher, page_path: str, files: dict[str, bytes | tuple[bytes, str] | int], absolute: bool = True
) -> None:
    site.routes[page_path] = page(*files, absolute=absolute)
    site.routes.update({UPLOADS + name: body for name, body in files.items()})


def landed(env: Env, publication: str) -> list[Path]:
    folder = env.landing / "national" / publication
    return sorted(folder.iterdir()) if folder.is_dir() else []


def provenance(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".provenance.json").read_text(encoding="utf-8"))


def test_fetch_finds_the_suffixed_file_lands_it_with_provenance_and_skips_it_next_time(env: Env):
    real = SITREP_2022_23.read_bytes()
    with local_publisher() as (site, base):
        publish(
            site,
            SITREP_PAGE,
            {
                SITREP_NAME: real,
                AMBULANCE_NAME: AMBULANCE_BYTES,  # another publication's file on the same page
                "UEC-Daily-SitRep-Guidance-2025-26.pdf": b"%PDF",
            },
        )
        before = datetime.now(UTC).replace(microsecond=0)
        done = fetch(env, base, "winter_sitrep")
        assert done.returncode == 0, done.stderr
        folder = env.landing / "national" / "winter_sitrep"
        assert landed(env, "winter_sitrep") == [folder / SITREP_NAME, folder / f"{SITREP_NAME}.provenance.json"]
        assert (folder / SITREP_NAME).read_bytes() == real
        record = provenance(folder / SITREP_NAME)
        assert set(record) == {"publication", "source_url", "page_url", "fetched_at_utc", "sha256", "size_bytes"}
        # The checksum is the published file's, worked here from the reference file itself.
        assert record["sha256"] == hashlib.sha256(SITREP_2022_23.read_bytes()).hexdigest()
        assert record["size_bytes"] == SITREP_2022_23.stat().st_size
        # NHS England's absolute links are followed on the configured base (the mirror), not the real site.
        assert record["source_url"] == f"{base}{UPLOADS}{SITREP_NAME}"
        assert record["page_url"] == f"{base}{SITREP_PAGE}"
        assert record["publication"] == "winter_sitrep"
        assert record["fetched_at_utc"].endswith("Z")
        fetched_at = datetime.strptime(record["fetched_at_utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert before <= fetched_at <= datetime.now(UTC) + timedelta(seconds=1)
        assert f"landed {folder / SITREP_NAME}" in done.stdout
        # Only the one file that fits was downloaded: not the other publication's, not the guidance.
        assert site.requests == [SITREP_PAGE, UPLOADS + SITREP_NAME]

        again = fetch(env, base, "winter_sitrep")
        assert again.returncode == 0, again.stderr
        assert f"already landed as {folder / SITREP_NAME}" in again.stdout
        assert "0 new file(s) landed, 1 already landed, 0 failed" in again.stdout
        assert landed(env, "winter_sitrep") == [folder / SITREP_NAME, folder / f"{SITREP_NAME}.provenance.json"]
        assert provenance(folder / SITREP_NAME) == record  # the first fetch's provenance stands


def test_a_new_edition_under_the_same_name_is_kept_beside_the_first(env: Env):
    first, second = SITREP_2022_23.read_bytes(), (WINTER_SITREP / "winter_sitrep_2021_22.csv").read_bytes()
    with local_publisher() as (site, base):
        publish(site, SITREP_PAGE, {SITREP_NAME: first})
        assert fetch(env, base, "winter_sitrep").returncode == 0
        publish(site, SITREP_PAGE, {SITREP_NAME: second})
        done = fetch(env, base, "winter_sitrep")
    assert done.returncode == 0, done.stderr
    assert "landed already with other bytes: both kept" in done.stdout
    files = [p for p in landed(env, "winter_sitrep") if not p.name.endswith(".provenance.json")]
    assert len(files) == 2 and files[1].name == SITREP_NAME
    assert files[0].name.startswith(SITREP_NAME.removesuffix(".csv") + "-fetched-") and files[0].suffix == ".csv"
    assert files[1].read_bytes() == first and files[0].read_bytes() == second
    assert provenance(files[0])["sha256"] == hashlib.sha256(second).hexdigest()
    assert provenance(files[1])["sha256"] == hashlib.sha256(first).hexdigest()


def test_all_fetches_every_configured_publication(env: Env):
    ae = AE_MONTHLY.read_bytes()
    with local_publisher() as (site, base):
        publish(site, SITREP_PAGE, {SITREP_NAME: SITREP_2022_23.read_bytes(), AMBULANCE_NAME: AMBULANCE_BYTES})
        publish(site, AE_PAGE, {"Monthly-AE-March-2019-g7h8i9.csv": ae}, absolute=False)  # relative links too
        done = fetch(env, base, "--all")
    assert done.returncode == 0, done.stderr
    assert "3 publication(s): 3 new file(s) landed, 0 already landed, 0 failed." in done.stdout
    ambulance = env.landing / "national" / "ambulance_collection" / AMBULANCE_NAME
    assert ambulance.read_bytes() == AMBULANCE_BYTES
    monthly = env.landing / "national" / "ae_monthly" / "Monthly-AE-March-2019-g7h8i9.csv"
    assert provenance(monthly)["sha256"] == hashlib.sha256(ae).hexdigest()


def test_several_matches_fail_naming_them_and_matching_chooses_one(env: Env):
    ae = AE_MONTHLY.read_bytes()
    names = ["Monthly-AE-February-2019-j1k2l3.csv", "Monthly-AE-March-2019-g7h8i9.csv"]
    with local_publisher() as (site, base):
        publish(site, AE_PAGE, {names[0]: b"period,org_code\n", names[1]: ae})
        done = fetch(env, base, "ae_monthly")
        assert done.returncode == 1
        said = " ".join(done.stderr.split())
        assert f"ae_monthly: 2 files on {base}{AE_PAGE} fit pattern" in said
        assert SOURCES["ae_monthly"].file_pattern in said
        assert f"{names[0]}; {names[1]}" in said and "--matching" in said
        assert landed(env, "ae_monthly") == []
        chosen = fetch(env, base, "ae_monthly", "--matching", "March-2019")
    assert chosen.returncode == 0, chosen.stderr
    assert (env.landing / "national" / "ae_monthly" / names[1]).read_bytes() == ae


def test_no_match_fails_naming_the_page_the_pattern_and_what_the_page_links(env: Env):
    with local_publisher() as (site, base):
        publish(site, SITREP_PAGE, {AMBULANCE_NAME: AMBULANCE_BYTES, "UEC-Daily-SitRep-Guidance.pdf": b"%PDF"})
        done = fetch(env, base, "winter_sitrep")
    assert done.returncode == 1
    said = " ".join(done.stderr.split())
    assert f"winter_sitrep: no file on {base}{SITREP_PAGE} fits pattern" in said
    assert SOURCES["winter_sitrep"].file_pattern in said
    assert f"Files the page links: {AMBULANCE_NAME}; UEC-Daily-SitRep-Guidance.pdf" in said
    assert "0 new file(s) landed, 0 already landed, 1 failed: winter_sitrep." in done.stdout
    assert landed(env, "winter_sitrep") == []


def test_server_errors_and_missing_files_fail_clearly_and_leave_nothing(env: Env):
    with local_publisher() as (site, base):
        publish(site, SITREP_PAGE, {SITREP_NAME: 404})
        missing = fetch(env, base, "winter_sitrep")
        site.routes[SITREP_PAGE] = 500
        broken = fetch(env, base, "winter_sitrep")
    assert missing.returncode == 1
    assert f"winter_sitrep: the file {base}{UPLOADS}{SITREP_NAME} answered HTTP 404" in missing.stderr
    assert broken.returncode == 1
    assert f"winter_sitrep: the page {base}{SITREP_PAGE} answered HTTP 500" in broken.stderr
    # No half-written download is left behind (hidden temporary files included).
    assert landed(env, "winter_sitrep") == []
    with local_publisher() as (site, base):
        # What a site answers when a file has moved or needs signing in: a web page, with 200.
        publish(site, SITREP_PAGE, {SITREP_NAME: (b"<html>Please sign in</html>", "text/html; charset=utf-8")})
        page_instead = fetch(env, base, "winter_sitrep")
    assert page_instead.returncode == 1
    assert f"{base}{UPLOADS}{SITREP_NAME} answered with a web page, not the file" in page_instead.stderr
    assert landed(env, "winter_sitrep") == []
    nobody = f"http://127.0.0.1:{free_port()}"
    unreachable = fetch(env, nobody, "winter_sitrep")
    assert unreachable.returncode == 1
    assert f"winter_sitrep: could not reach the page {nobody}{SITREP_PAGE}" in unreachable.stderr


def test_usage_errors(env: Env):
    assert fetch(env, "", "winter_sitrep", "--all").returncode == 2
    neither = fetch(env, "")
    assert neither.returncode == 2 and "Name one publication, or give --all" in neither.stderr
    assert fetch(env, "", "no_such_publication").returncode == 2


def test_help_says_where_it_looks_what_it_writes_and_the_exit_statuses(env: Env):
    done = fetch(env, "", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for said in ("PUBLICATION", "--all", "--matching", "sources.yaml", "provenance.json", "sha256", "Exit status"):
        assert said in text, said
    assert "public" in " ".join(subprocess.run([str(UEC), "--help"], capture_output=True, text=True).stdout.split())
