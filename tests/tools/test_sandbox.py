"""The Python sandbox against hostile code.

Every test is bounded (pytest-timeout plus the sandbox's own limits), allocates at most a few
hundred MB, and talks to the network only on 127.0.0.1, to a server the test starts itself.
"""

from __future__ import annotations

import ast
import os
import resource
import socket
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import pytest

from gem_gymnasium.tools import sandbox as sandbox_module
from gem_gymnasium.tools.sandbox import (
    ISOLATION_LEVELS,
    SAFE_LEVELS,
    PythonSandbox,
    SandboxResult,
    SandboxUnavailable,
)

pytestmark = pytest.mark.timeout(60)


def _available(level: str) -> str | None:
    """Why ``level`` cannot run here (``None``: it can)."""
    try:
        with PythonSandbox(isolation=level, workers=1, allow_unsafe_rlimits=True):
            return None
    except SandboxUnavailable as exc:
        return str(exc)


with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)  # rlimits says it is unsafe
    UNAVAILABLE = {level: _available(level) for level in ISOLATION_LEVELS}


def _levels(levels: tuple[str, ...]) -> list:
    return [
        pytest.param(
            level,
            marks=pytest.mark.skipif(
                bool(UNAVAILABLE[level]),
                reason=str(UNAVAILABLE[level]).split(". To fix it")[0],
            ),
        )
        for level in levels
    ]


@pytest.fixture(scope="module", params=_levels(ISOLATION_LEVELS))
def box(request: pytest.FixtureRequest):
    with (
        warnings.catch_warnings(),
        PythonSandbox(
            isolation=request.param,
            workers=2,
            timeout=3,
            memory_mb=256,
            max_processes=32,
            allow_unsafe_rlimits=True,
        ) as sandbox,
    ):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield sandbox


@pytest.fixture(scope="module", params=_levels(SAFE_LEVELS))
def nsbox(request: pytest.FixtureRequest):
    """A sandbox at a safe level (the confined file system and network)."""
    with PythonSandbox(isolation=request.param, workers=2, timeout=3, memory_mb=256) as sandbox:
        yield sandbox


def run(box: PythonSandbox, code: str, **kwargs) -> SandboxResult:
    return box.run(textwrap.dedent(code), **kwargs)


def _host_processes_matching(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(name))
    return found


# --- ordinary code ------------------------------------------------------------------------------


def test_runs_code_and_reports(box):
    result = run(box, "print(6 * 7)")
    assert result.ok and result.stdout == "42\n" and result.error is None
    assert run(box, "print(input()[::-1])", stdin="olleh").stdout == "hello\n"
    failed = run(box, "1 / 0")
    assert failed.exit_code == 1 and not failed.ok
    assert "ZeroDivisionError" in failed.stderr and "<code>" in failed.stderr
    assert run(box, "import sys; sys.exit(3)").exit_code == 3
    assert "SyntaxError" in run(box, "def (").stderr


def test_uses_running_interpreter_and_its_packages(box):
    result = run(box, "import sys, numpy; print(sys.version_info[:2], numpy.add(2, 3))")
    assert result.ok, result.stderr
    assert result.stdout == f"{tuple(sys.version_info[:2])} 5\n"


def test_calls_are_independent(box):
    run(box, "import builtins; builtins.leak = 1; open('state.txt', 'w').write('x')")
    result = run(box, "import builtins, os; print(hasattr(builtins, 'leak'), os.listdir('.'))")
    leak, listing = result.stdout.split(" ", 1)
    assert leak == "False"
    # Nothing of the first call is left. Only the read-only mount point of an interpreter that
    # lives under /tmp (a venv in a checkout there) may show in the private /tmp.
    interpreter_dirs = {
        Path(p).resolve().parts[2]
        for p in (sys.prefix, sys.base_prefix)
        if Path(p).resolve().parts[1:2] == ("tmp",)
    }
    assert set(ast.literal_eval(listing)) <= interpreter_dirs


def test_reports_isolation_level(box):
    assert box.isolation in ISOLATION_LEVELS
    assert "PythonSandbox(isolation=" in repr(box)


# --- hostile code -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "while True: pass",
        "import time\ntime.sleep(1000)",
        "while True:\n  try: pass\n  except BaseException: pass",
    ],
)
def test_infinite_loops_time_out(box, code):
    start = time.monotonic()
    result = run(box, code, timeout=0.5)
    assert result.timed_out and result.error == "timeout" and result.exit_code is None
    assert time.monotonic() - start < 5
    assert run(box, "print('alive')").stdout == "alive\n"


def test_signal_handlers_cannot_stop_the_kill(box):
    code = """
    import signal, time
    for s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGINT):
        signal.signal(s, signal.SIG_IGN)
    while True: pass
    """
    result = run(box, code, timeout=0.5)
    assert result.timed_out


def test_memory_bomb_is_capped(box):
    result = run(box, "x = bytearray(400 * 1024 * 1024)")
    assert result.error == "memory" and "MemoryError" in result.stderr
    grow = run(box, "a = []\nwhile True: a.append(bytearray(10 * 1024 * 1024))")
    assert grow.error == "memory" and not grow.ok
    assert run(box, "print(len(bytearray(50 * 1024 * 1024)))").ok


def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:  # it exited meanwhile
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])  # names may hold spaces
    return parents


def _new_processes_of_this_test(before: set[int]) -> int:
    """Processes started since ``before`` below this process, or orphaned (adopted by init).

    Processes that other tests or jobs on the machine start meanwhile do not count, so the check
    holds under ``pytest -n``.
    """
    parents, me = _parents(), os.getpid()

    def counts(pid: int) -> bool:
        node = pid
        while True:
            parent = parents.get(node, 0)
            if parent == me:
                return True
            if parent in (0, 1):
                return node not in before  # a new process tree that lost its parent
            node = parent

    return sum(counts(pid) for pid in parents.keys() - before)


def test_fork_bomb_is_contained(box):
    before = set(_parents())
    code = """
    import os
    while True:
        try:
            os.fork()
        except OSError:
            pass
    """
    result = run(box, code, timeout=1)
    assert result.timed_out
    # Everything the bomb started is gone once the call returns.
    time.sleep(0.2)
    assert _new_processes_of_this_test(before) < 10


def test_process_count_is_limited(box):
    code = """
    import os, time
    started = 0
    for _ in range(500):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        started += 1
    print(started)
    """
    result = run(box, code, timeout=5)
    assert int(result.stdout) < 32


def test_no_process_survives_its_call(box):
    marker = f"{time.time_ns() % 10**9}.25"
    code = f"""
    import subprocess, sys, os
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep({marker})"],
                     start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep({marker})"])
    while True: pass
    """
    result = run(box, code, timeout=1)
    assert result.timed_out
    time.sleep(0.1)
    assert _host_processes_matching(f"time.sleep({marker})") == []
    # Also after a call that exits normally but leaves a daemon behind.
    code = code.replace("while True: pass", "print('bye')")
    assert run(box, code).stdout == "bye\n"
    time.sleep(0.1)
    assert _host_processes_matching(f"time.sleep({marker})") == []


def test_huge_output_is_truncated_and_host_memory_stays_flat(box):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run(box, "while True: print('x' * 100_000)")
    assert result.error == "output_truncated"
    assert len(result.stdout) <= 64_000
    assert run(box, "import sys; sys.stderr.write('e' * 10_000_000)").error == "output_truncated"
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert after - before < 50_000  # KiB


def test_host_files_outside_the_work_dir_are_unreadable(nsbox, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    secret.chmod(0o644)
    tmp_path.chmod(0o755)
    for path in (str(secret), "/etc/passwd", "/etc/hostname", os.getcwd()):
        result = run(nsbox, f"print(open({path!r}).read())")
        assert not result.ok and "top secret" not in result.stdout
        assert "Error" in result.stderr
    listing = run(nsbox, "import os; print(sorted(os.listdir('/')))").stdout
    assert "home" not in listing and "sys" not in listing


def test_cannot_write_outside_the_work_dir(nsbox, tmp_path):
    target = tmp_path / "escape.txt"
    tmp_path.chmod(0o777)
    for path in (str(target), "/usr/escape.txt", "/escape.txt", sys.prefix + "/escape.txt"):
        result = run(nsbox, f"open({path!r}, 'w').write('x')")
        assert not result.ok
    assert not target.exists() and not Path(sys.prefix, "escape.txt").exists()
    # The temp dir is writable: /tmp itself, or TMPDIR where the interpreter lives under /tmp.
    ok = run(
        nsbox,
        "import os, tempfile; open('inside.txt', 'w').write('x'); "
        "open(os.path.join(tempfile.gettempdir(), 't'), 'w').write('y'); print('ok')",
    )
    assert ok.stdout == "ok\n"


def test_disk_usage_is_capped(nsbox):
    result = run(nsbox, "open('big', 'wb').write(b'x' * (200 * 1024 * 1024))")
    assert not result.ok


@pytest.fixture
def local_server():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted = []

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(conn)

    stop = threading.Event()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_network_is_blocked(nsbox, local_server):
    port, accepted = local_server
    direct = f"""
    import socket
    s = socket.create_connection(("127.0.0.1", {port}), timeout=1)
    print("connected")
    """
    sneaky = f"""
    s = __import__("".join(["so", "cket"]))
    c = getattr(s, "socket")()
    c.settimeout(1)
    c.connect(("127.0.0.1", {port}))
    print("connected")
    """
    for code in (direct, sneaky):
        result = run(nsbox, code)
        assert "connected" not in result.stdout and not result.ok
    assert accepted == []
    interfaces = run(nsbox, "import socket; print([n for _, n in socket.if_nameindex()])")
    assert interfaces.stdout == "['lo']\n"


def test_runs_unprivileged(nsbox):
    result = run(nsbox, "import os; print(os.getuid() != 0, os.getgid() != 0)")
    assert result.stdout == "True True\n"
    # No privileges to undo the confinement.
    assert not run(nsbox, "import os; os.chroot('/tmp')").ok


# --- configuration ------------------------------------------------------------------------------


def test_bad_configuration_is_rejected():
    with pytest.raises(ValueError, match="isolation"):
        PythonSandbox(isolation="docker")
    with pytest.raises(ValueError, match="timeout"):
        PythonSandbox(timeout=0)
    with pytest.raises(ValueError, match="memory_mb"):
        PythonSandbox(memory_mb=-1)


def test_non_str_code_is_a_type_error(box):
    with pytest.raises(TypeError):
        box.run(b"print(1)")  # type: ignore[arg-type]


def test_fails_closed_when_the_level_is_unavailable(monkeypatch):
    # A worker on a machine whose architecture the namespace setup does not know.
    real_source = sandbox_module._worker_source()
    monkeypatch.setattr(
        sandbox_module,
        "_worker_source",
        lambda: "import platform\nplatform.machine = lambda: 'unknown-arch'\n" + real_source,
    )
    with pytest.raises(SandboxUnavailable, match="namespace"):
        PythonSandbox(isolation="namespace", workers=1)
    # Without bubblewrap either, auto has no safe level left: it refuses, and says what to do,
    # rather than falling back to the unsafe level.
    monkeypatch.setattr(sandbox_module.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox_module, "_auto_level", None)
    with pytest.raises(SandboxUnavailable, match="bubblewrap") as refused:
        PythonSandbox(isolation="auto", workers=1)
    assert "allow_unsafe_rlimits" in str(refused.value)
    monkeypatch.setattr(sandbox_module, "_auto_level", None)


def test_unsafe_level_needs_the_loud_opt_in():
    with pytest.raises(SandboxUnavailable, match="allow_unsafe_rlimits=True"):
        PythonSandbox(isolation="rlimits", workers=1)


@pytest.mark.parametrize("level", ISOLATION_LEVELS)
def test_no_level_runs_code_as_root(level):
    """Issue 13, item 2: started as root with an interpreter only root can read (pyenv under a
    private home), ``rlimits`` ran the code as root. Every level now runs it unprivileged, or
    refuses to start."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            sandbox = PythonSandbox(isolation=level, workers=1, allow_unsafe_rlimits=True)
    except SandboxUnavailable:
        return  # failing closed is the other acceptable answer
    with sandbox:
        result = sandbox.run(
            "import os; print(0 in os.getresuid() + os.getresgid(), "
            "[l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')])"
        )
    assert result.stdout == "False ['0000000000000000']\n", result


def test_hidden_paths_are_only_those_a_bind_would_expose(tmp_path):
    from gem_gymnasium.tools._sandbox_worker import hidden_within

    inside = tmp_path / "prefix" / "lib" / "pkg"
    inside.mkdir(parents=True)
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text("{}")
    hidden = hidden_within([str(tmp_path / "prefix")], [str(inside), str(outside), "/missing"])
    assert hidden == [str(inside.resolve())]


def test_concurrent_calls_from_threads():
    with PythonSandbox(workers=2, timeout=5) as sandbox:
        results: list[SandboxResult] = []
        threads = [
            threading.Thread(target=lambda i=i: results.append(sandbox.run(f"print({i} * 2)")))
            for i in range(12)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(int(r.stdout) for r in results) == [i * 2 for i in range(12)]


def test_close_is_idempotent_and_stops_workers():
    sandbox = PythonSandbox(workers=1)
    pid = sandbox._workers[0].process.pid
    sandbox.close()
    sandbox.close()
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    with pytest.raises(RuntimeError, match="closed"):
        sandbox.run("print(1)")
