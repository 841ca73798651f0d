"""A memory probe the soak bench (bench/bench_soak.py) puts into the server processes it starts.

Python imports `sitecustomize` at start-up from any directory on PYTHONPATH (the `site` module,
https://docs.python.org/3/library/site.html), so the bench sets PYTHONPATH to this directory and
SOAK_PROBE_DIR to a directory of its own; nothing in src/ knows about it. With SOAK_PROBE_DIR set,
the probe starts tracemalloc (SOAK_PROBE_FRAMES frames per allocation, default 1) and a daemon
thread that every SOAK_PROBE_EVERY seconds (default 10) appends one JSON line to
`<dir>/<pid>.jsonl`: seconds since start, tracemalloc's traced bytes (the Python objects alive,
where a leak shows, unlike RSS which also holds the allocator's free arenas) and the number of
objects the garbage collector tracks. At each second listed in SOAK_PROBE_SNAPSHOTS (comma
separated) it also writes `<dir>/<pid>-<second>.snap` (tracemalloc.Snapshot.dump) and
`<dir>/<pid>-<second>.types.json` (object counts by type) for comparing two moments.
With SOAK_PROBE_DELAY (seconds), tracing starts only then (deep tracebacks slow start-up a lot):
what is allocated before is not counted, which suits comparing snapshots taken later.
Without SOAK_PROBE_DIR it does nothing.
"""

from __future__ import annotations

import os

_DIR = os.environ.get("SOAK_PROBE_DIR")

if _DIR:
    import collections
    import gc
    import json
    import threading
    import time
    import tracemalloc

    def _probe(directory: str, every: float, snapshots: list[float], frames: int, delay: float) -> None:
        began = time.monotonic()
        if delay > 0:  # deep tracebacks slow start-up too much: traced from then on
            time.sleep(delay)
            tracemalloc.start(frames)
        pid = os.getpid()
        pending = sorted(snapshots)
        while True:
            time.sleep(every - (time.monotonic() - began) % every)
            t = time.monotonic() - began
            traced, peak = tracemalloc.get_traced_memory()
            row = {"t": round(t, 1), "traced": traced, "peak": peak, "gc_objects": len(gc.get_objects())}
            with open(os.path.join(directory, f"{pid}.jsonl"), "a") as out:
                out.write(json.dumps(row) + "\n")
            while pending and t >= pending[0]:
                at = int(pending.pop(0))
                tracemalloc.take_snapshot().dump(os.path.join(directory, f"{pid}-{at}.snap"))
                counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
                with open(os.path.join(directory, f"{pid}-{at}.types.json"), "w") as out:
                    json.dump(dict(counts.most_common(200)), out)

    _FRAMES = int(os.environ.get("SOAK_PROBE_FRAMES", "1"))
    _DELAY = float(os.environ.get("SOAK_PROBE_DELAY", "0"))
    if _DELAY <= 0 and not tracemalloc.is_tracing():
        tracemalloc.start(_FRAMES)
    threading.Thread(
        target=_probe,
        args=(
            _DIR,
            float(os.environ.get("SOAK_PROBE_EVERY", "10")),
            [float(s) for s in os.environ.get("SOAK_PROBE_SNAPSHOTS", "").split(",") if s],
            _FRAMES,
            _DELAY,
        ),
        name="soak-probe",
        daemon=True,
    ).start()
