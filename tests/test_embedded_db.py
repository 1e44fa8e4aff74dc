"""The embedded PostgreSQL server: locale, concurrent start-up, stale pid files."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection

from cesip import embedded_db

ROOT = Path(__file__).resolve().parent.parent


def test_database_uses_a_utf8_ctype_so_trigrams_work_on_chinese(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
        (ctype,) = cursor.fetchone()
        cursor.execute("SELECT similarity('电动玩具', '玩具')")
        (similarity,) = cursor.fetchone()
    assert "UTF" in ctype.upper().replace("-", "")
    assert similarity > 0


def test_migrations_installed_pg_trgm_and_unaccent(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        extensions = {row[0] for row in cursor.fetchall()}
    assert {"pg_trgm", "unaccent"} <= extensions


def test_stale_pid_file_of_a_dead_process_is_removed(tmp_path):
    pgdata = tmp_path / "postgres"
    pgdata.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (pgdata / "postmaster.pid").write_text(f"{dead.pid}\n{pgdata}\n")
    assert embedded_db.remove_stale_pid_file(pgdata) is True
    assert not (pgdata / "postmaster.pid").exists()


def test_pid_file_naming_an_unrelated_live_process_is_removed(tmp_path):
    # After a reboot the old pid may belong to some other program.
    pgdata = tmp_path / "postgres"
    pgdata.mkdir()
    (pgdata / "postmaster.pid").write_text(f"{os.getpid()}\n{pgdata}\n")
    assert embedded_db.remove_stale_pid_file(pgdata) is True


def test_truncated_pid_file_is_removed(tmp_path):
    pgdata = tmp_path / "postgres"
    pgdata.mkdir()
    (pgdata / "postmaster.pid").write_text("")
    assert embedded_db.remove_stale_pid_file(pgdata) is True


_START = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import psycopg2
    from cesip import embedded_db
    url = embedded_db.database_url(Path(sys.argv[1]))
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
        print(url, cur.fetchone()[0])
    """
)


def _start_in_subprocess(var_dir: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"LANG", "LC_ALL", "LC_CTYPE"}}
    env["LC_ALL"] = "C"  # the server must still come up with a UTF-8 locale
    return subprocess.Popen(
        [sys.executable, "-c", _START, str(var_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_two_processes_starting_at_once_share_one_server_and_a_crash_does_not_block(tmp_path):
    var_dir = tmp_path / "var"
    try:
        first, second = _start_in_subprocess(var_dir), _start_in_subprocess(var_dir)
        outputs = [p.communicate(timeout=120) for p in (first, second)]
        assert first.returncode == 0 and second.returncode == 0, outputs
        urls = {out.split()[0] for out, _ in outputs}
        assert len(urls) == 1
        assert all(out.split()[1] == "C.UTF-8" for out, _ in outputs)

        # Simulate a crash: kill the server hard; its postmaster.pid stays behind.
        pid_file = var_dir / "postgres" / "postmaster.pid"
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 9)
        _wait_until_gone(pid)
        assert pid_file.exists()
        again = _start_in_subprocess(var_dir)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err

        # `make db-stop` names the directory relative to the project: still this server.
        pid = int(pid_file.read_text().split()[0])
        os.chdir(tmp_path)
        assert embedded_db.stop(Path("var")) is True
        _wait_until_gone(pid)
    finally:
        os.chdir(ROOT)
        if (var_dir / "postgres").exists():
            embedded_db.stop(var_dir)


def _wait_until_gone(pid: int) -> None:
    import time

    for _ in range(100):
        try:
            os.kill(pid, 0)
        except OSError:
            return
        if Path(f"/proc/{pid}/stat").exists() and " Z " in Path(f"/proc/{pid}/stat").read_text():
            return  # a zombie: dead, waiting for its parent to reap it
        time.sleep(0.1)
