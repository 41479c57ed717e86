"""A ``routes.toml`` or a taxonomy nested thousands deep is a configuration error naming the
file (exit 2), never a ``RecursionError`` traceback: tomllib parses nested arrays by recursion."""

from __future__ import annotations

from pathlib import Path

from support.cli import invoke


def test_a_routes_file_nested_3000_deep_is_one_line_naming_it(tmp_path: Path) -> None:
    deep = tmp_path / "routes.toml"
    deep.write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")

    result = invoke("routes", "check", str(deep))

    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert said.startswith(f"configuration error: {deep}:"), said  # FILE given: it is named
    assert str(deep) in said
    assert "nested too deeply" in said
    assert "Traceback" not in result.output


def test_a_taxonomy_nested_3000_deep_is_one_line_naming_it(tmp_path: Path) -> None:
    deep = tmp_path / "taxonomy.toml"
    deep.write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")
    routes = tmp_path / "routes.toml"
    routes.write_text('[[route]]\nname = "r"\nwhen = { urgency = "high" }\nescalate = true\n')

    result = invoke("routes", "check", str(routes), env={"TICKETBOT_TAXONOMY": str(deep)})

    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert said.startswith(f"configuration error: {deep}: nested too deeply"), said
    assert "Traceback" not in result.output
