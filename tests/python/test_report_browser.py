"""The HTML report in a real headless browser, offline: it loads, logs no console error and
requests nothing from the network. Skipped when no Chromium-family browser is installed
(`.ci/run` installs Debian's `chromium` when it can)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from audience import cli
from audience.segment_report import SECTIONS

BROWSER = next(
    (b for b in ("chromium", "chromium-browser", "google-chrome", "chrome") if shutil.which(b)), None
)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium on this machine")

# Requests the browser makes for itself (clock sync, accounts, dictionaries), not for the page.
BROWSER_OWN_HOSTS = re.compile(r"(^|\.)(google\.com|gvt1\.com|googleapis\.com|gstatic\.com)$")


def open_offline(page: Path, work: Path) -> tuple[str, list[str], list[str]]:
    """Load `page` in headless Chromium with every host name unresolvable.

    Returns the rendered DOM, the page's console messages and the URLs the page requested from
    the network (the browser's own background requests left out)."""
    net_log = work / "net.json"
    proc = subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--disable-background-networking",
            "--disable-extensions",
            f"--user-data-dir={work / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            f"--log-net-log={net_log}",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    urls = set(re.findall(r'"url":"([^"]+)"', net_log.read_text(encoding="utf-8", errors="replace")))
    requested = sorted(
        u
        for u in urls
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
        and not BROWSER_OWN_HOSTS.search(urlparse(u).hostname or "")
    )
    return proc.stdout, console, requested


def test_the_check_catches_network_requests_and_script_errors(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html><body><img src="https://example.org/pixel.png">'
        "<script>undefinedFunction();</script><p>bad</p></body></html>",
        encoding="utf-8",
    )
    _, console, requested = open_offline(bad, tmp_path)
    assert requested == ["https://example.org/pixel.png"]
    assert any("undefinedFunction" in line for line in console)


@pytest.mark.e2e
def test_report_opens_offline_without_errors(demo_build, tmp_path):
    out = tmp_path / "audience_report.html"
    assert cli.main(["report", "--db", str(demo_build.db_path), "--out", str(out)]) == 0
    dom, console, requested = open_offline(out, tmp_path)
    assert requested == [], f"the report fetched {requested}"
    assert console == [], console
    for section_id, _title in SECTIONS:
        assert re.search(rf'<section[^>]*id="{section_id}"', dom), section_id
    assert dom.count("<svg") >= 10
