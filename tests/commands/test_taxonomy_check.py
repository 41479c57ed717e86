"""``ticketbot taxonomy check``: what in a taxonomy's examples the team should fix."""

from __future__ import annotations

from pathlib import Path

from support.cli import invoke

DATA = Path(__file__).resolve().parents[1] / "data"


def test_it_names_stray_examples_and_confused_pairs(tmp_path: Path) -> None:
    text = (DATA / "examples_taxonomy.toml").read_text("utf-8")
    # A repair example filed under delivery, and a category with two examples.
    text = text.replace(
        '"How long does shipping to Ireland usually take?",',
        '"How long does shipping to Ireland usually take?", '
        '"The brake cable snapped and the wheel wobbles badly.",',
    )
    text += '\n[categories.press]\ndescription = "Journalists."\nexamples = ["a", "b"]\n'
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, "utf-8")
    result = invoke("taxonomy", "check", "--taxonomy", str(path))
    assert result.exit_code == 1, result.output
    out = " ".join(result.output.split())
    assert "category: 6 classes" in out
    assert "too few examples (under 3): press (2)" in out
    assert "example of delivery nearer repair's: 'The brake cable snapped" in out
    assert "confused on cross-validation:" in out


def test_a_taxonomy_without_examples_is_a_usage_error() -> None:
    result = invoke("taxonomy", "check")
    assert result.exit_code == 2
    assert "lists no examples" in result.output
