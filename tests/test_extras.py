"""Every optional import fails with one message naming the extra to install (``gem_gymnasium.extras``)."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

import pytest

from gem_gymnasium.extras import EXTRA_OF, MissingExtra, as_missing_extra, optional_imports, require

ROOT = Path(__file__).resolve().parents[1]


def test_every_named_extra_exists_in_setup_cfg() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert set(EXTRA_OF.values()) <= set(config["options.extras_require"])


def test_a_missing_optional_package_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pettingzoo", None)  # as if not installed
    with pytest.raises(MissingExtra) as caught:
        require("pettingzoo", "multi-agent games")
    message = str(caught.value)
    assert message.startswith("multi-agent games needs the optional package 'pettingzoo'")
    assert "pip install -e '.[pettingzoo]'" in message
    assert isinstance(caught.value, ImportError) and caught.value.name == "pettingzoo"


def test_other_import_errors_pass_through_unchanged() -> None:
    with pytest.raises(ModuleNotFoundError) as caught, optional_imports("x"):
        import gem_gymnasium_no_such_module  # noqa: F401
    assert type(caught.value) is ModuleNotFoundError
    assert as_missing_extra(ValueError("no"), "x") is None


def _fails_with_extra(code: str, blocked: str) -> str:
    """Run ``code`` with ``blocked`` uninstallable; return the MissingExtra message it raised."""
    script = (
        "import sys\n"
        f"sys.modules[{blocked!r}] = None\n"
        "from gem_gymnasium.extras import MissingExtra\n"
        "try:\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "except MissingExtra as error:\n"
        "    print(error)\n"
        "else:\n"
        "    sys.exit('no MissingExtra raised')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("code", "blocked", "extra"),
    [
        (
            "import gymnasium as gym, gem_gymnasium\ngym.make('gem/TicTacToe-vsRandom-v0')",
            "pettingzoo",
            "pettingzoo",
        ),
        ("from gem_gymnasium.envs.multiagent import tictactoe", "pettingzoo", "pettingzoo"),
        ("from gem_gymnasium.envs.multiagent import prisoners_dilemma", "pettingzoo", "pettingzoo"),
        (
            "import gem_gymnasium\ngem_gymnasium.make('rg:leg_counting')",
            "reasoning_gym",
            "reasoning",
        ),
        (
            "import gem_gymnasium\ngem_gymnasium.make('math:GSM8K', source='hub')",
            "datasets",
            "data",
        ),
        (
            "from gem_gymnasium.tools.retrieval import DenseRetriever\nDenseRetriever(['a'], encoder=None)",
            "faiss",
            "search",
        ),
        (
            "from gem_gymnasium.tools.tiny_encoder import build_tiny_encoder\nbuild_tiny_encoder('x', ['a'])",
            "sentence_transformers",
            "search",
        ),
        (
            "import gem_gymnasium\nfrom gem_gymnasium.wrappers import apply_wrappers\napply_wrappers(gem_gymnasium.make('gem/Math-v0'), 'concat_chat', tokenizer='some/model')",
            "transformers",
            "train",
        ),
        (
            "from gem_gymnasium.trainers.evaluation import format_results\nformat_results([])",
            "rich",
            "train",
        ),
    ],
    ids=[
        "make-vsRandom",
        "tictactoe",
        "prisoners_dilemma",
        "reasoning-gym",
        "hub",
        "dense-retriever",
        "tiny-encoder",
        "tokenizer-by-name",
        "eval-table",
    ],
)
def test_python_api_names_the_extra(code: str, blocked: str, extra: str) -> None:
    message = _fails_with_extra(code, blocked)
    assert f"optional package {blocked!r}" in message and f"pip install -e '.[{extra}]'" in message
