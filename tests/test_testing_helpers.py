"""spurwidgets.testing: the one place that says how Chromium is launched."""

from __future__ import annotations

from spurwidgets.testing import CHROMIUM_ARGS, chromium_available, chromium_launch_options, chromium_path


def test_launch_options_use_the_system_chromium_headless_without_sandbox(monkeypatch):
    monkeypatch.delenv("SPURWIDGETS_CHROMIUM", raising=False)
    options = chromium_launch_options()
    assert options == {"executable_path": "/usr/bin/chromium", "headless": True, "args": list(CHROMIUM_ARGS)}
    assert {"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"} <= set(options["args"])
    options["args"].append("--changed")  # callers get a copy
    assert "--changed" not in CHROMIUM_ARGS


def test_environment_variable_picks_another_binary(monkeypatch, tmp_path):
    binary = tmp_path / "my-chromium"
    monkeypatch.setenv("SPURWIDGETS_CHROMIUM", str(binary))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert chromium_path() == str(binary) and chromium_launch_options()["executable_path"] == str(binary)
    assert not chromium_available()
    binary.write_text("")
    assert chromium_available()
