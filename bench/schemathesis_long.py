"""A long Schemathesis run against the real server (`aicall serve`), on SQLite and PostgreSQL.

CI runs the same checks with 10 examples per operation (tests/integration/openapi); this runs
many more, with a seed of its own each time unless one is given, and prints per database how
many operations and test cases it ran, how long it took and what it found. docs/api.md keeps
the results. Not a timed test: it fails (exit 1) only when Schemathesis finds something.

    .venv/bin/python bench/schemathesis_long.py [--db sqlite|postgresql|both] [--examples N] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import jwt

# bench/ for `common`, the repository for the runner CI uses (tests/integration/openapi/fuzz.py).
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from common import (  # the path entries above make these importable from a script
    BACKENDS,
    machine_note,
    new_tenant,
    print_table,
    running_server,
    temp_database,
)

from tests.integration.openapi import fuzz


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--examples", type=int, default=200, help="test cases per operation and phase")
    parser.add_argument("--seed", type=int, default=None, help="default: a new one each run")
    args = parser.parse_args()
    # Off for this server: Schemathesis fails authentication on purpose, from one address, far
    # more often than the throttle allows (its own tests hold the throttle).
    os.environ["AICALL_AUTH_FAILURES_PER_MINUTE"] = "0"

    rows = []
    failed = False
    for backend in BACKENDS if args.db == "both" else (args.db,):
        with temp_database(backend) as db, running_server(db) as server:
            tenant = new_tenant(db, name=f"Schemathesis {backend}")
            token = jwt.encode({"apiKey": tenant.api_key}, tenant.api_secret, algorithm="HS256")
            with tempfile.TemporaryDirectory(prefix="aicall-schemathesis-") as reports:
                result = fuzz.run(
                    server.url,
                    token,
                    max_examples=args.examples,
                    seed=args.seed,
                    report_dir=Path(reports),
                    timeout=4 * 3600,
                )
        print(f"--- {backend}\n{result.summary()}\n", flush=True)
        failed |= result.returncode != 0
        rows.append(
            (backend, result.operations, result.cases, result.failures, f"{result.seconds / 60:.1f} min")
        )
    print_table(("database", "operations", "test cases", "failures", "time"), rows)
    print(machine_note())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
