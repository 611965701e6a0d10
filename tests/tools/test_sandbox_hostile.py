"""The hostile suite (``sandbox_hostile.py``) at every isolation level, as this user and as an
unprivileged uid.

Each run installs the two sandbox modules and the code task's shipped sample the way a wheel does
(``site-packages/gem_gymnasium/...`` of a fresh venv) and runs the suite with that venv's
interpreter, which needs only the standard library. When the tests run as root they also run it
under a fresh uid that has no account, with an interpreter that uid can read (so root's own
``pyenv`` under a private home does not make the check impossible). A level this machine cannot
set up is skipped with the sandbox's own reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sandbox_hostile import CASES  # beside this file (pytest puts its folder on sys.path)

from gem_gymnasium.tools.sandbox import ISOLATION_LEVELS

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parents[1] / "gem_gymnasium"
#: A uid with no account and no files: what a stranger on the machine would be.
STRANGER = 1_400_000_000 + os.getpid() % 100_000

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]


def _as(uid: int | None) -> dict[str, object]:
    return {} if uid is None else {"user": uid, "group": uid, "extra_groups": []}


def _interpreter_for(uid: int | None) -> str | None:
    """A Python >= 3.10 that ``uid`` can run, preferring the one running these tests."""
    candidates = [getattr(sys, "_base_executable", sys.executable), "/usr/bin/python3"]
    candidates += [shutil.which("python3") or ""]
    for candidate in dict.fromkeys(filter(None, candidates)):
        try:
            probe = subprocess.run(
                [candidate, "-I", "-c", "import sys, venv; assert sys.version_info >= (3, 10)"],
                capture_output=True,
                cwd="/",
                check=False,
                **_as(uid),
            )
        except OSError:  # not even executable for uid
            continue
        if probe.returncode == 0:
            return candidate
    return None


def _wheel_like_install(base: str, root: Path, owner: int | None) -> Path:
    """A venv at ``root`` holding the sandbox modules and the sample data as a wheel lays them out,
    owned by ``owner`` (a user's own venv: writable by the code if it ever escapes); returns its
    interpreter."""
    subprocess.run([base, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    package = Path(purelib) / "gem_gymnasium"
    (package / "tools").mkdir(parents=True)
    (package / "data").mkdir()
    # Package markers only: the suite needs the sandbox, not the environments.
    (package / "__init__.py").write_text('"""gem_gymnasium (sandbox modules only)."""\n')
    (package / "tools" / "__init__.py").write_text("")
    for name in ("sandbox.py", "_sandbox_worker.py"):
        shutil.copy(PACKAGE / "tools" / name, package / "tools" / name)
    shutil.copy(PACKAGE / "data" / "code_sample.jsonl", package / "data" / "code_sample.jsonl")
    shutil.copy(HERE / "sandbox_hostile.py", root / "sandbox_hostile.py")
    for path in [root, *root.rglob("*")]:
        if owner is not None:
            os.lchown(path, owner, owner)
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | (0o555 if path.is_dir() else 0o444))
    return python


@pytest.fixture(scope="module")
def hostile_report() -> Iterator[Callable[[str, str], dict]]:
    """``report(who, level)``: the suite's findings, one run per (who, level)."""
    root = Path(tempfile.mkdtemp(prefix="gem-hostile-"))
    root.chmod(0o755)  # a stranger must reach the venv
    installs: dict[tuple[str, int | None], Path] = {}
    reports: dict[tuple[str, str], dict] = {}

    def report(who: str, level: str) -> dict:
        if (who, level) in reports:
            return reports[(who, level)]
        uid = None
        if who == "unprivileged":
            if os.geteuid() != 0:
                pytest.skip("these tests already run unprivileged (the 'this user' runs)")
            uid = STRANGER
        # Root prefers an interpreter a stranger can read too: its workers run as strangers.
        base = _interpreter_for(STRANGER) if os.geteuid() == 0 else None
        base = base or _interpreter_for(uid)
        if base is None:
            pytest.skip(f"no Python >= 3.10 that uid {uid} can run")
        if (base, uid) not in installs:
            where = root / f"install{len(installs)}"
            installs[(base, uid)] = _wheel_like_install(base, where, uid)
        python = installs[(base, uid)]
        run = subprocess.run(
            [str(python), "-I", str(python.parents[2] / "sandbox_hostile.py"), level],
            capture_output=True,
            text=True,
            cwd=python.parents[2],
            timeout=540,
            check=False,
            **_as(uid),
        )
        assert run.returncode == 0, run.stderr[-3000:]
        reports[(who, level)] = json.loads(run.stdout)
        return reports[(who, level)]

    yield report
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("level", ISOLATION_LEVELS)
@pytest.mark.parametrize("who", ["this user", "unprivileged"])
def test_hostile_code_is_contained(hostile_report, who: str, level: str) -> None:
    report = hostile_report(who, level)
    if not report["available"]:
        pytest.skip(f"{level} is not available to {who} here: {report['reason']}")
    expected = {name for name, (_, unsafe_too) in CASES.items() if level != "rlimits" or unsafe_too}
    assert set(report["results"]) == expected
    escaped = {
        name: detail for name, (contained, detail) in report["results"].items() if not contained
    }
    assert not escaped, json.dumps(escaped, indent=1)
