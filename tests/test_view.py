"""``gem-gym view``: the episode viewer page, built from real ``gem-gym eval`` trajectories.

The browser test opens the page in headless Chromium (Debian's ``chromium`` and
``chromium-driver`` packages, driven by Selenium), checks that episodes render and that the
filters work, and saves a screenshot (to ``$VIEWER_SCREENSHOT`` when set, else a temp folder).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import pytest

from gem_gymnasium.cli import main
from gem_gymnasium.trainers.evaluation import Action, evaluate_env, write_trajectories
from gem_gymnasium.viewer import build_page, read_episodes

pytest.importorskip("PIL")


class ScriptedPolicy:
    """Deterministic actions: every fifth one has no \\boxed{} (a format error)."""

    def __init__(self, moves: Sequence[str]) -> None:
        self.moves, self.calls = moves, 0

    def __call__(self, observations: Sequence[str]) -> list[Action]:
        actions = []
        for _ in observations:
            self.calls += 1
            move = self.moves[self.calls % len(self.moves)]
            text = "I am not sure." if self.calls % 5 == 0 else f"Let me try \\boxed{{{move}}}"
            actions.append(Action(text, text))
        return actions


def _write_eval(path: Path, episodes: int = 6) -> Path:
    results = [
        evaluate_env(ScriptedPolicy([str(n) for n in range(1, 11)]),
                     "gem/GuessTheNumber-Easy-v0", episodes, num_envs=3),
        evaluate_env(None, "gem/TowerOfHanoi-Easy-v0", episodes, num_envs=3),
        evaluate_env(ScriptedPolicy(["up", "left", "down", "right"]),
                     "gem/Sokoban-Easy-v0", episodes, num_envs=3),
    ]  # fmt: skip
    return write_trajectories(results, path)


def _payload(page: str) -> dict:
    data = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    assert data is not None
    return json.loads(data.group(1))


@pytest.fixture(scope="module")
def trajectories(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_eval(tmp_path_factory.mktemp("eval") / "trajectories.jsonl")


def test_view_writes_one_self_contained_page(trajectories: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "page.html"
    assert main(["view", str(trajectories), "--out", str(out)]) == 0
    assert f"18 episodes -> {out}" in capsys.readouterr().out
    page = out.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the page must not fetch"
    payload = _payload(page)
    assert len(payload["index"]) == len(payload["details"]) == 18
    assert {e["env"] for e in payload["index"]} == {
        "gem/GuessTheNumber-Easy-v0", "gem/TowerOfHanoi-Easy-v0", "gem/Sokoban-Easy-v0"
    }  # fmt: skip
    assert any(e["format_errors"] for e in payload["index"])
    for entry, detail in zip(payload["index"], payload["details"], strict=True):
        record = json.loads(detail)
        # Every game episode replays exactly: one image per state, the final one included.
        assert len(record["frames"]) == entry["turns"] + 1
        assert record["frames"][0].startswith("data:image/png;base64,")


def test_a_replay_that_differs_keeps_no_images(trajectories: Path) -> None:
    episodes = read_episodes([trajectories])[:1]
    episodes[0]["turns"][0]["reward"] += 5.0
    record = json.loads(_payload(build_page(episodes, title="t"))["details"][0])
    assert "frames" not in record and "differs" in record["frames_note"]


def test_text_in_the_records_cannot_break_out_of_the_page(trajectories: Path) -> None:
    [episode] = read_episodes([trajectories])[:1]
    episode["turns"][0]["response"] = "</script><script>alert(1)</script> __DATA__ __TITLE__"
    page = build_page([episode], title="<b>__DATA__</b>", image_limit=0)
    record = json.loads(_payload(page)["details"][0])
    assert record["turns"][0]["response"].startswith("</script>")
    assert "<b>" not in page.split("<script", 1)[0]


def test_bad_input_is_one_clear_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"env_id": "gem/Sudoku-v0", "seed": 0, "turns": []}\nnot json\n')
    assert main(["view", str(bad)]) == 2
    assert capsys.readouterr().err.strip() == f"gem-gym: error: {bad}:2: not JSON (Expecting value)"
    bad.write_text('{"seed": 0}\n')
    assert main(["view", str(bad)]) == 2
    assert "not an episode record" in capsys.readouterr().err
    assert main(["view", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_serve_answers_on_localhost(trajectories: Path, tmp_path: Path) -> None:
    out = tmp_path / "served.html"
    command = [sys.executable, "-m", "gem_gymnasium.cli", "view", str(trajectories),
               "--out", str(out), "--images", "0", "--serve", "--port", "0"]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "N episodes -> page"
        url = re.search(r"http://127\.0\.0\.1:\d+/", server.stdout.readline()).group(0)
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.read().decode() == out.read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


# --- in a real browser --------------------------------------------------------------------------

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(
            "needs Debian's chromium and chromium-driver (apt-get install chromium "
            "chromium-driver; scripts/test.sh installs them when run as root)"
        )
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--window-size=1400,900", "--disable-dev-shm-usage"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _row_numbers(driver) -> list[int]:
    """The episode numbers of the drawn rows, read in one script call (rows are redrawn)."""
    script = "return [...document.querySelectorAll('#spacer .row')].map(r => r.dataset.i)"
    return [int(i) for i in driver.execute_script(script)]


def test_the_page_works_in_headless_chromium(browser, trajectories: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    out = tmp_path / "page.html"
    assert main(["view", str(trajectories), "--out", str(out)]) == 0
    index = _payload(out.read_text())["index"]
    browser.get(out.as_uri())
    count = browser.find_element(By.ID, "count")
    assert count.text.startswith("18 of 18 episodes")
    assert _row_numbers(browser) == list(range(18))
    # The first episode is open: a conversation with the game's image beside each turn.
    assert browser.find_element(By.ID, "episode-title").text.startswith("Episode 0:")
    turns = browser.find_elements(By.CSS_SELECTOR, "#detail .turn")
    assert len(turns) == index[0]["turns"] + 1  # the turns and the final observation
    images = browser.find_elements(By.CSS_SELECTOR, "#detail .turn img")
    assert len(images) == len(turns)
    assert all(browser.execute_script("return arguments[0].naturalWidth", i) > 0 for i in images)

    def expect(env: str = "", success: str = "", errors: str = "") -> None:
        for element, value in (("env", env), ("success", success), ("format", errors)):
            Select(browser.find_element(By.ID, element)).select_by_value(value)
        wanted = [
            e for e in index
            if (not env or e["env"] == env)
            and (not success or e["success"] == (success == "yes"))
            and (not errors or (e["format_errors"] > 0) == (errors == "yes"))
        ]  # fmt: skip
        assert count.text.startswith(f"{len(wanted)} of 18 episodes"), (env, success, errors)
        assert _row_numbers(browser) == [index.index(e) for e in wanted]

    expect(env="gem/Sokoban-Easy-v0")
    expect(success="yes")
    expect(success="no")
    expect(errors="yes")
    expect(errors="no")
    expect(env="gem/GuessTheNumber-Easy-v0", errors="no")
    expect()

    search = browser.find_element(By.ID, "search")
    search.send_keys("I am not sure")
    WebDriverWait(browser, 10).until(lambda d: not count.text.startswith("18 of"))
    found = _row_numbers(browser)
    assert found and all(index[i]["format_errors"] for i in found)

    search.send_keys(Keys.CONTROL, "a", Keys.BACKSPACE)  # an empty query: every episode again
    WebDriverWait(browser, 10).until(lambda d: count.text.startswith("18 of 18"))

    # Open a longer episode and diff two consecutive observations.
    target = next(i for i, e in enumerate(index) if e["turns"] >= 3 and "Sokoban" in e["env"])
    browser.find_element(By.CSS_SELECTOR, f'#spacer .row[data-i="{target}"]').click()
    assert browser.find_element(By.ID, "episode-title").text.startswith(f"Episode {target}:")
    browser.find_elements(By.CSS_SELECTOR, ".diffbtn")[0].click()
    assert browser.find_elements(By.CSS_SELECTOR, "pre.diff .add")
    screenshot = Path(os.environ.get("VIEWER_SCREENSHOT", tmp_path / "viewer.png"))
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ten_thousand_episodes_open_with_few_rows_drawn(browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    results = [evaluate_env(None, "gem/GuessTheNumber-Easy-v0", 10_000, num_envs=64)]
    path = write_trajectories(results, tmp_path / "many.jsonl")
    out = tmp_path / "many.html"
    assert main(["view", str(path), "--out", str(out), "--images", "20"]) == 0
    browser.get(out.as_uri())
    assert browser.find_element(By.ID, "count").text.startswith("10000 of 10000 episodes")
    assert 0 < len(_row_numbers(browser)) < 100  # only the visible rows are in the document
    browser.execute_script("document.getElementById('list').scrollTop = 28 * 9000;")
    browser.execute_script("document.getElementById('list').dispatchEvent(new Event('scroll'));")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda d: 9000 in _row_numbers(d))
