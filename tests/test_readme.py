"""The README stays true: its commands exist, its table names every game, its snippets run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gem_gymnasium.registration import GAMES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_quick_start_scripts_exist_and_ci_runs_the_test_command() -> None:
    for script in ("scripts/train.sh", "scripts/test.sh"):
        assert f"bash {script}" in README and (ROOT / script).is_file()
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_environment_table_lists_every_game() -> None:
    for family in GAMES:
        assert f"`{family.env_id()}`" in README, family.name


def _python_snippets() -> list[tuple[str, int, str]]:
    """Every fenced python block of the README and docs/*.md: (file, first line, code)."""
    snippets = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text()
        for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE):
            line = text.count("\n", 0, match.start()) + 2
            snippets.append((path.relative_to(ROOT).as_posix(), line, match[1]))
    return snippets


SNIPPETS = _python_snippets()


def test_the_docs_have_python_snippets_to_run() -> None:
    assert len(SNIPPETS) >= 4  # the pattern above still finds the README's snippets


@pytest.mark.parametrize(
    ("doc", "line", "code"), SNIPPETS, ids=[f"{d}:{n}" for d, n, _ in SNIPPETS]
)
def test_snippet_runs_as_written(doc: str, line: int, code: str, tmp_path: Path) -> None:
    # A fresh interpreter in an empty folder, no network: each snippet must stand on its own.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{doc}:{line} failed:\n{result.stderr}"


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _repository_files() -> list[str]:
    skip = {".git", ".venv", "build", "dist", "__pycache__", "runs"}
    return [
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("*")
        if p.is_file() and not skip & set(p.relative_to(ROOT).parts)
    ]


def test_docs_cite_only_files_that_exist() -> None:
    files = _repository_files()
    for doc in DOCS:
        for name in set(re.findall(r"[\w./-]+\.(?:py|md|sh)\b", doc.read_text())):
            name = name.lstrip("./")
            # Docs name files by path or, inside a section about a folder, by their own name.
            assert any(f == name or f.endswith(f"/{name}") for f in files), (
                f"{doc.name} cites {name}, which is not in the repository"
            )


def test_docs_speak_to_users() -> None:
    # The package is installed from the repository until it is published, and the docs talk
    # about the project, not about how it was developed.
    texts = {
        p.relative_to(ROOT).as_posix(): p.read_text() for p in [*DOCS, *ROOT.glob("examples/*.py")]
    }
    for name, text in texts.items():
        assert not re.search(r"pip install ['\"]?gem-gymnasium", text), name
        assert not re.search(r"\b(this session|next issue|the issue)\b", text, re.IGNORECASE), name
