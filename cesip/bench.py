"""`make bench`: performance figures on scratch databases (never the development data).

Prints the time and peak memory of importing the full ISO, IEC and ETSI lists
(about 81,000 rows), and the peak memory of a 10,000-row import of the same layout so
the two can be compared (memory should stay flat as the file grows); then search
latency on a 200,000-standard catalogue (cesip/bench_search.py); then the time and
queries to build the digests of 10,000 members (cesip/bench_digests.py).

The imports need the lists in ../shared/data (beside the project): when one is missing,
the bench says which and where it looked, skips the imports and the search (which runs
on the imported lists), runs the rest, and exits non-zero.

BENCH_SEARCH_ONLY=1 skips the imports and runs the search bench against the database of
DATABASE_URL as it is (topped up with generated records to 200,000 if smaller): keep one
such database to profile the search without rebuilding it each time.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
LISTS = [
    ("iso", "iso_publications_en.csv"),
    ("iec", "iec_publications_en.csv"),
    ("etsi", "etsi_en_deliverables_en.csv"),
]


def _server_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    sys.path.insert(0, str(ROOT))
    from cesip import embedded_db

    return embedded_db.database_url(ROOT / "var")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(_with_database(url, "postgres"))
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


class ScratchDatabase:
    def __init__(self, server: str, label: str):
        self.server = server
        self.name = f"cesip_bench_{label}_{os.getpid()}"
        self.url = _with_database(server, self.name)

    def __enter__(self) -> ScratchDatabase:
        _admin(self.server, f'CREATE DATABASE "{self.name}"')
        self.manage("migrate", "--no-input")
        self.manage("load_reference_data")
        return self

    def __exit__(self, *exc) -> None:
        _admin(self.server, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def manage(self, *args: str) -> str:
        return self.run("manage.py", *args)

    def run(self, *args: str) -> str:
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
        }
        result = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
            text=True, check=False,
        )  # fmt: skip
        if result.returncode:
            raise SystemExit(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout


def _summary(output: str) -> str:
    return [line for line in output.splitlines() if re.search(r" rows, \d+ created", line)][-1]


def missing_lists() -> list[str]:
    """The publication lists (of LISTS) that are not in SHARED_DATA."""
    return [name for _format, name in LISTS if not (SHARED_DATA / name).is_file()]


def bench_imports(server: str) -> bool:
    """The import figures, then the search bench on the imported lists; False, having said
    why, when the lists are not there to import."""
    missing = missing_lists()
    if missing:
        where = os.path.relpath(SHARED_DATA, ROOT)
        print(
            f"import: NOT RUN, {', '.join(missing)} missing from {where}"
            " (looked for relative to the project directory);"
            " the search bench, which runs on the imported lists, is not run either"
        )
        return False
    print("Import of the ISO, IEC and ETSI publication lists (import_standards --skip-invalid)")
    with ScratchDatabase(server, "small") as db, tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "iso_first_10000.csv"
        with (SHARED_DATA / "iso_publications_en.csv").open(encoding="utf-8") as src:
            rows = list(csv.reader(src))[:10_001]
        with small.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(rows)
        print(
            "  10,000 ISO rows:  "
            + _summary(
                db.manage("import_standards", str(small), "--format", "iso", "--skip-invalid")
            )
        )
    with ScratchDatabase(server, "full") as db:
        started = time.perf_counter()
        for list_name, file_name in LISTS:
            output = db.manage(
                "import_standards", str(SHARED_DATA / file_name), "--format", list_name,
                "--skip-invalid",
            )  # fmt: skip
            print(f"  {list_name.upper():5} full list: " + _summary(output))
        total = time.perf_counter() - started
        print(f"  all three lists: {total:.1f} s wall clock (budget: 180 s)")
        output = db.manage(
            "import_standards", str(SHARED_DATA / "iso_publications_en.csv"), "--format", "iso",
            "--skip-invalid",
        )  # fmt: skip
        print(f"  ISO again (nothing to change): {_summary(output)}")
        print("Search on 200,000 standards (the lists above plus generated CN and EU records)")
        print(db.run("-m", "cesip.bench_search"), end="")
    return True


def bench_search_only() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("BENCH_SEARCH_ONLY needs DATABASE_URL (a database kept for it)")
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        **os.environ,
    }
    result = subprocess.run([sys.executable, "-m", "cesip.bench_search"], cwd=ROOT, env=env)
    if result.returncode:
        raise SystemExit(result.returncode)


def bench_digests(server: str) -> None:
    print("Digests for 10,000 members (build and render, no sending)")
    with ScratchDatabase(server, "digests") as db:
        print(db.run("-m", "cesip.bench_digests"), end="")


def main() -> None:
    if os.environ.get("BENCH_SEARCH_ONLY"):
        bench_search_only()
        return
    server = _server_url()
    imported = bench_imports(server)
    bench_digests(server)
    if not imported:
        raise SystemExit(
            "bench: incomplete, the import and search parts could not run"
            f" (missing from {os.path.relpath(SHARED_DATA, ROOT)}: {', '.join(missing_lists())})"
        )


if __name__ == "__main__":
    main()
