"""Hostile programs against ``PythonSandbox`` at one isolation level (standard library only).

    python sandbox_hostile.py LEVEL            # one JSON report on stdout
    python sandbox_hostile.py --host LEVEL TAG # helper: a host that the report kills with SIGKILL

``test_sandbox_hostile.py`` runs this script with an interpreter that needs nothing but the
standard library and the two sandbox modules (so an unprivileged uid can run it too). Each case
attacks the sandbox and then checks, from the host's side where it can, that the attack was
contained; the report maps every case to ``[contained, detail]``. Cases marked ``unsafe_too`` are
the guarantees that hold even at the opt-in ``rlimits`` level.

Every secret, file and server a case uses is made here, in a private directory, and only
127.0.0.1 is listened on; everything stops with the script.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

from gem_gymnasium.tools.sandbox import PythonSandbox, SandboxResult, SandboxUnavailable

# Generous time: the cases assert containment, and shared machines can be slow.
SETTINGS = {"timeout": 20.0, "memory_mb": 256, "max_processes": 32, "disk_mb": 32}
#: Marks processes and files this run creates, so the host can look for them afterwards.
TAG = f"gemhostile{secrets.token_hex(4)}"
SECRET = secrets.token_hex(16)


def sleep_tag() -> str:
    """A ``/bin/sleep`` argument that marks one case's processes (a valid number of seconds)."""
    return f"60.{secrets.randbelow(10**9):09d}"


Case = Callable[["Context"], tuple[bool, str]]
CASES: dict[str, tuple[Case, bool]] = {}


def case(unsafe_too: bool = False) -> Callable[[Case], Case]:
    def register(function: Case) -> Case:
        CASES[function.__name__] = (function, unsafe_too)
        return function

    return register


class Context:
    """The sandbox under attack and the host-side material the cases use."""

    def __init__(self, level: str, private: Path) -> None:
        self.level = level
        self.private = private  # host dir with a secret file, and a world-writable drop dir
        self.secret_file = private / "secret.txt"
        self.secret_file.write_text(SECRET)
        self.drop = private / "drop"
        self.drop.mkdir()
        os.chmod(private, 0o755)
        os.chmod(self.secret_file, 0o644)
        os.chmod(self.drop, 0o777)
        self.box = self.sandbox(workers=2)

    def sandbox(self, **overrides: object) -> PythonSandbox:
        return PythonSandbox(
            isolation=self.level,
            allow_unsafe_rlimits=self.level == "rlimits",
            hidden_paths=[f"/nonexistent/{TAG}"],  # tags the workers' command lines
            **{**SETTINGS, **overrides},
        )

    def run(self, code: str, box: PythonSandbox | None = None, **kwargs: object) -> SandboxResult:
        return (box or self.box).run(textwrap.dedent(code), **kwargs)


def tagged_processes(tag: str = TAG) -> list[int]:
    """Processes anywhere on the host whose command line carries ``tag``."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            with contextlib.suppress(OSError):
                if tag.encode() in Path(f"/proc/{name}/cmdline").read_bytes():
                    found.append(int(name))
    return found


def sleepers(tag: str) -> list[int]:
    """The ``/bin/sleep`` processes marked with ``tag``."""
    found = []
    for pid in tagged_processes(tag):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"/bin/sleep"):
                found.append(pid)
    return found


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def summary(result: SandboxResult) -> str:
    return f"exit={result.exit_code} error={result.error} out={result.stdout[-300:]!r} err={result.stderr[-300:]!r}"


# --- privileges ---------------------------------------------------------------------------------


@case(unsafe_too=True)
def runs_without_root_or_capabilities(ctx: Context) -> tuple[bool, str]:
    result = ctx.run(
        """
        import json, os
        caps = {l.split(':')[0]: int(l.split()[1], 16) for l in open('/proc/self/status')
                if l.startswith(('CapPrm', 'CapEff', 'CapAmb', 'CapInh'))}
        print(json.dumps([os.getresuid(), os.getresgid(), caps]))
        """
    )
    uids, gids, caps = json.loads(result.stdout)
    return 0 not in uids + gids and not any(caps.values()), summary(result)


@case()
def cannot_remount_or_unmount_the_interpreter(ctx: Context) -> tuple[bool, str]:
    """Issue item 1: remount the read-only binds writable and plant ``sitecustomize.py``."""
    purelib = sysconfig.get_paths()["purelib"]
    targets = sorted({sys.prefix, sys.base_prefix, purelib, "/usr", "/"})
    code = f"""
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    MS_REMOUNT, MS_BIND, MNT_DETACH = 32, 4096, 2
    def plant(target):
        for name in ("sitecustomize.py", "{TAG}.pth"):
            try:
                with open(os.path.join(target, name), "w") as handle:
                    handle.write("# {TAG}")
                print("WROTE", target)
            except OSError:
                pass
    def attack():
        for target in {targets!r}:
            # Writable again? Then the bind writes through to the host.
            libc.mount(None, target.encode(), None, MS_REMOUNT | MS_BIND, None)
            plant(target)
            # Gone? Then whatever lies beneath shows (and takes writes).
            libc.umount2(target.encode(), MNT_DETACH)
            plant(target)
    attack()
    # Again from a fresh user and mount namespace, where the code would hold capabilities.
    if libc.unshare(0x10000000 | 0x00020000) == 0:
        attack()
    """
    result = ctx.run(code)
    planted = [
        str(path)
        for target in targets
        for path in (Path(target, "sitecustomize.py"), Path(target, f"{TAG}.pth"))
        if path.exists() and TAG in path.read_text(errors="replace")
    ]
    for path in planted:
        Path(path).unlink()
    return not planted and "WROTE" not in result.stdout, f"planted={planted} {summary(result)}"


@case()
def cannot_reach_other_processes(ctx: Context) -> tuple[bool, str]:
    """ptrace, process_vm_readv, setns and /proc/<pid>/mem on the worker and on PID 1."""
    code = """
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    got = []
    for pid in sorted({1, os.getppid()}):
        if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
            got.append(("ptrace", pid))
        try:
            with open(f"/proc/{pid}/mem", "rb") as handle:
                got.append(("mem", pid))
        except OSError:
            pass
        for ns in ("mnt", "user", "pid", "net"):
            try:
                fd = os.open(f"/proc/{pid}/ns/{ns}", os.O_RDONLY)
            except OSError:
                continue
            if libc.setns(fd, 0) == 0:
                got.append(("setns", ns, pid))
    print(got)
    """
    result = ctx.run(code)
    return result.stdout.strip() == "[]", summary(result)


@case()
def cannot_kill_the_worker_or_the_host(ctx: Context) -> tuple[bool, str]:
    result = ctx.run(
        """
        import os, signal
        for target in (os.getppid(), 1, -1):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
        print("still here")
        """
    )
    after = ctx.run("print('next')")
    return after.stdout == "next\n", f"{summary(result)} next: {summary(after)}"


# --- the filesystem -----------------------------------------------------------------------------


@case()
def host_secrets_are_out_of_reach(ctx: Context) -> tuple[bool, str]:
    """Issue item 2: /etc/shadow, the host's environment, files the uid could read."""
    code = f"""
    import glob, os
    seen = []
    paths = ["/etc/shadow", "/etc/passwd", {str(ctx.secret_file)!r}]
    paths += glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline")
    for path in paths:
        try:
            with open(path, "rb") as handle:
                seen.append(handle.read(100_000).decode("latin-1"))
        except OSError:
            pass
    seen.append(repr(dict(os.environ)))
    text = "\\n".join(seen)
    print(os.path.exists("/etc/shadow"), "GEM_HOSTILE" in text, {SECRET!r} in text)
    """
    result = ctx.run(code)
    return result.stdout == "False False False\n", summary(result)


@case()
def host_files_are_read_only(ctx: Context) -> tuple[bool, str]:
    targets = [str(ctx.drop), "/", "/usr", "/etc", "/usr/lib", os.path.dirname(sys.executable)]
    code = f"""
    import os
    for target in {targets!r}:
        try:
            with open(os.path.join(target, "{TAG}"), "w") as handle:
                handle.write("x")
            print("WROTE", target)
        except OSError:
            pass
    """
    result = ctx.run(code)
    leaked = [target for target in targets if os.path.exists(os.path.join(target, TAG))]
    for target in leaked:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(target, TAG))
    return not leaked and "WROTE" not in result.stdout, f"leaked={leaked} {summary(result)}"


@case()
def sees_only_the_interpreter_and_system_libraries(ctx: Context) -> tuple[bool, str]:
    result = ctx.run(
        """
        import os
        print(sorted(os.listdir("/")))
        """
    )
    allowed = {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "tmp", "usr"}
    # The interpreter's installation appears under its own path (its first component).
    for prefix in (sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))):
        allowed.add(os.path.realpath(prefix).split("/")[1])
    listing = set(ast.literal_eval(result.stdout)) if result.ok else {"?"}
    return listing <= allowed, f"unexpected={sorted(listing - allowed)} {summary(result)}"


@case()
def code_task_answers_are_hidden(ctx: Context) -> tuple[bool, str]:
    """Issue item 3: the shipped tests of the code task (package data), by path and by search."""
    import gem_gymnasium

    package = os.path.dirname(os.path.realpath(gem_gymnasium.__file__))
    code = f"""
    import ctypes, os, sys
    found = []
    def read_sample():
        try:
            found.append(open({package + "/data/code_sample.jsonl"!r}).read(50))
        except OSError:
            pass
    read_sample()
    # Peel the cover off: unmount it, also from a fresh user and mount namespace.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.umount2({package!r}.encode(), 2)
    read_sample()
    if libc.unshare(0x10000000 | 0x00020000) == 0:
        libc.umount2({package!r}.encode(), 2)
        read_sample()
    for top in ["/tmp", "/etc", "/root", "/home", *sys.path, os.path.dirname({package!r})]:
        for root, dirs, files in os.walk(top or "."):
            if root.startswith(("/proc", "/sys", "/dev")):
                dirs[:] = []
                continue
            for name in files:
                if "code_sample" in name or name == "_sandbox_worker.py":
                    found.append(os.path.join(root, name))
    print(found)
    """
    result = ctx.run(code)
    return result.stdout.strip() == "[]", summary(result)


@case()
def temp_files_do_not_reach_the_next_call(ctx: Context) -> tuple[bool, str]:
    """Issue item 5: /tmp, /dev/shm, the work dir, even when the code locks a directory."""
    box = ctx.sandbox(workers=1)
    look = """
        import os, tempfile
        print(sorted({entry for directory in ("/tmp", "/dev/shm", tempfile.gettempdir(),
                      os.getcwd()) for entry in os.listdir(directory)}))
        """
    try:
        # What a fresh call sees (mount points, when the interpreter lives under /tmp).
        before = ctx.run(look, box=box)
        planted = ctx.run(
            f"""
            import os, tempfile
            for directory in ("/tmp", "/dev/shm", tempfile.gettempdir(), os.getcwd()):
                with open(os.path.join(directory, "{TAG}"), "w") as handle:
                    handle.write({SECRET!r})
            os.makedirs("locked/inner")
            open("locked/inner/{TAG}", "w").write({SECRET!r})
            os.chmod("locked/inner", 0)
            os.chmod("locked", 0)
            os.mkdir("deep")
            os.chdir("deep")
            for _ in range(1200):  # deeper than a recursive clean-up can go
                os.mkdir("d")
                os.chdir("d")
            open("{TAG}", "w").write({SECRET!r})
            print("planted")
            """,
            box=box,
        )
        looked = ctx.run(look, box=box)
    finally:
        box.close()
    contained = planted.stdout == "planted\n" and before.ok and looked.stdout == before.stdout
    return contained, f"planted: {summary(planted)} looked: {summary(looked)}"


@case()
def temp_files_do_not_reach_a_concurrent_call(ctx: Context) -> tuple[bool, str]:
    writer_code = f"""
    import os, tempfile, time
    for directory in ("/tmp", "/dev/shm", tempfile.gettempdir()):
        with open(os.path.join(directory, "{TAG}"), "w") as handle:
            handle.write({SECRET!r})
    time.sleep(6)
    """
    reader_code = f"""
    import os, tempfile
    found = []
    for directory in ("/tmp", "/dev/shm", tempfile.gettempdir()):
        for root, _, files in os.walk(directory):
            found += [os.path.join(root, name) for name in files if "{TAG}" in name]
    print(found)
    """
    results: dict[str, SandboxResult] = {}
    writer = threading.Thread(target=lambda: results.update(w=ctx.run(writer_code)))
    writer.start()
    time.sleep(2)  # the writer has written by now (on a very busy machine the case is weaker)
    results["r"] = ctx.run(reader_code)
    writer.join()
    return results["r"].stdout == "[]\n", summary(results["r"])


@case(unsafe_too=True)
def temp_dir_is_the_calls_own(ctx: Context) -> tuple[bool, str]:
    """``tempfile.gettempdir()`` names the call's private dir, not a directory the worker cached."""
    result = ctx.run(
        "import os, tempfile; print(tempfile.gettempdir() == os.environ['TMPDIR'] == os.getcwd())"
    )
    return result.stdout == "True\n", summary(result)


@case(unsafe_too=True)
def state_does_not_reach_the_next_call(ctx: Context) -> tuple[bool, str]:
    box = ctx.sandbox(workers=1)
    try:
        before = ctx.run("import os; print(os.listdir('.'))", box=box)
        ctx.run(
            "import builtins, os, sys; builtins.leak = 1; os.environ['LEAK'] = '1'; "
            "sys.modules['leak'] = sys; open('state.txt', 'w').write('x')",
            box=box,
        )
        result = ctx.run(
            "import builtins, os, sys; "
            "print(hasattr(builtins, 'leak'), 'LEAK' in os.environ, 'leak' in sys.modules, "
            "os.listdir('.'))",
            box=box,
        )
    finally:
        box.close()
    return result.stdout == f"False False False {before.stdout}", summary(result)


@case(unsafe_too=True)
def earlier_calls_are_not_in_the_interpreter(ctx: Context) -> tuple[bool, str]:
    """A call forks from the warm worker: it must not find the previous call's code or input."""
    box = ctx.sandbox(workers=1)
    try:
        box.run(f"print('{TAG}' + 'code')", stdin=f"{TAG}input")
        result = box.run(
            f"""
import gc, sys
frames, frame = [], sys._getframe()
while frame is not None:
    frames.append(repr(frame.f_locals))
    frame = frame.f_back
text = " ".join(frames) + " ".join(o for o in gc.get_objects() if isinstance(o, str))
text += " ".join(repr(o) for o in gc.get_objects() if isinstance(o, dict))
# Built here, so that this call's own source does not hold them.
print("".join(["{TAG}", "code"]) in text, "".join(["{TAG}", "input"]) in text)
"""
        )
    finally:
        box.close()
    return result.stdout == "False False\n", summary(result)


@case(unsafe_too=True)
def huge_files_are_capped(ctx: Context) -> tuple[bool, str]:
    box = ctx.sandbox(workers=1)
    try:
        before = box.run("import os; print(os.listdir('.'))")
        big = box.run("open('big', 'wb').write(b'x' * (200 * 1024 * 1024))")
        after = box.run("import os; print(os.listdir('.'))")
    finally:
        box.close()
    contained = not big.ok and before.ok and after.stdout == before.stdout
    return contained, f"{summary(big)} after: {summary(after)}"


# --- resources ----------------------------------------------------------------------------------


@case(unsafe_too=True)
def endless_code_times_out(ctx: Context) -> tuple[bool, str]:
    details, contained = [], True
    for code in (
        "while True: pass",
        "import time\ntime.sleep(1000)",
        "import signal\nfor s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGINT):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True: pass",
    ):
        result = ctx.run(code, timeout=0.5)
        contained &= result.timed_out and result.error == "timeout" and result.exit_code is None
        details.append(summary(result))
    return contained, " | ".join(details)


@case(unsafe_too=True)
def memory_is_capped(ctx: Context) -> tuple[bool, str]:
    """Including issue item 6: an 8 GiB mmap failing with ENOMEM is a memory error."""
    results = [
        ctx.run("x = bytearray(400 * 1024 * 1024)"),
        ctx.run("a = []\nwhile True: a.append(bytearray(10 * 1024 * 1024))"),
        ctx.run("import mmap\nm = mmap.mmap(-1, 8 << 30)"),
    ]
    contained = all(result.error == "memory" and not result.ok for result in results)
    return contained, " | ".join(map(summary, results))


@case(unsafe_too=True)
def fork_bomb_is_contained(ctx: Context) -> tuple[bool, str]:
    marker = sleep_tag()
    result = ctx.run(
        f"""
        import os, time
        while True:
            try:
                if os.fork() == 0:
                    os.execv("/bin/sleep", ["/bin/sleep", "{marker}"])
            except OSError:
                pass
        """,
        timeout=1,
    )
    alive = tagged_processes(marker)
    return result.timed_out and not alive, f"alive={len(alive)} {summary(result)}"


@case(unsafe_too=True)
def thread_bomb_is_contained(ctx: Context) -> tuple[bool, str]:
    result = ctx.run(
        """
        import threading, time
        started = 0
        try:
            while True:
                threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
                started += 1
        except Exception as exc:
            print(type(exc).__name__, started < 100_000)
        """,
        timeout=2,
    )
    after = ctx.run("print('next')")
    # Whatever stopped the bomb (a thread limit, the timeout), the next call is served.
    return after.stdout == "next\n", f"{summary(result)} next: {summary(after)}"


@case(unsafe_too=True)
def huge_output_is_capped(ctx: Context) -> tuple[bool, str]:
    """Issue item 6: one budget for stdout and stderr together."""
    results = [
        ctx.run("while True: print('x' * 100_000)"),
        ctx.run("import sys\nwhile True:\n    print('o' * 1000)\n    sys.stderr.write('e' * 1000)"),
    ]
    cap = 64_000
    contained = all(
        r.error == "output_truncated" and len(r.stdout.encode()) + len(r.stderr.encode()) <= cap
        for r in results
    )
    return contained, " | ".join(summary(r)[:200] for r in results)


# --- the network --------------------------------------------------------------------------------


@case()
def network_is_unreachable_by_every_route(ctx: Context) -> tuple[bool, str]:
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    tcp.settimeout(0.1)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.1)
    tcp_port, udp_port = tcp.getsockname()[1], udp.getsockname()[1]
    code = f"""
    import ctypes, socket, struct
    reached = []
    try:
        socket.create_connection(("127.0.0.1", {tcp_port}), timeout=1); reached.append("tcp")
    except OSError:
        pass
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"{TAG}", ("127.0.0.1", {udp_port})); reached.append("udp-sent")
    except OSError:
        pass
    # The C library's socket calls through ctypes, bypassing the socket module.
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(2, 1, 0)
    address = struct.pack("!HH4s8x", 2, {tcp_port}, bytes([127, 0, 0, 1]))
    address = struct.pack("=H", 2) + address[2:]
    if fd >= 0 and libc.connect(fd, address, len(address)) == 0:
        reached.append("ctypes-tcp")
    # Raw syscall numbers (x86_64: socket 41, connect 42).
    import platform
    if platform.machine() == "x86_64":
        fd = libc.syscall(41, 2, 1, 0)
        if fd >= 0 and libc.syscall(42, fd, address, len(address)) == 0:
            reached.append("syscall-tcp")
    for family, kind in ((17, 3), (2, 3)):  # AF_PACKET raw, AF_INET raw
        try:
            socket.socket(family, kind); reached.append(f"raw-{{family}}")
        except OSError:
            pass
    print(reached, [name for _, name in socket.if_nameindex()])
    """
    result = ctx.run(code)
    accepted, received = [], []
    with contextlib.suppress(OSError):
        accepted.append(tcp.accept())
    with contextlib.suppress(OSError):
        received.append(udp.recv(100))
    tcp.close()
    udp.close()
    reached, interfaces = [*result.stdout.rsplit("] [", 1), ""][:2]
    # A datagram may leave a socket (into the sandbox's own loopback); nothing may arrive here.
    contained = not accepted and not received and reached.strip("[]'\n") in ("", "udp-sent")
    contained &= interfaces.strip() in ("'lo']", "]")
    return contained, f"accepted={len(accepted)} received={received} {summary(result)}"


@case()
def proc_shows_only_the_sandbox(ctx: Context) -> tuple[bool, str]:
    result = ctx.run(
        """
        import os
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
        lines = []
        for pid in pids:
            try:
                lines.append(open(f"/proc/{pid}/cmdline", "rb").read())
            except OSError:
                pass
        print(len(pids) < 10, any(b"sandbox_hostile" in line for line in lines))
        """
    )
    return result.stdout == "True False\n", summary(result)


# --- lifetime -----------------------------------------------------------------------------------


@case(unsafe_too=True)
def no_process_survives_its_call(ctx: Context) -> tuple[bool, str]:
    marker = sleep_tag()
    code = f"""
    import subprocess, sys, os
    subprocess.Popen(["/bin/sleep", "{marker}"], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        os.execv("/bin/sleep", ["/bin/sleep", "{marker}"])
    {{end}}
    """
    timed = ctx.run(code.format(end="while True: pass"), timeout=1)
    first = wait_until(lambda: not tagged_processes(marker), 30)
    normal = ctx.run(code.format(end="print('bye')"))
    second = wait_until(lambda: not tagged_processes(marker), 30)
    return first and second and normal.stdout == "bye\n", f"{summary(timed)} {summary(normal)}"


@case()
def code_dies_with_a_killed_host(ctx: Context) -> tuple[bool, str]:
    """Issue item 4: ``kill -9`` of the process that owns the sandbox ends everything."""
    tag = sleep_tag()
    host = subprocess.Popen(
        [sys.executable, __file__, "--host", ctx.level, tag],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = wait_until(lambda: len(sleepers(tag)) == 2, 30)
    host.kill()
    host.wait()
    gone = wait_until(lambda: not tagged_processes(tag), 30)
    left = [Path(f"/proc/{pid}/cmdline").read_bytes()[:80] for pid in tagged_processes(tag)]
    return started and gone, f"started={started} left={left}"


@case(unsafe_too=True)
def nothing_outlives_a_host_killed_while_starting(ctx: Context) -> tuple[bool, str]:
    """``kill -9`` of the host while its workers (and bwrap) are still starting."""
    tag = sleep_tag()
    host = subprocess.Popen(
        [sys.executable, __file__, "--host", ctx.level, tag],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = wait_until(lambda: bool(tagged_processes(tag)), 30)
    host.kill()
    host.wait()
    gone = wait_until(lambda: not tagged_processes(tag), 30)
    left = [Path(f"/proc/{pid}/cmdline").read_bytes()[:80] for pid in tagged_processes(tag)]
    return started and gone, f"started={started} left={left}"


def _host(level: str, tag: str) -> None:
    """The killed host of :func:`code_dies_with_a_killed_host`: a call that never ends."""
    box = PythonSandbox(
        isolation=level,
        allow_unsafe_rlimits=level == "rlimits",
        hidden_paths=[f"/nonexistent/{tag}"],
        workers=1,
        timeout=120,
    )
    box.run(
        f"""
import os, subprocess, time
subprocess.Popen(["/bin/sleep", "{tag}"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    os.execv("/bin/sleep", ["/bin/sleep", "{tag}"])
time.sleep(60)
"""
    )


@case(unsafe_too=True)
def nothing_is_left_after_close(ctx: Context) -> tuple[bool, str]:
    tag = f"close{secrets.token_hex(4)}"
    box = PythonSandbox(
        isolation=ctx.level,
        allow_unsafe_rlimits=ctx.level == "rlimits",
        hidden_paths=[f"/nonexistent/{tag}"],
        workers=2,
        timeout=1,
    )
    box.run("while True: pass")
    box.run("open('x', 'w').write('x')")
    started = len(tagged_processes(tag))
    # The rlimits level's work dirs on the host (the other levels keep theirs in memory).
    workdirs = [(worker.ready or {}).get("workdir") for worker in box._workers]
    box.close()
    gone = wait_until(lambda: not tagged_processes(tag), 30)
    dirs = [path for path in workdirs if path and os.path.exists(path)]
    return started > 0 and gone and not dirs, f"workers={started} dirs={dirs}"


@case()
def close_ends_even_a_stopped_worker(ctx: Context) -> tuple[bool, str]:
    """A worker that cannot hear the hang-up (stopped here) is killed, with its whole sandbox."""
    tag = sleep_tag()
    box = PythonSandbox(
        isolation=ctx.level,
        allow_unsafe_rlimits=ctx.level == "rlimits",
        hidden_paths=[f"/nonexistent/{tag}"],
        workers=1,
    )
    box.run("print(1)")
    started = tagged_processes(tag)
    for pid in started:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGSTOP)
    box.close()
    gone = wait_until(lambda: not tagged_processes(tag), 30)
    return bool(started) and gone, f"started={len(started)} left={len(tagged_processes(tag))}"


# --- the report ---------------------------------------------------------------------------------


def report(level: str) -> dict[str, object]:
    private = Path(tempfile.mkdtemp(prefix=f"{TAG}-"))
    os.environ["GEM_HOSTILE_SECRET"] = SECRET  # the host's environment holds a secret
    try:
        try:
            ctx = Context(level, private)
        except SandboxUnavailable as exc:
            return {"available": False, "reason": str(exc), "results": {}}
        results = {}
        try:
            for name, (function, unsafe_too) in CASES.items():
                if level == "rlimits" and not unsafe_too:
                    continue
                try:
                    results[name] = function(ctx)
                except Exception as exc:  # a case that breaks is a containment failure
                    results[name] = (False, f"{type(exc).__name__}: {exc}")
        finally:
            ctx.box.close()
        return {"available": True, "reason": "", "uid": os.getuid(), "results": results}
    finally:
        subprocess.run(["rm", "-rf", str(private)], check=False)


if __name__ == "__main__":
    if sys.argv[1] == "--host":
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _host(sys.argv[2], sys.argv[3])
    else:
        import warnings

        warnings.simplefilter("ignore", RuntimeWarning)  # rlimits says it is unsafe; we know
        print(json.dumps(report(sys.argv[1])))
