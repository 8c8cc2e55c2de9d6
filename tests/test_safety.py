"""The scanner never becomes a leak: it makes no network connection, and its reports
never repeat a secret or personal data written as a literal in the scanned code."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from flowscan.cli import main
from flowscan.model import Finding, Flow, ScanResult, Span, Step
from flowscan.redact import redact, redact_result
from flowscan.scan import Options, run_scan

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
KEY = "sk-proj-" + "Ab3" * 10


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every way to open a connection raises, and is recorded. Forked workers inherit
    the patch, so a connection attempt there fails the scan too."""
    tried: list[object] = []

    def refuse(*args: object, **kw: object) -> None:
        tried.append(args)
        raise OSError("network disabled by test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return tried


@pytest.mark.parametrize("jobs", [1, 2])
def test_scan_makes_no_connection(no_network: list[object], jobs: int, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWSCAN_CACHE_DIR", str(tmp_path))
    result = run_scan([DEMO], Options(jobs=jobs, cache=False))
    assert result.findings and not no_network
    assert main(["scan", str(DEMO), "--format", "sarif", "--jobs", str(jobs),
                 "--fail-on", "never"]) == 0
    assert not no_network


def test_redact_masks_classified_literals(catalog: object) -> None:
    classify = catalog.taxonomy.classify_literal  # type: ignore[attr-defined]
    assert redact("user.email", classify) == "user.email"
    assert redact("track('alice@example.com', x)", classify) == \
        "track('<redacted email>', x)"
    assert redact(f"headers['{KEY[:20]}']", classify) == "headers['<redacted credentials>']"
    assert redact("'hello world'", classify) == "'hello world'"
    assert redact("alice@example.com", classify) == "<redacted email>"


def _leaky() -> ScanResult:
    span = Span("a.py", 3, 1)
    steps = (Step(span, "'alice@example.com'", "source"),
             Step(span, f"client.call('{KEY}')", "sink"))
    flow = Flow("'alice@example.com'", "email", "properties", steps)
    f = Finding(span, "mixpanel", "data", "mixpanel.Mixpanel().track",
                f"clients['{KEY}'].track", "<module>", ("email",), (flow,))
    return ScanResult("/r", [f], [])


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_reports_never_print_literals(catalog: object, fmt: str) -> None:
    from flowscan.reporters import REPORTERS

    policy = catalog.policy  # type: ignore[attr-defined]
    classify = catalog.taxonomy.classify_literal  # type: ignore[attr-defined]
    raw = REPORTERS[fmt].render(_leaky(), policy, vendors={}, trace=True)
    assert "alice@example.com" in raw  # the test can fail
    out = REPORTERS[fmt].render(redact_result(_leaky(), classify), policy, vendors={},
                                trace=True)
    assert "alice@example.com" not in out and KEY not in out and KEY[:20] not in out
    assert "<redacted email>" in out


def test_cli_redacts_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.py").write_text(
        "import mixpanel\nmp = mixpanel.Mixpanel('t')\n"
        "def f(user):\n"
        "    mp.track(user.id, 'signup', {'email': profiles['alice@example.com'].email})\n")
    main(["scan", str(tmp_path), "--format", "json", "--fail-on", "never"])
    redacted = capsys.readouterr().out
    main(["scan", str(tmp_path), "--format", "json", "--fail-on", "never", "--no-redact"])
    plain = capsys.readouterr().out
    assert "alice@example.com" in plain  # the field read through a literal key
    assert "alice@example.com" not in redacted
