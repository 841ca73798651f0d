"""`GET /metrics` scraped as Prometheus scrapes it, during a simulated campaign: the counters
move, the platform's state is there; a worker serves its own counters on its metrics port."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.acceptance.support import clean_env, free_port, running, wait_for_http


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = requests.get(url, timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(samples: dict, name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and set(labels.items()) <= set(sample_labels)
    )


def test_counters_move_while_a_campaign_calls(tmp_path):
    port = free_port()
    env = clean_env(AICALL_PORT=str(port), AICALL_SIM_TIME_SCALE="0.25", AICALL_TTS_ENGINE="none")
    aicall = [sys.executable, "-m", "aicall"]
    init = subprocess.run(
        [*aicall, "init", "--demo", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    campaign_id = json.loads(init.stdout)["campaign_id"]
    url = f"http://127.0.0.1:{port}/metrics"
    with running(["serve"], tmp_path, env, "serve.log"):
        wait_for_http(url)
        before = scrape(url)
        assert total(before, "aicall_calls_started_total") == 0
        assert total(before, "aicall_campaigns", status="running") == 1
        # Simulated numbers: ending 0 answers and presses 1, 3 is busy, 4 does not answer.
        rows = "phone_number,ho_ten,so_tien\n0987654320,An,1000\n0987654323,Ba,2000\n0987654324,Bon,3000\n"
        (tmp_path / "list.csv").write_text(rows)
        imported = subprocess.run(
            [*aicall, "contacts", "import", "list.csv", "--campaign", campaign_id],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert imported.returncode == 0, imported.stderr
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            after = scrape(url)
            if total(after, "aicall_calls_finished_total") >= 3:
                break
            time.sleep(0.5)
    assert total(after, "aicall_calls_started_total") >= 3
    assert total(after, "aicall_calls_finished_total", outcome="answered") >= 1
    assert total(after, "aicall_calls_finished_total", outcome="busy") >= 1
    assert total(after, "aicall_sip_final_responses_total", code="200") >= 1
    assert total(after, "aicall_answer_to_first_audio_seconds_count") >= 1
    assert total(after, "aicall_claim_seconds_count") > total(before, "aicall_claim_seconds_count")
    assert total(after, "aicall_calls_in_progress") >= 0
    # The busy and unanswered numbers wait for their re-call (the demo re-calls after a minute).
    assert total(after, "aicall_contacts_waiting", reason="retry_wait") >= 1


def test_a_worker_serves_its_counters_on_its_metrics_port(tmp_path):
    port = free_port()
    env = clean_env(AICALL_METRICS_PORT=str(port), AICALL_TTS_ENGINE="none")
    init = subprocess.run(
        [sys.executable, "-m", "aicall", "init"], cwd=tmp_path, env=env, capture_output=True
    )
    assert init.returncode == 0, init.stderr
    with running(["worker"], tmp_path, env, "worker.log"):
        wait_for_http(f"http://127.0.0.1:{port}/metrics")
        samples = scrape(f"http://127.0.0.1:{port}/metrics")
    assert ("aicall_calls_started_total", ()) in samples
    assert any(name == "aicall_claim_seconds_count" for name, _ in samples)
