"""Alerts reach a real SMTP server and a stand-in Teams webhook: a failed run, late files, the brief's readiness."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.alerts.channels import deliver
from pipelines.alerts.config import ALERTS_FILE_ENV, AlertsConfig, AlertsConfigError, load_alerts_config
from pipelines.alerts.messages import Message, brief_summary, plain_reason
from pipelines.alerts.sensors import AlertNotSent, build_alerts, build_late_file_sensor
from pipelines.definitions import defs
from pipelines.ingest.pseudonymise import KEY_ENV
from pipelines.instance import BRIEF_KEY
from pipelines.resources import ReportsResource
from schemas.catalogue import FEEDS
from schemas.clock import LONDON
from schemas.registry import load_feed_configs
from tests.support.cli import uec, uec_env
from tests.support.rows import crh_row, dchs_row, dhu_row, emas_row, opel_row, uhdb_row
from tests.support.second_system import add_tameside
from tests.support.servers import Mailbox, Webhook, body, free_port, local_smtp, local_webhook, smtp_channel
from tests.support.warehouse import Env

REPO = Path(__file__).resolve().parents[1]
DISTRIBUTION = ["scc.team@example.nhs.uk", "scc.oncall@example.nhs.uk"]
TEAMS_URL_ENV = "UEC_TEST_TEAMS_WEBHOOK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with local_smtp() as server:
        yield server


@pytest.fixture
def teams() -> Iterator[tuple[Webhook, str]]:
    with local_webhook() as server:
        yield server


def write_alerts(path: Path, smtp_port: int, ui_url: str | None = None, **overrides) -> Path:
    config = {
        "email": smtp_channel(smtp_port, DISTRIBUTION),
        "teams": {"enabled": True, "webhook_url_env": TEAMS_URL_ENV},
        "ui_url": ui_url,
        **overrides,
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture
def alerts(tmp_path: Path, smtp, teams, monkeypatch: pytest.MonkeyPatch) -> tuple[Mailbox, Webhook]:
    """Both channels on, pointing at the local servers (the Teams URL read from an environment variable)."""
    monkeypatch.setenv(TEAMS_URL_ENV, teams[1])
    monkeypatch.setenv(ALERTS_FILE_ENV, str(write_alerts(tmp_path / "alerts.yaml", smtp[1], "http://scc-host:3000/")))
    return smtp[0], teams[0]


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    """A throwaway instance on disk, stored as the repo's dagster.yaml stores the daemon's: a schedule's context
    reaches its instance through a reference to storage."""
    home = tmp_path / "dagster"
    home.mkdir()
    storage = yaml.safe_load((REPO / "dagster.yaml").read_text(encoding="utf-8"))["storage"]
    with dg.instance_for_test(temp_dir=str(home), overrides={"storage": storage}) as instance:
        yield instance


def failed_run(
    env: Env, tmp_path: Path, instance: dg.DagsterInstance, day: str = "2025-01-15"
) -> dg.ExecuteInProcessResult:
    """A real failed run, as the landing sensor starts one for RTG's new file: the key is not set, so the file's
    NHS numbers cannot be hashed and raw/ed_attendances fails (a broken layout no longer fails a run: it stops
    only its own provider)."""
    compact = day.replace("-", "")
    folder = env.landing / "ed_attendances" / "uhdb"
    if not any(folder.glob(f"UHDB_ED_{compact}_*.csv")):
        env.write_uhdb(compact, f"{compact}T0600", [uhdb_row("A1", f"{day} 10:00:00", NHS_NUMBER="9434765919")])
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(KEY_ENV, raising=False)
        result = dg.materialize(
            [a for a in defs.assets if BRIEF_KEY not in a.keys],
            selection="raw/ed_attendances",
            resources=env.resources(),
            partition_key=day,
            tags={"uec/trigger": "landing_files", "uec/provider": "RTG"},
            raise_on_error=False,
            instance=instance,
        )
    assert not result.success
    return result


def sensor_tick(name: str, env: Env, instance: dg.DagsterInstance, cursor: str | None = None) -> tuple[str | None, int]:
    """One tick of a run-status sensor against the instance, as the daemon evaluates it: its cursor, runs seen."""
    sensor = defs.resolve_sensor_def(name)
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=env.resources()) as context:
        tick = sensor.evaluate_tick(context)
    # The daemon records an error in the sensor's code against the run instead of raising it: look for one.
    assert [r.error for r in tick.dagster_run_reactions if r.error] == []
    return tick.cursor, len(tick.dagster_run_reactions)


def run_failure_tick(env: Env, instance: dg.DagsterInstance, cursor: str | None = None) -> tuple[str | None, int]:
    return sensor_tick("run_failure_alerts", env, instance, cursor)


def test_a_failed_run_is_mailed_and_posted_with_its_step_provider_reason_and_run_id(
    env: Env, tmp_path: Path, instance: dg.DagsterInstance, alerts
):
    mailbox, webhook = alerts
    watching, _ = run_failure_tick(env, instance)  # the first tick only notes where the event log stands
    result = failed_run(env, tmp_path, instance)

    after, seen = run_failure_tick(env, instance, watching)
    assert seen == 1

    [(recipients, mail)] = mailbox.received
    assert recipients == DISTRIBUTION
    assert mail["To"] == ", ".join(DISTRIBUTION) and mail["From"] == "uec.alerts@example.nhs.uk"
    assert "raw__ed_attendances" in mail["Subject"] and "provider RTG" in mail["Subject"]
    text = body(mail)
    assert f"Run id: {result.run_id}" in text
    assert "Step: raw__ed_attendances, provider RTG" in text
    # The innermost error's first line, in plain words: no exception class, no Dagster wrapper, no traceback.
    [reason] = [line for line in text.splitlines() if line.startswith("Reason: ")]
    assert reason.startswith("Reason: UEC_PSEUDONYMISATION_KEY is not set")
    assert "Traceback" not in text and "MissingKeyError" not in text and "Error occurred while executing" not in text
    assert f"http://scc-host:3000/runs/{result.run_id}" in text
    [card] = webhook.texts()
    assert "raw__ed_attendances" in card and result.run_id in card and "provider RTG" in card

    # The sensor's cursor has moved past the failure: later ticks say nothing more about it.
    assert run_failure_tick(env, instance, after)[1] == 0
    assert len(mailbox.received) == 1 and len(webhook.posts) == 1


NOW = datetime(2025, 1, 15, 13, 0, tzinfo=LONDON)  # after every due time for the 14th, and OPEL's for the 15th


def test_late_and_missing_files_are_sent_as_one_digest_per_tick_and_once_per_feed_provider_and_day(env: Env, alerts):
    mailbox, webhook = alerts
    # UHDB's file for the 14th was extracted at 09:30 on the 15th, after its 07:00 due time; nothing else landed.
    env.write_uhdb("20250114", "20250115T0930", [uhdb_row("A1", "2025-01-14 10:00:00")])
    sensor = build_late_file_sensor(FEEDS, switched_on=True, clock=lambda: NOW)
    # An entry older than the seven days kept: it must be dropped, not carried for ever.
    old = json.dumps({"sent": {"2024-12-01": ["ed_attendances/RTG"]}})

    first = sensor(dg.build_sensor_context(cursor=old, resources=env.sensor_resources()))

    days = ["2025-01-13", "2025-01-14", "2025-01-15"]
    expected = {
        (config.feed, config.provider_code, day)
        for feed in FEEDS
        for config in load_feed_configs(feed.name, env.feeds_dir)
        if config.expected_daily
        for day in days
        if config.due_at(datetime.fromisoformat(day).date()) < NOW
    }
    # The ED, ambulance and hub feeds for the 15th are not yet due at 13:00; OPEL's was due at 12:30.
    assert ("opel_submissions", "QJ2", "2025-01-15") in expected
    assert ("ed_attendances", "RTG", "2025-01-15") not in expected
    # One e-mail and one Teams post for the whole look, each naming every file.
    [mail] = mailbox.messages
    assert len(webhook.posts) == 1
    assert _alerted(body(mail)) == expected == _alerted(webhook.texts()[0])
    assert mail["Subject"] == f"[UEC] {len(expected)} files late or missing ({len(expected) - 1} missing, 1 late), " + (
        "Mon 13 Jan to Wed 15 Jan 2025"
    )
    [late] = [line for line in body(mail).splitlines() if "late, extracted" in line]
    assert "from RTG (" in late and "extracted 15 Jan 09:30, due 15 Jan 07:00" in late and "2025-01-14" in late
    cursor = json.loads(first.cursor)["sent"]
    assert "2024-12-01" not in cursor and sorted(cursor) == days

    # The same position on the next tick, and the one after: nothing is sent again.
    for _ in range(2):
        again = sensor(dg.build_sensor_context(cursor=first.cursor, resources=env.sensor_resources()))
        assert again.cursor == first.cursor and "Nothing new" in again.skip_reason.skip_message
    assert len(mailbox.messages) == 1 and len(webhook.posts) == 1


def _alerted(text: str) -> set[tuple[str, str, str]]:
    """Each (feed, provider, day) a digest names, from its lines' "(Feed F, provider P, activity day D)"."""
    return set(re.findall(r"\(Feed (\w+), provider (\w+), activity day ([\d-]+)\)", text))


def test_an_alert_no_channel_took_is_tried_again_and_one_channel_down_does_not_stop_the_other(
    env: Env, tmp_path: Path, instance: dg.DagsterInstance, alerts, monkeypatch: pytest.MonkeyPatch
):
    mailbox, webhook = alerts
    closed = free_port()  # nothing listens here: the mail server is "down"
    monkeypatch.setenv(ALERTS_FILE_ENV, str(write_alerts(tmp_path / "down.yaml", closed)))
    sensor = build_late_file_sensor(FEEDS, switched_on=True, clock=lambda: NOW)
    webhook.status = 500
    nobody = sensor(dg.build_sensor_context(resources=env.sensor_resources()))
    assert webhook.posts  # the webhook was reached, but refused every post
    assert json.loads(nobody.cursor)["sent"] == {} and "tried again" in nobody.skip_reason.skip_message

    posted = len(webhook.posts)
    webhook.status = 202  # Teams is back; mail is still down
    teams_only = sensor(dg.build_sensor_context(cursor=nobody.cursor, resources=env.sensor_resources()))
    assert len(webhook.posts) == 2 * posted and not mailbox.messages
    assert json.loads(teams_only.cursor)["sent"] and "tried again" not in teams_only.skip_reason.skip_message

    # The readiness message has no next tick: when no channel takes it, the tick fails and says why.
    webhook.status = 500
    with pytest.raises(AlertNotSent, match=r"email: .*teams: HTTPError"):
        readiness(env, instance)


def readiness(env: Env, instance: dg.DagsterInstance) -> dg.SkipReason:
    """The readiness schedule's 08:45 tick on 15 January, about the 14th."""
    schedule = defs.resolve_schedule_def("brief_readiness_alert")
    # Closed on the way out: the context opens its own copy of the instance, which would otherwise stay the
    # current one for every later test in this process, long after the instance is gone.
    with dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2025, 1, 15, 8, 45, tzinfo=LONDON),
        resources=env.resources(),
    ) as context:
        return schedule(context)


def write_whole_day(env: Env, only: set[str] | None = None) -> None:
    """Every expected provider's file for 14 January, each on time and clean (or only the feeds named)."""
    writers = {
        "ed_attendances": lambda: (
            env.write_uhdb("20250114", "20250115T0600", [uhdb_row("A1", "2025-01-14 10:00:00", "2025-01-14 12:00:00")]),
            env.write_crh("2025-01-14", "202501150530", [crh_row("C1", "14/01/2025 09:00", "14/01/2025 10:00")]),
        ),
        "ed_daily_aggregates": lambda: env.write_dchs(
            "20250114", "20250115T0700", [dchs_row("14/01/2025", "RY8MI", 20, 0, 0)]
        ),
        "ambulance_handovers": lambda: env.write_emas(
            "20250114",
            "20250115040000",
            [emas_row("H1", "14-Jan-2025 10:00:00", "14-Jan-2025 10:10:00", "14-Jan-2025 10:30:00")],
        ),
        "cnh_cases": lambda: env.write_dhu(
            "20250114",
            "202501150300",
            [dhu_row("D1", "EMAS C3C4", "2025-01-14T10:00:00", "2025-01-14T10:20:00", "OWN GP")],
        ),
        "opel_submissions": lambda: env.write_opel(
            "20250114", "202501141130", [opel_row("RTG", "14/01/2025", "14/01/2025 09:00:00", 3)]
        ),
    }
    for feed, write in writers.items():
        if only is None or feed in only:
            write()


def test_a_ready_brief_is_mailed_with_its_headline_and_key_messages_and_linked_never_by_its_path(
    env: Env, instance: dg.DagsterInstance, alerts, monkeypatch: pytest.MonkeyPatch
):
    mailbox, webhook = alerts
    write_whole_day(env)
    env.materialize("2025-01-14", brief=True, instance=instance)
    reports = env.root / "reports"
    brief = reports / "brief-2025-01-14.html"
    page = brief.read_text(encoding="utf-8")

    outcome = readiness(env, instance)

    [mail] = mailbox.messages
    assert mail["Subject"] == "[UEC] Morning brief for Tue 14 Jan 2025 is ready"
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == "brief-2025-01-14.html" and attached.get_content_type() == "text/html"
    assert attached.get_content() == page
    text, [card] = body(mail), webhook.texts()
    # The headline tiles and the key messages, as the brief itself prints them, in the e-mail and on Teams.
    headline, messages = brief_summary(page)
    assert any("Derby and Derbyshire ICB" in line for line in headline), headline
    assert messages and all(m in text and m in card for m in messages)
    assert all(line in text and line in card for line in headline)
    assert "a run that loaded every expected feed for the day after its last file landed" in text
    assert "Every expected file for the day arrived on time and was loaded whole." in text
    # No server path anywhere: with no served address the brief is attached and named; in the brief's footer too.
    for said in (text, card, page):
        assert str(env.root) not in said and "uec.duckdb" not in said
    assert "attached to the e-mail as brief-2025-01-14.html" in text
    assert "email" in outcome.skip_message and "teams" in outcome.skip_message

    # Where the reports folder is served (UEC_REPORTS_URL), the message links the brief and workbook there.
    served = {**env.resources(), "reports": ReportsResource(directory=str(reports), url="http://scc.example:3001/")}
    monkeypatch.setattr(env, "resources", lambda: served)
    readiness(env, instance)
    text = body(mailbox.messages[-1])
    assert "Open it at http://scc.example:3001/brief-2025-01-14.html." in text
    assert "http://scc.example:3001/marts-2025-01-14.xlsx" in text and str(env.root) not in text


def test_a_file_landing_after_the_run_makes_the_brief_not_ready_until_a_run_loads_it(
    env: Env, instance: dg.DagsterInstance, alerts
):
    mailbox, _ = alerts
    write_whole_day(env)
    env.materialize("2025-01-14", brief=True, instance=instance)
    # CRH re-sends after the run: the brief no longer stands on everything that landed for the day.
    env.write_crh("2025-01-14", "202501150700", [crh_row("C1", "14/01/2025 09:00", "14/01/2025 11:00")])

    readiness(env, instance)
    text = body(mailbox.messages[-1])
    assert mailbox.messages[-1]["Subject"].endswith("is NOT ready")
    assert "A ED attendances file landed" in text and "after the last run that loaded the feed" in text

    env.materialize("2025-01-14", brief=True, instance=instance)
    readiness(env, instance)
    assert mailbox.messages[-1]["Subject"].endswith("is ready")


@pytest.mark.parametrize(
    ("landed", "quarantine_handovers", "absent"),
    [
        # Only the OPEL portal's export: the 12:45 OPEL run writes a brief, which used to count as ready.
        ({"opel_submissions"}, False, ["ED attendances", "Ambulance handovers", "CNH/SPoA cases"]),
        # Every file, but every handover row quarantined (arrival is no date).
        (None, True, ["Ambulance handovers"]),
        # No Derbyshire data at all.
        (set(), False, ["ED attendances", "Ambulance handovers", "CNH/SPoA cases", "OPEL submissions"]),
    ],
    ids=["opel-only", "handovers-quarantined", "no-data"],
)
def test_a_brief_without_every_feed_is_not_ready_and_says_what_is_missing_and_what_it_holds_back(
    env: Env, instance: dg.DagsterInstance, alerts, landed, quarantine_handovers, absent
):
    mailbox, webhook = alerts
    write_whole_day(env, landed)
    if quarantine_handovers:
        env.write_emas("20250114", "20250115040000", [emas_row("H1", "31-Feb-2025 10:00:00", "", "")])
    if landed != set():
        env.materialize("2025-01-14", brief=True, instance=instance)

    readiness(env, instance)

    [mail] = mailbox.messages
    text, [card] = body(mail), webhook.texts()
    assert mail["Subject"] == "[UEC] Morning brief for Tue 14 Jan 2025 is NOT ready", text
    assert "is ready" not in text and "arrived on time" not in text
    for label in absent:
        assert re.search(rf"^- {label} (not received|quarantined) from ", text, re.M), (label, text)
        assert label in card
    assert "Affects: " in text
    if quarantine_handovers:
        assert "quarantined from RX9 (East Midlands" in text and "all 1 rows quarantined" in text
        # The brief itself makes no assurance about the handovers it does not have.
        assert "No handover took over 45 minutes" not in text
    if landed == set():
        assert "brief-2025-01-14.html has not been written" in text and not list(mail.iter_attachments())
    else:
        assert [a.get_filename() for a in mail.iter_attachments()] == ["brief-2025-01-14.html"]


def test_the_readiness_alert_is_the_home_systems(env: Env, tmp_path: Path, instance: dg.DagsterInstance, alerts):
    mailbox, _ = alerts
    # A second system's provider (Tameside, Greater Manchester) whose file has not come either.
    add_tameside(*env.own_configuration(tmp_path))

    readiness(env, instance)

    [mail] = mailbox.messages
    text = body(mail)
    assert "The morning brief (QJ2 Derby and Derbyshire ICB) for Tue 14 Jan 2025 is NOT ready" in text
    # Chesterfield's missing file holds the Derbyshire brief back; Tameside's is Greater Manchester's business.
    assert "from RFS (" in text and "from RMP (" not in text


def test_no_brief_by_the_readiness_time_says_which_files_are_missing_and_what_the_run_did(
    env: Env, tmp_path: Path, instance: dg.DagsterInstance, alerts
):
    mailbox, webhook = alerts
    env.write_uhdb("20250114", "20250115T0600", [uhdb_row("A1", "2025-01-14 10:00:00")])
    result = failed_run(env, tmp_path, instance, day="2025-01-14")

    readiness(env, instance)

    [mail] = mailbox.messages
    assert mail["Subject"] == "[UEC] Morning brief for Tue 14 Jan 2025 is NOT ready"
    assert not list(mail.iter_attachments())
    text = body(mail)
    assert "brief-2025-01-14.html has not been written" in text
    for provider in ("RFS", "RX9", "DHU", "QJ2"):
        assert f"not received from {provider} (" in text
    # UHDB's file came, on time, but the run failed before loading it; its sitrep is sent only when needed.
    assert "received but not loaded from RTG (" in text and "Handover sitrep" not in text
    assert f"The latest run covering 2025-01-14: {result.run_id}" in text and "failure" in text
    [card] = webhook.texts()
    assert "NOT ready" in card and "from RX9" in card


@pytest.mark.parametrize("config", ["absent", "example"])
def test_with_no_channel_configured_nothing_is_sent_and_nothing_fails(
    env: Env, tmp_path: Path, instance: dg.DagsterInstance, smtp, teams, monkeypatch: pytest.MonkeyPatch, config: str
):
    # The shipped example has every channel off; a missing file means the same.
    path = REPO / "alerts.example.yaml" if config == "example" else tmp_path / "no-such-alerts.yaml"
    monkeypatch.setenv(ALERTS_FILE_ENV, str(path))
    assert load_alerts_config().channels == []
    watching, _ = run_failure_tick(env, instance)
    failed_run(env, tmp_path, instance)

    assert run_failure_tick(env, instance, watching)[1] == 1  # the failed run was seen, and nothing failed
    late = build_late_file_sensor(FEEDS, switched_on=True, clock=lambda: NOW)(
        dg.build_sensor_context(resources=env.sensor_resources())
    )
    ready = readiness(env, instance)

    assert "No alert channel" in late.skip_reason.skip_message and "No alert channel" in ready.skip_message
    assert smtp[0].received == [] and teams[0].posts == []
    # Quiet by default: the alert sensors and schedule start stopped, the pipeline's own stay on.
    built = build_alerts(FEEDS)
    assert {s.default_status for s in built.sensors} == {dg.DefaultSensorStatus.STOPPED}
    assert built.schedules[0].default_status == dg.DefaultScheduleStatus.STOPPED


def test_a_configured_channel_switches_the_alerts_on_at_the_file_s_readiness_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = write_alerts(tmp_path / "alerts.yaml", 25, readiness={"at": "08:30"})
    monkeypatch.setenv(ALERTS_FILE_ENV, str(path))
    built = build_alerts(FEEDS)
    assert {s.default_status for s in built.sensors} == {dg.DefaultSensorStatus.RUNNING}
    [schedule] = built.schedules
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.cron_schedule == "30 8 * * *" and schedule.execution_timezone == "Europe/London"
    assert load_alerts_config().readiness.at == time(8, 30)


@pytest.mark.parametrize(
    "email, complaint",
    [
        ({"password": "hunter2"}, "'password' cannot be written in the alerts file"),
        ({"username": "scc"}, "no password_env"),
        ({"username": "scc", "password_env": "X", "starttls": False}, "needs starttls: true"),
        ({"to": []}, "to not set"),
    ],
)
def test_a_bad_alerts_file_is_named_and_still_leaves_the_code_location_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, email: dict, complaint: str
):
    path = tmp_path / "alerts.yaml"
    settings = {"enabled": True, "host": "smtp", "from_address": "a@b", "to": ["c@d"], **email}
    path.write_text(yaml.safe_dump({"email": settings}), encoding="utf-8")
    monkeypatch.setenv(ALERTS_FILE_ENV, str(path))
    with pytest.raises(AlertsConfigError, match=complaint) as raised:
        load_alerts_config()
    assert str(path) in str(raised.value) and "hunter2" not in str(raised.value)
    # The overnight run must not depend on the alerts file: the alerts load switched on, so each tick shows the error.
    built = build_alerts(FEEDS)
    assert {s.default_status for s in built.sensors} == {dg.DefaultSensorStatus.RUNNING}


def test_the_reason_is_one_plain_line_without_a_class_name_or_an_nhs_number():
    chain = [
        "dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op\n",
        "ValueError: row for 943 476 5919 could not be placed\n  detail on a second line\n",
    ]
    assert plain_reason(chain) == "row for [NHS number removed] could not be placed"
    # A date-time is ten digits too, but fails the NHS number check: it stays.
    assert plain_reason(["IOException: IO Error: lock held since 2025-01-16 03:00"]) == (
        "IO Error: lock held since 2025-01-16 03:00"
    )
    assert len(plain_reason(["x" * 1000])) == 300
    assert plain_reason([]) == "no reason given"


def test_the_example_file_is_quiet_as_shipped_and_valid_with_its_channels_switched_on():
    raw = yaml.safe_load((REPO / "alerts.example.yaml").read_text(encoding="utf-8"))
    assert AlertsConfig.model_validate(raw).channels == []
    raw["email"]["enabled"] = raw["teams"]["enabled"] = True
    assert AlertsConfig.model_validate(raw).channels == ["email", "teams"]


def test_an_old_office_365_connector_gets_a_message_card(teams, smtp):
    webhook, url = teams
    config = AlertsConfig.model_validate({"teams": {"enabled": True, "webhook_url": url, "payload": "message_card"}})
    delivery = deliver(config, Message("[UEC] Subject", ("first line", "second line")))
    assert delivery.sent == ["teams"] and delivery.failed == {}
    [post] = webhook.posts
    assert post["@type"] == "MessageCard" and post["title"] == "[UEC] Subject"
    assert post["text"] == "first line\n\nsecond line"
    assert smtp[0].received == []  # e-mail is off: nothing went to it


def rejected_file_tick(instance: dg.DagsterInstance, env: Env, cursor: str | None = None) -> str | None:
    return sensor_tick("rejected_file_alerts", env, instance, cursor)[0]


def test_a_rejected_corrected_file_is_alerted_named_in_the_brief_and_provisional_only_where_it_counts(
    env: Env, alerts, monkeypatch: pytest.MonkeyPatch
):

    mailbox, webhook = alerts
    write_whole_day(env)
    assert uec(env, "refresh", "--date", "2025-01-14").returncode == 0
    monkeypatch.setenv("DAGSTER_HOME", uec_env(env)["DAGSTER_HOME"])
    with dg.DagsterInstance.get() as instance:
        watching = rejected_file_tick(instance, env)  # the first tick notes where the event log stands
        # UHDB re-sends a correction that cannot be read: its first file keeps counting.
        corrected = env.write_uhdb("20250114", "20250115T0650", [])
        corrected.write_text("ATTENDANCE_ID;SITE\n", encoding="utf-8")
        refreshed = uec(env, "refresh", "--date", "2025-01-14")
        assert "REJECTED UHDB_ED_20250114_20250115T0650.csv" in refreshed.stdout, refreshed.stdout
        after = rejected_file_tick(instance, env, watching)

        [mail] = mailbox.messages
        assert mail["Subject"] == (
            "[UEC] File rejected: ED attendances from RTG for 2025-01-14: UHDB_ED_20250114_20250115T0650.csv"
        )
        assert "None of its rows count" in body(mail) and "uec refresh --date 2025-01-14" in body(mail)
        [card] = webhook.texts()
        assert "UHDB_ED_20250114_20250115T0650.csv" in card
        rejected_file_tick(instance, env, after)
        assert len(mailbox.messages) == 1  # once per file, however often the sensor looks

        page = (env.root / "reports" / "brief-2025-01-14.html").read_text(encoding="utf-8")
        _, messages = brief_summary(page)
        assert any(
            m.startswith("ED attendances file UHDB_ED_20250114_20250115T0650.csv from RTG was rejected")
            and "RTG's earlier data for the day still counts" in m
            for m in messages
        ), messages
        assert not any("arrived on time" in m for m in messages), messages
        ed = page[page.index("<h2>A&amp;E") : page.index("<h2>Ambulance handovers")]
        provisional = dict(re.findall(r'data-org="([^"]+)">\s*<h3>[^<]*(<span class="tag")?', ed))
        # UHDB's tile, the headline (RTG + RFS) and all providers count RTG; Chesterfield's does not.
        assert provisional["RTG"] and provisional["QJ2"] and provisional["QJ2-all-providers"], provisional
        assert not provisional["RFS"], provisional

        readiness(env, instance)
        text = body(mailbox.messages[-1])
        assert mailbox.messages[-1]["Subject"].endswith("is NOT ready")
        assert "- Rejected: ED attendances file UHDB_ED_20250114_20250115T0650.csv from RTG was rejected" in text
        assert "arrived on time" not in text


def brief_revised_tick(instance: dg.DagsterInstance, env: Env, cursor: str | None = None) -> str | None:
    return sensor_tick("brief_revised_alerts", env, instance, cursor)[0]


def test_a_corrected_file_revises_the_brief_says_what_moved_and_alerts(
    env: Env, alerts, monkeypatch: pytest.MonkeyPatch
):

    mailbox, webhook = alerts
    write_whole_day(env)
    # A second UHDB attendance, still open at the extract: pending, so UHDB's 4-hour figure is 1 of 1.
    env.write_uhdb(
        "20250114",
        "20250115T0600",
        [
            uhdb_row("A1", "2025-01-14 10:00:00", "2025-01-14 12:00:00"),
            uhdb_row("A2", "2025-01-14 10:00:00", "2025-01-14 15:00:00"),
        ],
    )
    assert uec(env, "refresh", "--date", "2025-01-14").returncode == 0
    page = (env.root / "reports" / "brief-2025-01-14.html").read_text(encoding="utf-8")
    assert 'data-figure="ed.RTG.day.pct_within_4h">50.0%<' in page and 'data-rule="revised"' not in page
    monkeypatch.setenv("DAGSTER_HOME", uec_env(env)["DAGSTER_HOME"])
    with dg.DagsterInstance.get() as instance:
        watching = brief_revised_tick(instance, env)
        # UHDB corrects A2's departure: it left within 4 hours after all (its files are full re-sends: A1 again).
        env.write_uhdb(
            "20250114",
            "20250115T0650",
            [
                uhdb_row("A1", "2025-01-14 10:00:00", "2025-01-14 12:00:00"),
                uhdb_row("A2", "2025-01-14 10:00:00", "2025-01-14 13:00:00"),
            ],
        )
        assert uec(env, "refresh", "--date", "2025-01-14").returncode == 0
        brief_revised_tick(instance, env, watching)

        page = (env.root / "reports" / "brief-2025-01-14.html").read_text(encoding="utf-8")
        _, messages = brief_summary(page)
        [revised] = [m for m in messages if m.startswith("Revised ")]
        assert re.fullmatch(
            r"Revised \d\d:\d\d: RTG re-sent UHDB_ED_20250114_20250115T0650\.csv: .*RTG 4-hour performance "
            r"50\.0% → 100\.0%.*",
            revised,
        ), revised
        assert "QJ2 4-hour performance" in revised and "RFS" not in revised
        [mail] = mailbox.messages
        assert mail["Subject"] == "[UEC] Morning brief for 2025-01-14 revised"
        assert revised in body(mail)
        [card] = webhook.texts()
        assert "revised" in card and "50.0% → 100.0%" in card

    # Two attendances, both re-sent: the strip and `uec status` count 2 records, the earlier versions apart (the
    # files' rows add up to 4).
    assert 'data-records="ed_attendances.RTG">2<' in page and 'data-resent="ed_attendances.RTG">2<' in page
    status = uec(env, "status", "--date", "2025-01-14").stdout
    [rtg] = [line for line in status.splitlines() if line.split()[:2] == ["ed_attendances", "RTG"]]
    assert rtg.split()[-6] == "2", status
    assert "RE-SENT: 2 earlier version(s) replaced by re-sent rows, not counted (4 rows loaded" in status
