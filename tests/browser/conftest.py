"""Playwright against the live server, driving Debian's Chromium (never a downloaded one)."""

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def base_url():
    # pytest-playwright's own base_url fixture trips a pytest deprecation warning.
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Install Debian's package: "
            "`apt-get install -y chromium fonts-noto-cjk` (or set CHROMIUM_PATH).",
            pytrace=False,
        )
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _no_console_errors(request):
    """Any console error (a CSP violation, a missing asset, a script error) fails the test."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield
    assert not errors, f"browser console errors: {errors}"


@pytest.fixture
def shoot(page):
    """Save a full-page screenshot under artifacts/screenshots/<name>.png."""

    def _shoot(name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^a-zA-Z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shoot


@pytest.fixture
def axe(page):
    """Run axe-core (WCAG 2 A and AA) on the current page; fail on serious or critical."""
    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run `npm ci` in the project root.", pytrace=False)

    def _check() -> list[dict]:
        # Evaluated through the DevTools protocol: the page's CSP (no inline scripts)
        # would refuse an injected <script> tag.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
        result = page.evaluate(
            "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})"
        )
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        summary = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in bad
        ]
        assert not bad, f"axe violations on {page.url}:\n{json.dumps(summary, indent=1)}"
        return result["violations"]

    return _check
