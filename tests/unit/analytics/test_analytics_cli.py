"""The analytics CLI apps, driven through Typer's runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from analytics.cli import corpus_app

runner = CliRunner()


def test_corpus_generate_refuses_an_unknown_size(tmp_path: Path) -> None:
    result = runner.invoke(corpus_app, ["generate", "--size", "HUGE", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown corpus size" in result.output
    assert not (tmp_path / "manifest.json").exists()
