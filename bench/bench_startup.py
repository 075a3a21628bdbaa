"""Start-up time of the light commands, next to reference Python commands in the same run.

Measures wall time (median and 90th percentile of N runs, fresh interpreter each time) of:

- ``python -c pass``: the floor, an interpreter that does nothing;
- ``python -m pip --version``: a familiar Python command-line tool, the reference;
- ``gemini-live --version``;
- ``gemini-live update --check`` against a package index on loopback HTTP (the time
  includes reading the index page, so it is what a user waits for).

Run: ``python bench/bench_startup.py [--runs 15]``; it prints a Markdown table.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["main"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _measure(commands: list[list[str]], runs: int, env: dict[str, str]) -> list[list[float]]:
    """Wall times in ms, the commands interleaved run by run so load changes hit all alike."""
    samples: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for slot, command in zip(samples, commands, strict=True):
            started = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            slot.append((time.perf_counter() - started) * 1000)
    return samples


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * 0.9) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    env = dict(os.environ, GEMINI_LIVE_NO_UPDATE_CHECK="1", PIP_CONFIG_FILE=os.devnull)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "simple" / "gemini-live"
        project.mkdir(parents=True)
        names = [f"gemini_live-0.{minor}.0-py3-none-any.whl" for minor in range(40)]
        links = "".join(f'<a href="{name}">{name}</a><br/>\n' for name in names)
        (project / "index.html").write_text(f"<html><body>{links}</body></html>")
        handler = functools.partial(_QuietHandler, directory=tmp)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        index = f"http://127.0.0.1:{server.server_address[1]}/simple"
        py = sys.executable
        rows = [
            ("python -c pass (floor)", [py, "-c", "pass"]),
            ("python -m pip --version (reference)", [py, "-m", "pip", "--version"]),
            ("gemini-live --version", [py, "-m", "gemini_live_tui", "--version"]),
            (
                "gemini-live update --check (loopback index)",
                [py, "-m", "gemini_live_tui", "update", "--check", "--index-url", index],
            ),
        ]
        samples = _measure([command for _, command in rows], runs, env)
        print(f"| command ({runs} runs each, interleaved) | median ms | p90 ms |")
        print("|---|---:|---:|")
        for (label, _), values in zip(rows, samples, strict=True):
            print(f"| {label} | {statistics.median(values):.0f} | {_p90(values):.0f} |")
        server.shutdown()


if __name__ == "__main__":
    main()
