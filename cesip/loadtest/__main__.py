"""`make loadtest`: the production set-up driven by Locust, with the page cache off, then on.

On a scratch database (on the server of DATABASE_URL, else the embedded one) holding the
demo catalogue, starts gunicorn with cesip/gunicorn.conf.py, DEBUG=false and the
collected static files, and for each of two runs (CACHE_PAGES=false, then true) drives
it with Locust headless: 30 users with no pause, the public mix of
cesip/loadtest/locustfile.py in both languages plus 10 % signed-in company pages, a
warm-up of LOADTEST_WARMUP seconds (15) and then LOADTEST_SECONDS (60) measured. Prints
requests/s, p50/p95/p99 per page type, errors, the share of answers from the page cache,
and the CPU time per request of the gunicorn processes and of the PostgreSQL backends
serving the scratch database (read from /proc through psutil before, during and after).
The cache is Redis when one answers on 127.0.0.1:6379 (database 14), else local memory;
LOADTEST_CACHE_URL names another. A bench, not a test: it prints figures and the
targets beside them, and never fails on time.

LOADTEST_DATABASE_URL runs on that database as it is instead (the demo is loaded if it
has no standards): keep one to profile without loading the demo each time.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg2

from cesip.bench import ScratchDatabase

ROOT = Path(__file__).resolve().parents[2]
USERS = 30
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "60"))
WARMUP = int(os.environ.get("LOADTEST_WARMUP", "15"))
REDIS_URL = "redis://127.0.0.1:6379/14"
PAGE_TYPES = [
    "home", "search", "standard", "sector", "product sheet", "calendar", "what's new",
    "company (signed in)",
]  # fmt: skip
TARGETS = "≥ 100 requests/s with 0 errors, p95 < 1 s at 30 users, ≤ 15 ms CPU per request"


def server_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from cesip import embedded_db

    return embedded_db.database_url(ROOT / "var")


class KeptDatabase(ScratchDatabase):
    """A database kept between runs (LOADTEST_DATABASE_URL): migrated, never dropped."""

    def __init__(self, url: str):
        self.url = url

    def __enter__(self) -> KeptDatabase:
        self.manage("migrate", "--no-input")
        self.manage("load_reference_data")
        return self

    def __exit__(self, *exc) -> None:
        pass


def cache_url() -> tuple[str, str]:
    """The cache the site runs with, and how to say it."""
    if os.environ.get("LOADTEST_CACHE_URL"):
        return os.environ["LOADTEST_CACHE_URL"], os.environ["LOADTEST_CACHE_URL"]
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            if conn.recv(16).startswith(b"+PONG"):
                return REDIS_URL, f"Redis ({REDIS_URL})"
    except OSError:
        pass
    return "locmemcache://", "local memory (no Redis answered on 127.0.0.1:6379)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CpuSampler(threading.Thread):
    """CPU seconds (user + system) spent by the gunicorn processes and by the PostgreSQL
    backends of one database between start() and stop(). Polled twice a second, so a
    worker or backend that starts or ends during the run is counted too."""

    def __init__(self, gunicorn_pid: int, db_url: str, extra: dict[str, list[int]]):
        super().__init__(daemon=True)
        self.gunicorn = psutil.Process(gunicorn_pid)
        self.conn = psycopg2.connect(db_url)
        self.conn.autocommit = True
        self.extra = extra  # other processes to report (Redis, Locust)
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.done = threading.Event()

    def _pids(self) -> dict[str, list[int]]:
        with self.conn.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            backends = [pid for (pid,) in cursor.fetchall()]
        try:
            workers = [p.pid for p in self.gunicorn.children(recursive=True)]
        except psutil.NoSuchProcess:
            workers = []
        return {"gunicorn": [self.gunicorn.pid, *workers], "postgres": backends, **self.extra}

    def sample(self, *, baseline: bool) -> None:
        for group, pids in self._pids().items():
            for pid in pids:
                try:
                    times = psutil.Process(pid).cpu_times()
                except psutil.Error:
                    continue
                used = times.user + times.system
                if baseline:
                    self.first[(group, pid)] = used
                self.first.setdefault((group, pid), 0.0)  # born during the run
                self.last[(group, pid)] = used

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.sample(baseline=False)

    def start(self) -> None:
        self.sample(baseline=True)
        super().start()

    def stop(self) -> dict[str, float]:
        self.done.set()
        self.join()
        self.sample(baseline=False)
        self.conn.close()
        totals: dict[str, float] = {}
        for (group, pid), used in self.last.items():
            totals[group] = totals.get(group, 0.0) + used - self.first[(group, pid)]
        return totals


@dataclass
class Run:
    label: str
    rows: dict[str, dict] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    cache: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> dict:
        return self.rows.get("Aggregated", {})

    @property
    def requests(self) -> int:
        return int(self.total.get("Request Count", 0))

    def cpu_ms(self, *groups: str) -> float:
        return 1000 * sum(self.cpu.get(g, 0.0) for g in groups) / max(self.requests, 1)


def _wait_until_up(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/en/glossary/", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer in 120 s:\n{log.read_text()[-3000:]}")


def _locust(port: int, seconds: int, env: dict, csv_prefix: Path | None) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "cesip" / "loadtest" / "locustfile.py"),
        "--headless", "--users", str(USERS), "--spawn-rate", str(USERS),
        "--run-time", f"{seconds}s", "--stop-timeout", "5", "--host", f"http://127.0.0.1:{port}",
        "--only-summary", "--loglevel", "ERROR",
    ]  # fmt: skip
    if csv_prefix:
        command += ["--csv", str(csv_prefix)]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def run_phase(db: ScratchDatabase, tmp: Path, label: str, cache_pages: bool, cache: str) -> Run:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "DEBUG": "false",
        # ScratchDatabase's key: the plan's sessions are signed with it.
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        # Plain HTTP on the loopback address: no redirect to HTTPS, cookies sent back.
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "CACHE_URL": cache,
        "CACHE_PAGES": "true" if cache_pages else "false",
        "PAGE_CACHE_GENERATION_FILE": str(tmp / "page-cache-generation"),
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "LOADTEST_PLAN": str(tmp / "plan.json"),
        "LOADTEST_CACHE_COUNTS": str(tmp / f"{label}-cache.json"),
    }
    log = tmp / f"{label}-gunicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "cesip/gunicorn.conf.py", "cesip.wsgi"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    run = Run(label)
    try:
        _wait_until_up(port, server, log)
        warmup = _locust(port, WARMUP, {**env, "LOADTEST_CACHE_COUNTS": ""}, None)
        warmup.wait()
        prefix = tmp / label
        extra = {
            "redis": [p.pid for p in psutil.process_iter(["name"]) if p.name() == "redis-server"]
        }
        locust = _locust(port, SECONDS, env, prefix)
        sampler = CpuSampler(server.pid, db.url, {**extra, "locust": [locust.pid]})
        sampler.start()
        _out, errors = locust.communicate()
        run.cpu = sampler.stop()
        with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
            run.rows = {row["Name"]: row for row in csv.DictReader(handle)}
        with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
            run.failures = [
                f"{row['Occurrences']} × {row['Name']}: {row['Error'][:160]}"
                for row in csv.DictReader(handle)
            ]
        counts = tmp / f"{label}-cache.json"
        run.cache = json.loads(counts.read_text()) if counts.is_file() else {}
        if locust.returncode not in (0, 1) or not run.rows:  # 1: some requests failed
            raise SystemExit(f"locust failed ({locust.returncode}):\n{errors[-3000:]}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return run


def _ms(row: dict, column: str) -> str:
    value = row.get(column, "")
    return f"{float(value):,.0f}" if value not in ("", "N/A") else "-"


def report(run: Run, title: str) -> None:
    print(f"\n== {title} ==")
    print(f"{'page type':<22}{'requests':>9}{'errors':>8}{'p50':>8}{'p95':>8}{'p99':>8}   cached")
    for name in [*PAGE_TYPES, "Aggregated"]:
        row = run.rows.get(name)
        if not row:
            continue
        hits = run.cache.get(f"{name}|hit", 0)
        rendered = run.cache.get(f"{name}|miss", 0) + run.cache.get(f"{name}|none", 0)
        cached = (
            f"{100 * hits / (hits + rendered):.0f} %"
            if hits + rendered and name != "Aggregated"
            else ""
        )
        label = "all" if name == "Aggregated" else name
        print(
            f"{label:<22}{int(row['Request Count']):>9}{int(row['Failure Count']):>8}"
            f"{_ms(row, '50%'):>8}{_ms(row, '95%'):>8}{_ms(row, '99%'):>8}   {cached}"
        )
    total = run.total
    errors = int(total.get("Failure Count", 0))
    print(f"(times in ms) requests/s: {float(total['Requests/s']):.1f}   errors: {errors}")
    for failure in run.failures[:10]:
        print(f"  error: {failure}")
    hits = sum(v for k, v in run.cache.items() if k.endswith("|hit"))
    print(f"answers from the page cache: {100 * hits / max(sum(run.cache.values()), 1):.0f} %")
    print(
        f"CPU per request: gunicorn {run.cpu_ms('gunicorn'):.1f} ms + PostgreSQL "
        f"{run.cpu_ms('postgres'):.1f} ms = {run.cpu_ms('gunicorn', 'postgres'):.1f} ms"
        f"   (besides: Redis {run.cpu_ms('redis'):.1f} ms, Locust {run.cpu_ms('locust'):.1f} ms)"
    )


def main() -> None:
    cache, cache_label = cache_url()
    workers = os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() * 2 + 1))
    print(
        f"make loadtest: gunicorn (cesip/gunicorn.conf.py, {workers} workers), DEBUG=false, "
        f"the demo catalogue; cache: {cache_label}\n{USERS} users with no pause, the public "
        f"mix in both languages plus 10 % signed-in company pages; {WARMUP} s warm-up, then "
        f"{SECONDS} s measured. Load average before: {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} cores."
    )
    kept = os.environ.get("LOADTEST_DATABASE_URL")
    database = KeptDatabase(kept) if kept else ScratchDatabase(server_url(), "load")
    with database as db, tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db.manage("load_demo", "--if-empty")
        db.manage("collectstatic", "--no-input")
        db.run("-m", "cesip.loadtest.plan", str(tmp / "plan.json"))
        before = run_phase(db, tmp, "off", False, cache)
        report(before, "before: page cache off (CACHE_PAGES=false)")
        after = run_phase(db, tmp, "on", True, cache)
        report(after, "after: page cache on")
    print("\n== before → after ==")
    for name, value in (
        ("requests/s", lambda r: f"{float(r.total['Requests/s']):.1f}"),
        ("p95 (ms), all pages", lambda r: _ms(r.total, "95%")),
        ("errors", lambda r: r.total["Failure Count"]),
        ("CPU per request (ms)", lambda r: f"{r.cpu_ms('gunicorn', 'postgres'):.1f}"),
    ):
        print(f"{name:<24}{value(before):>10} → {value(after)}")
    print(f"targets: {TARGETS} (printed, never enforced)")


if __name__ == "__main__":
    main()
