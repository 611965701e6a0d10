"""Run code against GEM's PyPI release (``gem-llm``) in a throwaway virtual environment.

Benchmarks compare side by side in one run: our side runs in the current process, GEM's in a
subprocess of a venv that this module creates once (under the user cache) or that the caller
names with ``--gem-python``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

GEM_REQUIREMENT = "gem-llm==0.1.0"
#: Modules GEM 0.1.0 imports without declaring them (Crosswords needs pandas, math pylatexenc).
GEM_UNDECLARED = ("pandas", "pylatexenc")


def gem_python(explicit: str | None = None) -> str:
    """Path of a Python that can ``import gem`` (created on first use)."""
    if explicit:
        return explicit
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gem-gymnasium"
    env_dir = cache / GEM_REQUIREMENT.replace("==", "-")
    python = env_dir / "bin" / "python"
    if not python.exists():
        print(f"creating a throwaway venv with {GEM_REQUIREMENT} in {env_dir} ...", file=sys.stderr)
        venv.create(env_dir, with_pip=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", GEM_REQUIREMENT, *GEM_UNDECLARED],
            check=True,
        )
    return str(python)


def run_in_gem(
    code: str,
    python: str,
    *args: str,
    timeout: float = 1800,
    cwd: str | Path | None = None,
    python_on_path: bool = False,
) -> Any:
    """Run ``code`` with GEM's Python; it must print one JSON document as its last line.

    Args:
        cwd: Working directory of the GEM side (GEM's tools write scratch folders there).
        python_on_path: Put ``python``'s own folder first on ``PATH``, for GEM code that starts
            ``python`` from ``PATH`` (its python tool): then that is the venv's interpreter
            itself, not a shim script, which is GEM's best case.
    """
    env = None
    if python_on_path:
        env = {**os.environ, "PATH": f"{Path(python).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [python, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"GEM side failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
