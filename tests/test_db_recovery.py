"""The database heals itself (issue 15): the embedded PostgreSQL server is killed
(`kill -9` of the postmaster) under a running site; pages answer the translated 503 while
it is down, and the next request after that starts it again, with no manual step.

The site runs as in production (gunicorn, DEBUG off, persistent connections) on a server
of its own under a temporary VAR_DIR, as tests/test_embedded_db.py starts one; only the
static files are served as they are, not collected (collectstatic takes longer than the
rest of the test)."""

from __future__ import annotations

import fcntl
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from cesip import embedded_db
from cesip.middleware import RETRY_AFTER_SECONDS

ROOT = Path(__file__).resolve().parent.parent


SETTINGS = """
from cesip.settings import *

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
"""


def _site_env(tmp_path: Path, var_dir: Path) -> dict[str, str]:
    (tmp_path / "recovery_settings.py").write_text(SETTINGS)
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "XDG_RUNTIME_DIR"}
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "recovery_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "VAR_DIR": str(var_dir),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "CONN_MAX_AGE": "60",  # persistent connections, as in production: they break too
        # Every page from the database: none served from the page cache during the outage.
        "CACHE_PAGES": "false",
        "LOG_LEVEL": "WARNING",
    }


def _manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - our server
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _wait_for(condition, what: str, seconds: float = 120) -> None:
    """Poll `condition` until it holds; a bounded wait, not a timing assertion."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.2)


def _dead(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _kill_postmaster(var_dir: Path) -> int:
    """`kill -9` of the postmaster; returns once it and its backends are gone (they
    notice their parent's death by themselves, as after a real crash)."""
    pid = int((var_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(pid)
    backends = postmaster.children(recursive=True)
    os.kill(pid, signal.SIGKILL)
    for process in [postmaster, *backends]:
        _wait_for(lambda process=process: _dead(process), f"process {process.pid} to exit")
    return pid


def _postmaster_pid(var_dir: Path) -> int:
    return int((var_dir / "postgres" / "postmaster.pid").read_text().split()[0])


@pytest.mark.slow
def test_the_site_answers_503_while_the_server_is_down_then_heals(tmp_path):
    var_dir = tmp_path / "var"
    env = _site_env(tmp_path, var_dir)
    _manage(env, "migrate", "--noinput", "-v0")  # starts the embedded server under var_dir
    config = tmp_path / "gunicorn.conf.py"
    config.write_text("")  # gunicorn's defaults, not the repository's bench settings
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "cesip.wsgi", "--config", str(config),
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for(lambda: _reachable(base), "gunicorn to answer")
        assert _get(f"{base}/en/")[0] == 200

        # The server dies while another process is starting it again (it holds the
        # lock, as during a slow crash recovery): every page answers 503, translated.
        with (var_dir / "postgres.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            killed = _kill_postmaster(var_dir)
            for path, heading in (("/en/", "Back in a moment"), ("/zh-hans/", "马上恢复")):
                status, headers, html = _get(base + path)
                assert status == 503, (path, html[:500])
                assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
                assert heading in html
            fcntl.flock(lock, fcntl.LOCK_UN)

        # Nobody runs anything: the next request starts the server and is answered.
        status, _, html = _get(f"{base}/zh-hans/")
        assert status == 200, html[:500]
        assert _postmaster_pid(var_dir) != killed

        # A crash with no one restarting: the first request heals it at once.
        killed = _kill_postmaster(var_dir)
        status, _, html = _get(f"{base}/en/")
        assert status == 200, html[:500]
        assert _postmaster_pid(var_dir) != killed
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        embedded_db.stop(var_dir)


def _reachable(base: str) -> bool:
    try:
        _get(f"{base}/robots.txt")
    except OSError:
        return False
    return True
