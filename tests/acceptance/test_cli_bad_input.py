"""Bad input to the CLI is refused in one clear line with a non-zero exit code, never a
traceback: each case below ended in one in a fresh-user trial."""

from __future__ import annotations

import json
import socket
import sqlite3

from tests.acceptance.support import free_port
from tests.acceptance.test_cli import aicall


def test_serve_refuses_a_port_out_of_range_naming_the_option_or_the_variable(tmp_path):
    option = aicall(tmp_path, "serve", "--port", "99999")
    assert option.returncode == 2 and "Traceback" not in option.stderr, option.stderr
    assert "'--port'" in option.stderr and "65535" in option.stderr
    setting = aicall(tmp_path, "serve", env={"AICALL_PORT": "99999"})
    assert setting.returncode == 2
    assert setting.stderr.strip().splitlines() == [
        "error: AICALL_PORT='99999': Input should be less than or equal to 65535"
    ]
    assert not (tmp_path / "var").exists()  # refused before anything was created


def test_a_top_up_too_large_for_the_ledger_is_one_line_and_credits_nothing(tmp_path):
    demo = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)
    key = demo["api_key"]
    before = json.loads(aicall(tmp_path, "balance", "show", "--app", key, "--json").stdout)
    done = aicall(tmp_path, "balance", "topup", "--app", key, "--amount", "99999999999999999999999")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: a top-up may add at most 1,000,000,000,000 đồng at once (got 99,999,999,999,999,999,999,999)"
    ]
    after = json.loads(aicall(tmp_path, "balance", "show", "--app", key, "--json").stdout)
    assert after == before


def test_an_export_or_a_report_into_a_missing_folder_is_one_line_and_stores_nothing(tmp_path):
    campaign = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)["campaign_id"]
    missing = tmp_path / "no-such-folder"
    for fmt in ("csv", "xlsx"):
        done = aicall(
            tmp_path, "contacts", "export", "--campaign", campaign, "--format", fmt, "-o", f"{missing}/x"
        )
        assert done.returncode == 1
        assert done.stderr.strip().splitlines() == [
            f"error: cannot write {missing}/x: there is no folder {missing}"
        ]
    folder = aicall(tmp_path, "contacts", "export", "--campaign", campaign, "-o", str(tmp_path))
    assert (
        folder.returncode == 1 and folder.stderr.strip() == f"error: cannot write {tmp_path}: it is a folder"
    )
    # The report is checked before the import: its rows must not be stored with the report lost.
    (tmp_path / "list.csv").write_text("phone_number\n0912000001\nabc\n")
    imported = aicall(
        tmp_path, "contacts", "import", "list.csv", "--campaign", campaign, "--report", f"{missing}/r.csv"
    )
    assert imported.returncode == 1 and "Traceback" not in imported.stderr
    assert (
        imported.stderr.strip().splitlines()[-1]
        == f"error: cannot write {missing}/r.csv: there is no folder {missing}"
    )
    listed = aicall(tmp_path, "contacts", "list", "--campaign", campaign, "--json")
    assert json.loads(listed.stdout)["total_count"] == 0
    assert not missing.exists()


def test_an_offset_past_a_64_bit_integer_is_refused_naming_the_option(tmp_path):
    demo = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)
    for command in (
        ["campaign", "list"],
        ["contacts", "list", "--campaign", demo["campaign_id"]],
        ["dnc", "list", "--app", demo["api_key"]],
    ):
        done = aicall(tmp_path, *command, "--offset", "99999999999999999999999")
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "'--offset'" in done.stderr
        largest = aicall(tmp_path, *command, "--offset", str(2**63 - 1))
        assert largest.returncode == 0, largest.stderr


def test_an_unknown_status_filter_is_refused_with_the_allowed_values(tmp_path):
    # It printed "no campaigns" (exit 0), while the API answers 400 naming the allowed values.
    demo = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)
    wide = {"COLUMNS": "300"}  # the usage error's box would wrap the list of values
    for command, allowed in (
        (["campaign", "list"], "'draft', 'running', 'paused', 'completed', 'cancelled'"),
        (
            ["contacts", "list", "--campaign", demo["campaign_id"]],
            "'pending', 'calling', 'retry_wait', 'done', 'failed', 'cancelled', 'do_not_call'",
        ),
        (["scenario", "list"], "'draft', 'reviewing', 'active', 'reject'"),
    ):
        done = aicall(tmp_path, *command, "--status", "bogus", env=wide)
        assert done.returncode == 2, done.stderr
        assert "'--status'" in done.stderr and f"'bogus' is not one of {allowed}" in done.stderr
    running = aicall(tmp_path, "campaign", "list", "--status", "RUNNING", "--json")
    assert [c["id"] for c in json.loads(running.stdout)["campaigns"]] == [demo["campaign_id"]]
    active = aicall(tmp_path, "scenario", "list", "--status", "active", "--json")
    assert json.loads(active.stdout)["total_count"] == 1


def test_a_data_directory_that_cannot_be_made_is_one_line_naming_it(tmp_path):
    (tmp_path / "afile").write_text("")
    for args, env in (
        (["--data-dir", "afile/sub", "init"], {}),
        (["init", "--demo"], {"AICALL_DATA_DIR": "afile"}),
        (["serve"], {"AICALL_DATA_DIR": "afile/sub", "AICALL_PORT": str(free_port())}),
    ):
        done = aicall(tmp_path, *args, env=env)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        line = done.stderr.strip().splitlines()[-1]
        assert line.startswith("error: cannot use the data directory afile") and "AICALL_DATA_DIR" in line


def test_a_token_lifetime_past_any_expiry_time_is_refused_naming_the_option(tmp_path):
    key = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)["api_key"]
    done = aicall(tmp_path, "token", "--app", key, "--ttl", "99999999999999999999d", env={"COLUMNS": "300"})
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "--ttl" in done.stderr and "use 'never'" in done.stderr


def test_an_option_naming_one_of_a_fixed_set_refuses_any_other_value_naming_them(tmp_path):
    # Each took any text: --outcome and --event-type printed an empty list (exit 0), --language
    # fr made a user with Vietnamese pages, remove-credentials --engine said "none stored"; the
    # others were refused only after opening the database, with exit code 1.
    demo = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)
    key, campaign, account = demo["api_key"], demo["campaign_id"], demo["account_id"]
    wide = {"COLUMNS": "300"}  # the usage error's box would wrap the list of values
    for command, option, allowed in (
        (
            ["contacts", "list", "--campaign", campaign],
            "--outcome",
            "'answered', 'no_answer', 'busy', 'rejected', 'invalid_number', 'voicemail', 'failed'",
        ),
        (
            ["webhook", "deliveries", "--app", key],
            "--event-type",
            "'call.attempt.finished', 'contact.finished'",
        ),
        (["user", "create", "--email", "a@b.vn", "--account", account], "--language", "'vi', 'en'"),
        (["voice", "remove-credentials", "--account", account], "--engine", "'vbee', 'fpt'"),
        (["voice", "set-credentials", "--account", account, "--token", "t"], "--engine", "'vbee', 'fpt'"),
        (["contacts", "export", "--campaign", campaign], "--format", "'csv', 'xlsx'"),
        (["trunk", "create", "--host", "sip.example.net"], "--transport", "'udp', 'tcp'"),
        (["campaign", "create", "--app", key, "--name", "x"], "--amd", "'sync', 'async'"),
        (["read", "123"], "--type", "'text', 'currency', 'date', 'seq2seq', 'number', 'time'"),
        (["read", "123"], "--dialect", "'north', 'south'"),
        (["dnc", "import", "var/aicall.db", "--app", key], "--source", "'import', 'national_register'"),
    ):
        done = aicall(tmp_path, *command, option, "bogus", env=wide)
        assert done.returncode == 2 and "Traceback" not in done.stderr, (option, done.stderr)
        assert f"'{option}'" in done.stderr and f"'bogus' is not one of {allowed}" in done.stderr, done.stderr
    users = aicall(tmp_path, "user", "list", "--json")
    assert "a@b.vn" not in users.stdout
    # Any case of an allowed value is taken, as --status takes it.
    assert aicall(tmp_path, "contacts", "list", "--campaign", campaign, "--outcome", "BUSY").returncode == 0
    assert aicall(tmp_path, "read", "--type", "currency", "--dialect", "SOUTH", "1000").stdout.strip()
    made = aicall(tmp_path, "user", "create", "--email", "b@b.vn", "--account", account, "--language", "EN")
    assert made.returncode == 0, made.stderr
    listed = {
        u["email"]: u["language"] for u in json.loads(aicall(tmp_path, "user", "list", "--json").stdout)
    }
    assert listed["b@b.vn"] == "en"


def test_empty_or_unknown_values_for_an_app_or_a_campaign_are_refused_and_nothing_is_stored(tmp_path):
    # campaign create stored an empty or 300-character name (the API takes 1-200) and left an
    # empty --pool out; app update --events "" turned every event off; app create --name ""
    # ended in a traceback, --account with an unknown id in "the database failed".
    demo = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)
    key = demo["api_key"]
    wide = {"COLUMNS": "300"}
    for name, reason in (("", "at least 1 character"), ("x" * 201, "at most 200 characters")):
        done = aicall(tmp_path, "campaign", "create", "--app", key, "--name", name, env=wide)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "--name" in done.stderr and reason in done.stderr
    pool = aicall(tmp_path, "campaign", "create", "--app", key, "--name", "c", "--pool", "")
    assert pool.returncode == 1
    assert pool.stderr.strip() == (
        "error: Validation Failed: settings.pool_hotline_key: String should have at least 1 character"
    )
    campaigns = json.loads(aicall(tmp_path, "campaign", "list", "--json").stdout)
    assert [c["id"] for c in campaigns["campaigns"]] == [demo["campaign_id"]]

    events = aicall(tmp_path, "app", "update", "--app", key, "--events", " , ", env=wide)
    assert events.returncode == 2 and "--events" in events.stderr and "'all' or 'none'" in events.stderr
    kept = aicall(tmp_path, "app", "update", "--app", key, "--json")
    assert json.loads(kept.stdout)["webhook_events"] is None  # still every event

    unnamed = aicall(tmp_path, "app", "create", "--name", "")
    assert (
        unnamed.returncode == 1
        and unnamed.stderr.strip() == "error: Validation Failed: name: must not be empty"
    )
    stranger = aicall(tmp_path, "app", "create", "--name", "a", "--account", "nope", env=wide)
    assert stranger.returncode == 2 and "Traceback" not in stranger.stderr, stranger.stderr
    assert "no account with id or name 'nope'" in stranger.stderr
    apps = json.loads(aicall(tmp_path, "app", "list", "--json").stdout)
    assert len(apps) == 1


def test_a_worker_whose_metrics_port_is_taken_is_refused_before_its_engine_starts(tmp_path):
    # It used to log "engine started", claim calls, then die of a traceback (exit 1): its calls
    # were closed as crashed by another worker and its heartbeat row was left behind.
    assert aicall(tmp_path, "init", "--demo").returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = aicall(tmp_path, "worker", env={"AICALL_METRICS_PORT": str(port), "AICALL_TTS_ENGINE": "none"})
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: AICALL_METRICS_PORT={port}: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    with sqlite3.connect(tmp_path / "var" / "aicall.db") as db:
        assert db.execute("SELECT count(*) FROM dialer_workers").fetchone() == (0,)


def test_a_fixed_sip_port_already_taken_stops_worker_and_serve_before_they_claim_anyone(tmp_path):
    # SIP bound on the first trunk call: each claimed call then failed on the taken port.
    assert aicall(tmp_path, "init", "--demo").returncode == 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        env = {"AICALL_SIP_PORT": str(port), "AICALL_SIP_HOST": "127.0.0.1", "AICALL_TTS_ENGINE": "none"}
        done = aicall(tmp_path, "worker", env=env)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"error: AICALL_SIP_PORT={port}: cannot listen on 127.0.0.1:{port}: "), line
    with sqlite3.connect(tmp_path / "var" / "aicall.db") as db:
        assert db.execute("SELECT count(*) FROM dialer_workers").fetchone() == (0,)

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:  # serve: TCP taken this time
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"AICALL_SIP_PORT": str(port), "AICALL_SIP_HOST": "127.0.0.1", "AICALL_TTS_ENGINE": "none"}
        served = aicall(tmp_path, "serve", "--port", str(free_port()), env=env)
    assert served.returncode == 2, served.stderr
    [line] = served.stderr.strip().splitlines()
    assert line.startswith(f"error: AICALL_SIP_PORT={port}: cannot listen on 127.0.0.1:{port}: "), line


def test_an_unknown_speech_engine_is_refused_by_name_before_serve_or_worker_starts(tmp_path):
    # Each ended in a traceback (exit 1; serve: "Application startup failed", exit 3).
    tts = "error: AICALL_TTS_ENGINE='foo': unknown engine; use one of espeak, openai, none, silent, tone"
    asr = "error: AICALL_ASR_ENGINE='foo': unknown engine; use one of openai, fpt, echo, none"
    url = (
        "error: AICALL_ASR_BASE_URL='': AICALL_ASR_ENGINE=openai needs AICALL_ASR_BASE_URL "
        "(the server's root URL)"
    )
    account = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)["account_id"]
    for env, line in (
        ({"AICALL_TTS_ENGINE": "foo"}, tts),
        ({"AICALL_ASR_ENGINE": "foo"}, asr),
        ({"AICALL_ASR_ENGINE": "openai"}, url),
    ):
        for command in (
            ["worker"],
            ["serve", "--port", str(free_port())],
            ["voice", "show", "--account", account],
        ):
            done = aicall(tmp_path, *command, env=env)
            assert done.returncode == 2, (command, done.stderr)
            assert done.stderr.strip().splitlines() == [line]


def test_a_public_url_or_a_region_that_cannot_work_is_refused_by_name(tmp_path):
    api_key = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)["api_key"]
    url = "must be an absolute http(s) URL, e.g. https://calls.example.com (no spaces, query or fragment)"
    region = (
        "not a region the phone-number library knows; use a two-letter country code (ISO 3166-1), "
        "e.g. VN, US, GB"
    )
    for env, line in (
        ({"AICALL_PUBLIC_URL": "notaurl"}, f"error: AICALL_PUBLIC_URL='notaurl': {url}"),
        ({"AICALL_PUBLIC_URL": "ftp://x y"}, f"error: AICALL_PUBLIC_URL='ftp://x y': {url}"),
        ({"AICALL_DEFAULT_REGION": "XX"}, f"error: AICALL_DEFAULT_REGION='XX': {region}"),
    ):
        # `token --export` printed BASE=notaurl; `dnc add` refused every local number.
        for command in (
            ["token", "--app", api_key, "--export"],
            ["dnc", "add", "--app", api_key, "0912345678"],
        ):
            done = aicall(tmp_path, *command, env=env)
            assert done.returncode == 2, (command, done.stdout, done.stderr)
            assert done.stderr.strip().splitlines() == [line]
