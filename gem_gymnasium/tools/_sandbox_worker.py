"""The process that runs untrusted Python for :class:`~gem_gymnasium.tools.sandbox.PythonSandbox`.

Started as ``python -I -c <this file's source> CONFIG_JSON`` (the source travels on the command line
so that the worker needs no access to this package, which the sandbox hides from the code). It uses
the standard library only and talks to its parent over stdin/stdout with length-prefixed JSON
frames.

One worker serves many calls. It stays warm (the interpreter is loaded once) and forks a child per
call, so a call costs a ``fork`` instead of an interpreter start. The worker is the reaper of
everything the code starts: after each call it kills whatever is left and empties the writable
directories, so no process and no file outlives its call. It never runs as root and holds no
capability once it reports ready (it checks both and refuses to start otherwise).

Isolation levels (the sandbox module's docstring compares them):

``bwrap``
    bubblewrap built this process's world before starting it: user, mount, PID, network, IPC, UTS
    and cgroup namespaces, a root holding only read-only binds of the system libraries and the
    interpreter's installation, no capabilities, no further user namespaces, fresh size-capped
    ``/tmp`` and ``/dev/shm``. This process is PID 1 of the namespace (``--as-pid-1``).
``namespace``
    The same world, built here with ``unshare``/``pivot_root`` for machines without bubblewrap.
    Started as root, the worker drops to its unprivileged uid once the root is built; otherwise it
    runs in a user namespace mapping only its own uid. Either way it then drops every capability.
``rlimits``
    No namespaces (unsafe, opt-in only): resource limits, a private temporary work dir and the
    process-tree kill after every call. Host files the uid may read stay readable, the network is
    open, and processes that escape the worker's tree can outlive a killed host.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import gc
import json
import math
import os
import platform
import resource
import select
import shutil
import signal
import stat
import struct
import sys
import tempfile
import time
import traceback

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 36, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522

# pivot_root has no glibc wrapper; its syscall number depends on the architecture.
PIVOT_ROOT = {
    "x86_64": 155,
    "amd64": 155,
    "aarch64": 41,
    "arm64": 41,
    "riscv64": 41,
    "loongarch64": 41,
    "ppc64le": 203,
    "ppc64": 203,
    "s390x": 217,
    "i686": 217,
    "i386": 217,
}

#: The code's writable places (the work dir is ``/tmp``); each is a private tmpfs per worker,
#: emptied after every call.
SCRATCH_DIRS = ("/tmp", "/dev/shm")
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/mime.types")
DEVICES = ("null", "zero", "full", "random", "urandom")
# Where the new root's tmpfs may be mounted (in the private mount namespace only).
ROOT_MOUNTPOINTS = ("/mnt", "/media", "/srv", "/opt", "/var/tmp", "/run", "/tmp")
CODE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "USER": "sandbox",
}

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(
        _libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data) if data else None),
        f"mount {target}",
    )


def _prctl(option: int, value: int, arg3: int = 0) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(arg3), 0, 0), "prctl")


# --- what the code may see ----------------------------------------------------------------------


def bind_sources() -> list[str]:
    """Host paths the code may read: system libraries and this interpreter's installation."""
    sources = [path for path in SYSTEM_DIRS if os.path.lexists(path)]
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for prefix in sorted(prefixes):
        real = os.path.realpath(prefix)
        if os.path.isdir(real) and real != "/":
            sources.append(real)
    sources.append(os.path.dirname(os.path.realpath(sys.executable)))
    return sources


def hidden_within(sources: list[str], hidden: list[str]) -> list[str]:
    """The paths of ``hidden`` that a bind of ``sources`` would expose (so must be covered)."""
    reals = [os.path.realpath(path) for path in sources if not os.path.islink(path)]
    return sorted(
        {
            os.path.realpath(path)
            for path in hidden
            if os.path.exists(path)
            and any(
                os.path.realpath(path) == real or os.path.realpath(path).startswith(real + "/")
                for real in reals
            )
        }
    )


# --- the namespace level: building the root here ------------------------------------------------


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _enter_namespaces() -> None:
    """Unshare every namespace; this process then forks PID 1 of the new PID namespace.

    The parent stays outside as a plain waiter and exits with its child's status, so the caller's
    process handle keeps meaning "the worker".
    """
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    uid, gid = os.getuid(), os.getgid()
    if uid != 0:
        # Map only our own uid, to itself: the code never sees uid 0, even in the namespace.
        _unshare(flags | CLONE_NEWUSER)
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    else:
        _unshare(flags)
    pid = os.fork()
    if pid:
        # The waiter: forward termination to PID 1 (which takes the namespace with it).
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: os.kill(pid, signal.SIGKILL))
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _readonly_flags(path: str) -> int:
    # Keep the flags the original mount has: a user namespace may not clear them.
    host = os.statvfs(path).f_flag
    return MS_REMOUNT | MS_BIND | MS_RDONLY | (host & (MS_NOSUID | MS_NODEV | MS_NOEXEC))


def _build_root(config: dict) -> None:
    """Pivot into a new root with read-only binds; must run as PID 1 of the new namespaces."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    sources = bind_sources()
    real_sources = [os.path.realpath(s) for s in sources]
    root = next(
        path
        for path in ROOT_MOUNTPOINTS
        if os.path.isdir(path)
        and not os.path.islink(path)
        and not any(s == path or s.startswith(path + "/") for s in real_sources)
    )
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0755")
    owner = f"uid={config['uid']},gid={config['uid']}"
    size = f"size={config['disk_mb']}m,nr_inodes=65536,mode=0700,{owner}"
    for scratch in SCRATCH_DIRS:
        # Scratch first: binds below it (an interpreter living under /tmp) go on top.
        os.makedirs(root + scratch, exist_ok=True)
        _mount("tmpfs", root + scratch, "tmpfs", MS_NOSUID | MS_NODEV, size)
    for source in sources:
        target = root + source
        if os.path.islink(source):
            # usr-merged systems: /bin -> usr/bin and friends are symlinks; copy the link.
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if not os.path.lexists(target):
                os.symlink(os.readlink(source), target)
            continue
        if os.path.ismount(target) or os.path.islink(target):
            continue
        os.makedirs(target, exist_ok=True)
        _mount(source, target, None, MS_BIND | MS_REC)
        _mount(None, target, None, _readonly_flags(target))
    for path in hidden_within(sources, config["hidden"]):
        # Package data and task answers: covered by an empty read-only tmpfs or /dev/null.
        if os.path.isdir(path):
            _mount("tmpfs", root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k")
        else:
            _mount("/dev/null", root + path, None, MS_BIND)
    os.makedirs(root + "/etc", exist_ok=True)
    for path in ETC_FILES:
        if os.path.isfile(path):
            open(root + path, "w").close()
            _mount(path, root + path, None, MS_BIND)
            _mount(None, root + path, None, _readonly_flags(root + path))
    os.makedirs(root + "/dev", exist_ok=True)
    for name in DEVICES:
        if os.path.exists("/dev/" + name):
            open(f"{root}/dev/{name}", "w").close()
            _mount("/dev/" + name, f"{root}/dev/{name}", None, MS_BIND)
    for name in ("proc", ".oldroot"):
        os.makedirs(f"{root}/{name}", exist_ok=True)
    # Before the pivot: in a user namespace the kernel allows a new proc mount only while a
    # fully visible one is still in reach. Some container runtimes forbid it even so; the code
    # then has no /proc.
    with contextlib.suppress(OSError):
        _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chdir(root)
    if _libc.syscall(PIVOT_ROOT[platform.machine()], b".", b".oldroot") != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"pivot_root: {os.strerror(code)}")
    os.chdir("/")
    _check(_libc.umount2(b"/.oldroot", MNT_DETACH), "umount old root")
    os.rmdir("/.oldroot")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in ("effective", "permitted", "inheritable")]


def _drop_capabilities(uid: int) -> None:
    """Leave every capability behind for good: bounding and ambient sets, then the rest.

    Started as root, switching to ``uid`` clears the capability sets; in a user namespace the uid
    stays and ``capset`` empties them.
    """
    for cap in range(64):
        try:
            _prctl(PR_CAPBSET_DROP, cap)
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # EINVAL: past the kernel's last capability
                raise
            break
    with contextlib.suppress(OSError):  # kernels before 4.3 have no ambient set
        _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    if os.getuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    empty = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(_CapHeader(LINUX_CAPABILITY_VERSION_3, 0)), empty), "capset")


# --- the checks every level passes before it reports ready --------------------------------------


def _capability_sets() -> dict[str, int]:
    with open("/proc/self/status") as handle:
        return {
            line.split(":")[0]: int(line.split()[1], 16)
            for line in handle
            if line.startswith(("CapInh", "CapPrm", "CapEff", "CapAmb"))
        }


def _assert_unprivileged() -> None:
    """Refuse to serve as root or with any capability (the sandbox then fails to start)."""
    if 0 in os.getresuid() or 0 in os.getresgid():
        raise PermissionError("the worker would run code as root")
    held = {name: value for name, value in _capability_sets().items() if value}
    if held:
        raise PermissionError(f"the worker would run code with capabilities {held}")
    # The interpreter's installation must be readable, or every import of the code would fail.
    os.listdir(os.path.dirname(os.__file__))


# --- framing ------------------------------------------------------------------------------------


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int) -> dict | None:
    header = _read_exact(fd, 4)
    if header is None:
        return None
    body = _read_exact(fd, struct.unpack(">I", header)[0])
    return None if body is None else json.loads(body)


def _send(fd: int, message: dict) -> None:
    body = json.dumps(message).encode()
    data = struct.pack(">I", len(body)) + body
    while data:
        data = data[os.write(fd, data) :]


# --- one call -----------------------------------------------------------------------------------


class HostGone(Exception):
    """The parent closed the protocol pipe (it exited or was killed): stop at once."""


class _Pending:
    """A child forked ahead of its call: confined, and blocked reading its request."""

    def __init__(self, pid: int, request_w: int, stdin_w: int, out_r: int, err_r: int) -> None:
        self.pid, self.request_w, self.stdin_w = pid, request_w, stdin_w
        self.out_r, self.err_r = out_r, err_r


class Worker:
    """Serves calls until its parent closes the pipe.

    The child for the next call is forked and confined while the worker is idle, so a call only
    pays for handing over the code and running it.
    """

    def __init__(self, config: dict, proto_in: int) -> None:
        self.isolation: str = config["isolation"]
        self.max_processes: int = config["max_processes"]
        self.disk_mb: int = config["disk_mb"]
        self.proto_in = proto_in
        self.pid = os.getpid()
        self.code_path = [p for p in sys.path if p]
        if self.isolation == "rlimits":
            self.scratch = [tempfile.mkdtemp(prefix="gem-sandbox-")]
        else:
            self.scratch = list(SCRATCH_DIRS)
        self.workdir = self.scratch[0]
        # Mount points of read-only binds inside a scratch dir (an interpreter under /tmp).
        self.keep = {
            os.path.realpath(source) for source in bind_sources() if not os.path.islink(source)
        }
        self.pending = self._spawn()

    def close(self) -> None:
        if self.isolation == "rlimits":
            shutil.rmtree(self.workdir, ignore_errors=True)

    # The child side ------------------------------------------------------------------------

    def _spawn(self) -> _Pending:
        request_r, request_w = os.pipe()
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            self._child(request_r, stdin_r, out_w, err_w)
        for fd in (request_r, stdin_r, out_w, err_w):
            os.close(fd)
        return _Pending(pid, request_w, stdin_w, out_r, err_r)

    def _child(self, request_fd: int, stdin_fd: int, stdout_fd: int, stderr_fd: int) -> None:
        """Runs in the forked child: confine this process, wait for the code, run it."""
        status, report_fd = 125, stderr_fd
        try:
            os.setsid()
            # The worker is single-threaded, so this fires exactly when the worker dies; if it
            # died before this line, the child is an orphan already and leaves.
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != self.pid:
                os._exit(0)
            _prctl(PR_SET_DUMPABLE, 1)  # the worker is not; the code's /proc/self should work
            os.dup2(stdin_fd, 0)
            os.dup2(stdout_fd, 1)
            os.dup2(stderr_fd, 2)
            report_fd = 2
            os.dup2(request_fd, 3)
            os.closerange(4, 65536)
            disk = self.disk_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_FSIZE, (disk, disk))
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_NPROC, (self.max_processes, self.max_processes))
            _prctl(PR_SET_NO_NEW_PRIVS, 1)
            os.chdir(self.workdir)
            os.environ.clear()
            os.environ.update(CODE_ENV, HOME=self.workdir, TMPDIR=self.workdir)
            tempfile.tempdir = None  # the worker may have cached another directory
            with open(3, "rb") as handle:
                raw = handle.read()
            if not raw:
                os._exit(0)  # the worker is shutting down
            request = json.loads(raw)
            memory = request["memory_mb"] * 1024 * 1024
            cpu = math.ceil(request["timeout"]) + 1
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            status = _execute(request["code"], self.code_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.write(report_fd, b"sandbox setup failed:\n" + traceback.format_exc().encode())
        os._exit(status)

    # The worker side -----------------------------------------------------------------------

    def call(self, request: dict) -> dict:
        """Run one request on the pending child; the caller then calls :meth:`recycle`."""
        start = time.perf_counter()
        child = self.pending
        payload = json.dumps(
            {key: request[key] for key in ("code", "timeout", "memory_mb")}
        ).encode()
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(child.request_w, view) :]
        except OSError:
            pass  # the child died during setup; its stderr says why
        os.close(child.request_w)
        try:
            result = self._supervise(child.pid, request, child.stdin_w, child.out_r, child.err_r)
        finally:
            # Before answering: no process outlives its call (cheap when nothing is left).
            self._kill_leftovers(child.pid)
        # ... and no file: a worker that cannot empty its scratch dirs is replaced.
        if not all([_empty(directory, self.keep) for directory in self.scratch]):
            result["retire"] = True
        result["duration"] = time.perf_counter() - start
        return result

    def recycle(self) -> None:
        """Fork the child for the next call."""
        child = self.pending
        for fd in (child.out_r, child.err_r):
            os.close(fd)
        self.pending = self._spawn()

    def _supervise(self, pid: int, request: dict, stdin_w: int, out_r: int, err_r: int) -> dict:
        """Feed stdin, collect capped output and wait for the child or the deadline."""
        deadline = time.monotonic() + request["timeout"]
        cap = request["max_output"]
        pending = request["stdin"].encode()
        buffers = {out_r: bytearray(), err_r: bytearray()}
        total, truncated, timed_out, status = 0, False, False, None
        exit_fd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
        for fd in (stdin_w, out_r, err_r):
            os.set_blocking(fd, False)
        if not pending:
            os.close(stdin_w)
            stdin_w = -1
        open_fds = {out_r, err_r}
        try:
            while status is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                # The host never writes during a call: the pipe turns readable only at EOF.
                readers = [*open_fds, self.proto_in] + ([exit_fd] if exit_fd is not None else [])
                writers = [stdin_w] if stdin_w >= 0 else []
                wait = left if exit_fd is not None else min(left, 0.005)
                ready_r, ready_w, _ = select.select(readers, writers, [], wait)
                if self.proto_in in ready_r:
                    raise HostGone
                if ready_w:
                    try:
                        pending = pending[os.write(stdin_w, pending[:65536]) :]
                    except BrokenPipeError:
                        pending = b""
                    if not pending:
                        os.close(stdin_w)
                        stdin_w = -1
                for fd in ready_r:
                    if fd == exit_fd:
                        continue
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        open_fds.discard(fd)
                        continue
                    # One budget for stdout and stderr together.
                    room = max(0, cap - total)
                    buffers[fd] += chunk[:room]
                    total += len(chunk)
                    if total > cap:
                        truncated = True
                if truncated:
                    break
                done, raw = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = raw
        finally:
            if exit_fd is not None:
                os.close(exit_fd)
            if stdin_w >= 0:
                os.close(stdin_w)
        if status is None:
            os.killpg(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        else:
            # Collect what the code wrote just before it exited (within the shared budget).
            for fd in list(open_fds):
                while total < cap:
                    try:
                        chunk = os.read(fd, 65536)
                    except BlockingIOError:
                        break
                    if not chunk:
                        break
                    buffers[fd] += chunk[: cap - total]
                    total += len(chunk)
        code = os.waitstatus_to_exitcode(status)
        stderr = bytes(buffers[err_r]).decode("utf-8", "replace")
        return {
            "stdout": bytes(buffers[out_r]).decode("utf-8", "replace"),
            "stderr": stderr,
            "exit_code": None if timed_out else code,
            "timed_out": timed_out or code in (-signal.SIGXCPU, 128 + signal.SIGXCPU),
            "error": _classify(code, stderr, timed_out, truncated),
        }

    def _kill_leftovers(self, pid: int) -> None:
        """Kill and reap every process the call left behind (orphans reparent to this worker)."""
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        for _ in range(10_000):
            if self.isolation != "rlimits":
                # PID 1 of the namespace: -1 means every other process in it, and only those.
                with contextlib.suppress(OSError):
                    os.kill(-1, signal.SIGKILL)
            else:
                for child in _children():
                    with contextlib.suppress(OSError):
                        os.killpg(child, signal.SIGKILL)
                    with contextlib.suppress(OSError):
                        os.kill(child, signal.SIGKILL)
            try:
                while True:
                    reaped, _ = os.waitpid(-1, os.WNOHANG)
                    if reaped == 0:
                        break
            except ChildProcessError:
                return
            time.sleep(0.001)


def _classify(code: int, stderr: str, timed_out: bool, truncated: bool) -> str | None:
    """Why the sandbox stopped or failed the run (``None``: it ended on its own)."""
    last = stderr[-2000:]
    if timed_out or code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        return "timeout"
    if truncated:
        return "output_truncated"
    out_of_memory = "MemoryError" in last or f"[Errno {errno.ENOMEM}]" in last
    if out_of_memory or code == -signal.SIGSEGV:
        return "memory"
    if code == 125 and stderr.startswith("sandbox setup failed"):
        return "sandbox_error"
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return None


def _empty(directory: str, keep: set[str]) -> bool:
    """Remove everything in ``directory`` but the bind mount points in ``keep``; say if it worked.

    The code runs under the worker's uid, so whatever it created the worker may delete once it
    gives back the permissions the code took away. A tree too deep or too odd to remove makes the
    worker retire (its scratch dirs go with it).
    """

    def kept(path: str) -> bool:
        return any(mount == path or mount.startswith(path + "/") for mount in keep)

    stack = [directory]
    while stack:  # iterative: the code may nest directories deeper than any recursion limit
        path = stack.pop()
        with contextlib.suppress(OSError):
            if path != directory:
                os.chmod(path, stat.S_IRWXU)
            with os.scandir(path) as entries:
                stack += [
                    entry.path
                    for entry in entries
                    if entry.is_dir(follow_symlinks=False) and not kept(entry.path)
                ]
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if kept(entry.path):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
        with os.scandir(directory) as entries:
            return all(kept(entry.path) for entry in entries)
    except (OSError, RecursionError):
        return False


def _children() -> list[int]:
    """Direct children of this process."""
    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children") as handle:
            text = handle.read()
        return [int(pid) for pid in text.split()]
    except OSError:
        pass
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as handle:
                    line = handle.read()
            except OSError:
                continue
            if int(line.rsplit(")", 1)[1].split()[1]) == me:
                found.append(int(name))
    return found


def _execute(code: str, path: list[str]) -> int:
    """Run ``code`` as ``__main__`` in this (forked, confined) interpreter; return the exit status."""
    # The streams live as long as the process; they wrap fds 0-2 without owning them.
    streams = [
        open(fd, mode, encoding="utf-8", errors=errors, closefd=False)  # noqa: SIM115
        for fd, mode, errors in (
            (0, "r", "replace"),
            (1, "w", "replace"),
            (2, "w", "backslashreplace"),
        )
    ]
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams
    sys.argv = ["-c"]
    sys.path[:] = ["", *path]
    main = type(sys)("__main__")
    sys.modules["__main__"] = main
    status = 0
    try:
        exec(compile(code, "<code>", "exec"), main.__dict__)
    except SystemExit as stop:
        if stop.code is None:
            status = 0
        elif isinstance(stop.code, int):
            status = stop.code & 0xFF
        else:
            print(stop.code, file=sys.stderr)
            status = 1
    except BaseException as exc:
        # Drop this function's frame so the traceback starts in the user's code.
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
    return status


def _serve(config: dict, proto_in: int, proto_out: int) -> None:
    for name in config.get("preload", ()):
        with contextlib.suppress(Exception):
            __import__(name)
    gc.freeze()  # keep the collector off the shared pages, so forked children copy fewer
    worker = Worker(config, proto_in)
    ready = {"ready": True, "isolation": worker.isolation, "uid": os.getuid()}
    if worker.isolation == "rlimits":
        ready["workdir"] = worker.workdir  # the host removes it if this worker gets killed
    try:
        _send(proto_out, ready)
        while True:
            request = _receive(proto_in)
            if request is None:
                return
            answer = worker.call(request)
            # The next child is forked from this process: it must not find this call in it.
            del request
            _send(proto_out, answer)
            if answer.get("retire"):
                return
            del answer
            worker.recycle()
    except (HostGone, BrokenPipeError):
        return
    finally:
        worker.close()


def _confine(config: dict) -> None:
    """Set this worker up at its level and check that it holds no privilege."""
    level = config["isolation"]
    if level == "namespace":
        if platform.machine() not in PIVOT_ROOT:
            raise OSError(errno.ENOSYS, f"pivot_root is unknown on {platform.machine()}")
        _enter_namespaces()
        _build_root(config)
        _drop_capabilities(config["uid"])
    elif level == "rlimits":
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
    # Neither the code nor anything else of this uid may trace or read this process.
    _prctl(PR_SET_DUMPABLE, 0)
    _assert_unprivileged()


def main() -> None:
    config = json.loads(sys.argv[1])
    # Keep the protocol on private descriptors; 0/1 are not used by the worker itself.
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    try:
        _confine(config)
    except Exception as exc:
        _send(proto_out, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        sys.exit(1)
    _serve(config, proto_in, proto_out)


if __name__ == "__main__":
    main()
