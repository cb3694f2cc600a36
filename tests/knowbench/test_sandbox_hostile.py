"""Hostile tools: every attack is contained, checked from outside, and the sandbox keeps serving.

Each tool below is real Python source, really executed in the sandbox. After every call the test checks with its
own eyes (files, a listening socket, /proc) that nothing happened, that the call came back as ``ok=False`` with an
error kind, and that the next ordinary call still works.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import uuid
from pathlib import Path

import pytest

from knowbench.sandbox import SandboxLimits, ToolSandbox

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the hostile suite checks Linux confinement")

NORMAL = "def add(a, b=1):\n    return a + b\n"


@pytest.fixture(scope="module")
def sandbox():
    limits = SandboxLimits(cpu_seconds=1, wall_seconds=3, memory_bytes=256 * 2**20, max_output_bytes=16 * 2**10)
    with ToolSandbox(workers=1, limits=limits) as box:
        yield box


def _session_processes(session_id: int) -> list[int]:
    """Processes (other than the worker itself) in the worker's session, read from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == session_id:
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == session_id:  # field 6 of stat: session id
            found.append(int(entry))
    return found


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


def _hostile(sandbox: ToolSandbox, body: str, kinds: tuple[str, ...], **arguments: object):
    """Run ``def attack(...): <body>``, check it failed with one of ``kinds``, then check the sandbox still works."""
    params = ", ".join(arguments)
    source = f"def attack({params}):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    result = sandbox.call(source, "attack", dict(arguments))
    assert not result.ok, result
    assert result.error_kind in kinds, result
    after = sandbox.call(NORMAL, "add", {"a": 40, "b": 2})
    assert after.ok and after.value == 42, after
    for pid in sandbox.worker_pids():
        assert _session_processes(pid) == [], "a process of the sandbox outlived its call"
    return result


@pytest.fixture
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.3)
    yield server
    server.close()


def _connections(server: socket.socket) -> int:
    count = 0
    while True:
        try:
            connection, _ = server.accept()
        except (TimeoutError, OSError):
            return count
        connection.close()
        count += 1


def test_writes_outside_the_private_folder_are_refused(sandbox, tmp_path):
    targets = [tmp_path / "pwned.txt", Path.home() / f".knowbench-pwned-{uuid.uuid4().hex}"]
    for target in targets:
        result = _hostile(sandbox, "open(path, 'w').write('owned')\nreturn 'done'", ("violation",), path=str(target))
        assert not target.exists()
        assert "refused open" in result.error
    low_level = tmp_path / "low.txt"
    _hostile(sandbox, "import os\nos.open(path, os.O_WRONLY | os.O_CREAT)\n", ("violation",), path=str(low_level))
    assert not low_level.exists()


def test_reads_of_user_files_are_refused_and_leak_nothing(sandbox, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4711")
    for body in ("return open(path).read()", "import io\nreturn io.FileIO(path).read().decode()",
                 "try:\n    return open(path).read()\nexcept Exception:\n    return 'swallowed'"):
        result = _hostile(sandbox, body, ("violation",), path=str(secret))
        assert "TOPSECRET" not in repr(result)
    listing = _hostile(sandbox, "import os\nreturn os.listdir(path)", ("violation",), path=str(tmp_path))
    assert "secret.txt" not in repr(listing)
    for private in (Path(__file__), "/proc/self/environ", os.path.expanduser("~/.bash_history")):
        _hostile(sandbox, "return open(path).read()", ("violation",), path=str(private))


def test_hostile_source_costs_the_evaluator_little():
    from knowbench.sandbox import find_example_calls

    nested = "def f(x):\n    return x\n" + "f(" * 5000 + ")" * 5000
    assert find_example_calls(nested, "f") == []
    comments = "def f(x):\n    return x\n" + "# f(1) f(" * 20000 + ")" * 20000
    assert 0 < len(find_example_calls(comments, "f")) <= 20  # bounded work, not quadratic in the comment


def test_network_is_unreachable(sandbox, listener):
    port = listener.getsockname()[1]
    for body in (
        "import socket\nsocket.create_connection(('127.0.0.1', port), timeout=1)",
        "s = __import__('_socket')\nc = s.socket()\nc.connect(('127.0.0.1', port))",
        "import urllib.request\nurllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=1)",
        # load the _socket extension by hand, around the import system
        "import sys, os\nb = sys.modules['_frozen_importlib']\nd = [p for p in sys.path if 'dynload' in p][0]\n"
        "so = [f for f in os.listdir(d) if f.startswith('_socket')][0]\n"
        "spec = b.spec_from_file_location('_socket', os.path.join(d, so))\n"
        "m = b._imp.create_dynamic(spec)\nc = m.socket()\nc.connect(('127.0.0.1', port))",
    ):
        _hostile(sandbox, body, ("violation", "exception"), port=port)
    assert _connections(listener) == 0


def test_child_processes_cannot_be_started(sandbox, tmp_path):
    marker = f"knowbench-marker-{uuid.uuid4().hex}"
    flag = tmp_path / "ran.txt"
    attacks = [
        f"import os\nos.system('touch {flag}; sleep 30 # {marker}')",
        f"import subprocess\nsubprocess.run(['sleep', '30', '{marker}'])",
        "import os\nwhile True:\n    os.fork()",  # fork bomb
        f"import os\nos.execv('/bin/sleep', ['sleep', '30', '{marker}'])",
        f"import os\nos.posix_spawn('/bin/sleep', ['sleep', '30', '{marker}'], {{}})",
        # os._wrap_close's globals are module os: reach os.system without importing anything
        "w = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]\n"
        f"w.__init__.__globals__['system']('touch {flag}')",
        f"import sys\nsys.modules['os'].system('touch {flag}')",
    ]
    for body in attacks:
        _hostile(sandbox, body, ("violation",))
    assert not flag.exists()
    assert _processes_with(marker) == []


def test_resource_exhaustion_is_bounded(sandbox):
    _hostile(sandbox, "x = []\nwhile True:\n    x.append(bytearray(10**7))", ("memory",))
    _hostile(sandbox, "return bytearray(10**11)", ("memory",))
    _hostile(sandbox, "while True:\n    pass", ("timeout",))
    _hostile(sandbox, "def f(n):\n    return f(n + 1)\nreturn f(0)", ("exception",))
    _hostile(sandbox, "files = [open(f'f{i}', 'w') for i in range(10_000)]", ("exception",))
    _hostile(sandbox, "open('big', 'wb').write(b'x' * (64 * 2**20))", ("exception", "crash"))


@pytest.mark.slow
def test_recursion_past_a_raised_limit_is_bounded(sandbox):
    _hostile(sandbox, "import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1)\nreturn f(0)",
             ("exception", "crash", "memory", "timeout"))


def test_floods_never_reach_the_evaluator(sandbox, capfd):
    _hostile(sandbox, "while True:\n    print('x' * 1000)", ("output",))
    _hostile(sandbox, "import os\nfor _ in range(10**5):\n    os.write(1, b'FLOOD' * 100)\nreturn 'x' * 10**6",
             ("output",))
    result = sandbox.call("def f():\n    print('inside')\n    return 1\nprint('example usage')\n", "f", {})
    assert result.ok and result.stdout == "inside\n"
    captured = capfd.readouterr()
    assert "FLOOD" not in captured.out + captured.err and "example usage" not in captured.out + captured.err


def test_signals_and_kills_are_refused(sandbox):
    _hostile(sandbox, "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)", ("violation",))
    _hostile(sandbox, "import os\nos.kill(os.getppid(), 9)", ("violation",))
    _hostile(sandbox, "import os\nos.killpg(0, 9)", ("violation",))
    assert all(os.path.exists(f"/proc/{pid}") for pid in sandbox.worker_pids())


def test_escape_tricks_are_refused(sandbox):
    for body in (
        "import ctypes\nctypes.CDLL(None).system(b'true')",
        "import sys\nreturn sys.modules['ctypes']",
        "import gc\nreturn [type(o).__name__ for o in gc.get_objects()][:5]",
        "import sys\nreturn sys.modules['gc'].get_objects()",
        "return __import__('socket').socket()",
        "import builtins\nreturn builtins.__import__('subprocess').Popen(['true'])",
        "import sys\nsys.addaudithook(lambda *a: None)",
        "import os\nos.close(250)\nopen('/etc/passwd').read()",  # close the report channel, then misbehave
        "import sys\nreturn sys.modules['_kernel']",
    ):
        _hostile(sandbox, body, ("violation", "exception"))


def test_a_swallowed_refusal_is_still_reported(sandbox, tmp_path):
    body = "try:\n    open(path, 'w')\nexcept Exception:\n    pass\nreturn 'looks fine'"
    result = _hostile(sandbox, body, ("violation",), path=str(tmp_path / "x"))
    assert result.value is None


def test_kernel_layers_are_in_force(sandbox):
    layers = sandbox.layers()
    assert layers["audit_hook"] and layers["rlimits"] and layers["no_new_privs"]
    if os.uname().machine in ("x86_64", "aarch64"):
        assert layers["seccomp"]


def test_kernel_layers_hold_without_the_audit_hook(tmp_path, listener):
    """Landlock and seccomp alone (no audit hook) still stop file reads, sockets and forks."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    port = listener.getsockname()[1]
    code = textwrap.dedent(f"""
        import os, socket, sys, tempfile
        sys.path.insert(0, {str(Path(__file__).parents[2] / "knowbench" / "sandbox")!r})
        import _kernel
        work = tempfile.mkdtemp()
        fd, abi = _kernel.landlock_ruleset([p for p in sys.path if os.path.isdir(p)], [work])
        assert _kernel.no_new_privs()
        landlock = _kernel.landlock_restrict(fd)
        seccomp = _kernel.seccomp_apply(_kernel.seccomp_program())
        outcomes = []
        for attempt in (lambda: open({str(secret)!r}).read(),
                        lambda: socket.create_connection(("127.0.0.1", {port}), timeout=1),
                        lambda: os.fork()):
            try:
                attempt()
                outcomes.append("ALLOWED")
            except OSError as error:
                outcomes.append(type(error).__name__)
        print(landlock, seccomp, *outcomes)
    """)
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    landlock, seccomp, *outcomes = done.stdout.split()
    if landlock == "True":
        assert outcomes[0] == "PermissionError"
    if seccomp == "True":
        assert outcomes[1:] == ["PermissionError", "PermissionError"]
    assert "ALLOWED" not in outcomes or landlock == seccomp == "False"
    assert _connections(listener) == 0


_AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _python_for_nobody() -> str | None:
    """A Python >= 3.11 that user nobody may execute (the venv's may live in root's home)."""
    for candidate in (sys.executable, "/usr/bin/python3.11", "/usr/bin/python3", "/usr/local/bin/python3"):
        check = "import sys; assert sys.version_info >= (3, 11)"
        if os.path.exists(candidate) and subprocess.run(
                [*_AS_NOBODY, candidate, "-c", check], capture_output=True, cwd="/").returncode == 0:
            return candidate
    return None


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to switch to nobody")
def test_contained_as_a_non_root_user(listener):
    """The same containment, with the evaluator itself running as ``nobody``."""
    python = _python_for_nobody()
    if python is None:
        pytest.skip("no Python >= 3.11 that user nobody can execute")
    shared = Path(tempfile.mkdtemp(prefix="knowbench-nobody-"))
    try:
        os.chmod(shared, 0o777)
        target, port = shared / "pwned.txt", listener.getsockname()[1]
        code = textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(Path(__file__).parents[2])!r})
            from knowbench.sandbox import SandboxLimits, ToolSandbox
            with ToolSandbox(workers=1, limits=SandboxLimits(cpu_seconds=1, wall_seconds=3)) as box:
                kinds = [box.call(src, "f", {{}}).error_kind for src in (
                    "def f():\\n    open({str(target)!r}, 'w').write('x')",
                    "def f():\\n    import socket\\n    socket.create_connection(('127.0.0.1', {port}))",
                    "def f():\\n    import os\\n    os.fork()",
                    "def f():\\n    while True: pass",
                )]
                ok = box.call("def f():\\n    return 6 * 7", "f", {{}})
                print(box.layers()["user"], ok.value, *kinds)
        """)
        done = subprocess.run([*_AS_NOBODY, python, "-c", code],
                              capture_output=True, text=True, timeout=120, cwd="/")
        assert done.returncode == 0, done.stderr
        user, value, *kinds = done.stdout.split()
        assert (user, value) == ("65534", "42")
        assert kinds == ["violation", "violation", "violation", "timeout"]
        assert not target.exists()
        assert _connections(listener) == 0
    finally:
        shutil.rmtree(shared, ignore_errors=True)
