"""The README's commands are the CLI's: every `oms` line in it names a real command with real options, and every
command the CLI has is in the README (a renamed option or a new command cannot leave the README behind)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer

from flows.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


def _cli() -> dict[str, set[str]]:
    group = typer.main.get_command(app)
    return {name: {opt for param in command.params for opt in param.opts + param.secondary_opts}
            for name, command in group.commands.items()}


def _readme_oms_lines() -> list[list[str]]:
    lines = []
    for line in README.read_text(encoding="utf-8").splitlines():
        match = re.search(r"(?:\.venv/bin/)?\boms ([a-z-]+.*?)(?:\s+#.*)?$", line.strip().strip("`"))
        if match and line.lstrip().startswith((".venv/bin/oms", "`oms", "oms")):
            lines.append(shlex.split(match.group(1).split("`")[0]))
    return lines


def test_every_oms_line_in_the_readme_is_a_real_command_with_real_options() -> None:
    commands = _cli()
    lines = _readme_oms_lines()
    assert len(lines) >= len(commands)
    for words in lines:
        if words[0] == "--help":
            continue
        assert words[0] in commands, f"README: `oms {' '.join(words)}`: no command {words[0]!r}"
        options = {w.strip("[]").split("=")[0] for w in words[1:] if w.strip("[]").startswith("-")}
        unknown = options - commands[words[0]] - {"--help"}
        assert not unknown, f"README: `oms {' '.join(words)}`: {words[0]} has no option(s) {sorted(unknown)}"


def test_every_command_is_in_the_readme() -> None:
    documented = {words[0] for words in _readme_oms_lines()}
    assert set(_cli()) <= documented, sorted(set(_cli()) - documented)
