"""Start-up rules: checked in a fresh interpreter, since settings load once per process."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _run_manage(*args: str, **env: str | None) -> subprocess.CompletedProcess:
    """Run manage.py in a new interpreter; a None value removes that variable."""
    environment = {**os.environ, **env}
    environment = {key: value for key, value in environment.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _database_url() -> str:
    db = settings.DATABASES["default"]
    host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
    if host.startswith("/"):
        return f"postgres://{db['USER']}:@/{db['NAME']}?host={host}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def test_production_without_secret_key_refuses_to_start():
    result = _run_manage("check", DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_with_production_variables(db):
    result = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k" * 20 + "-a-long-random-production-secret-value-9f3a",
        ALLOWED_HOSTS="cesip.example.org",
        SECURE_HSTS_PRELOAD="true",
        DJANGO_ALLOW_ASYNC_UNSAFE=None,
        DATABASE_URL=_database_url(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_unless_set():
    result = _run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        DEBUG=None,
        SECRET_KEY="x" * 50,
    )
    assert result.stdout.strip().endswith("False"), result.stderr


def test_every_environment_variable_is_listed_in_env_example():
    source = (ROOT / "cesip" / "settings.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', source))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no env reads found: the pattern is out of date"
    assert read <= documented, f"missing from .env.example: {sorted(read - documented)}"
