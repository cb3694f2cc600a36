"""The sandbox on ordinary and real ToolHop tools: values, limits, example usage, example calls, worker recovery."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from knowbench.errors import ConfigError
from knowbench.sandbox import (
    DEFAULT_SANDBOX,
    ERROR_KINDS,
    SANDBOXES,
    InProcessSandbox,
    SandboxLimits,
    ToolSandbox,
    example_calls,
    find_example_calls,
    load_sandbox,
    strip_example_usage,
)


@pytest.fixture(scope="module")
def sandbox():
    with ToolSandbox(workers=2, limits=SandboxLimits(cpu_seconds=1, wall_seconds=3)) as box:
        yield box


def _canonical(value):
    """JSON form with lists sorted: some tools return ``list(set(...))``, whose order follows the hash seed."""
    value = json.loads(json.dumps(value, default=repr))

    def walk(item):
        if isinstance(item, dict):
            return {key: walk(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return sorted((walk(inner) for inner in item), key=lambda x: json.dumps(x, sort_keys=True))
        return item

    return walk(value)


def test_limits_are_validated():
    assert SandboxLimits().to_dict()["cpu_seconds"] > 0
    for bad in ({"cpu_seconds": 0}, {"wall_seconds": -1}, {"memory_bytes": 2**20}, {"max_open_files": 3},
                {"max_output_bytes": float("nan")}, {"recursion_limit": True}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            SandboxLimits(**bad)


def test_registry_offers_the_safe_default_and_the_baseline():
    assert DEFAULT_SANDBOX == "subprocess" and SANDBOXES.get("subprocess") is ToolSandbox
    assert SANDBOXES.get("inprocess") is InProcessSandbox
    with load_sandbox("inprocess") as box:
        assert box.call("def f(x):\n    return [x] * 2", "f", {"x": 1}).value == [1, 1]


def test_strip_example_usage_keeps_what_definitions_need():
    source = (
        "import re\nPATTERN = re.compile(r'\\d+')\ndef digits(s):\n    return PATTERN.findall(s)\n"
        "cache = digits('12 34')\ndef first(s):\n    return cache[0] if s == 'cached' else digits(s)[0]\n"
        "result = digits('5 6')\nprint(result)\nif __name__ == '__main__':\n    print(first('7'))\n"
    )
    stripped = strip_example_usage(source)
    assert "print" not in stripped and "result" not in stripped and "__main__" not in stripped
    namespace: dict = {}
    exec(compile(stripped, "<test>", "exec"), namespace)  # the test's own source, not dataset code
    assert namespace["first"]("cached") == "12" and namespace["digits"]("a1b22") == ["1", "22"]


def test_example_calls_bind_arguments_from_code_and_comments():
    source = (
        "def f(name, kind='a', *, flag=False):\n    return name\n\n"
        "WHO = 'Ada'\nprint(f(WHO, 'b', flag=True))\nf(**{'name': 'Bob'})\nf(unknown_variable)\n"
        "# Example: f('Cy', kind='c') returns 'Cy'\n# f(\n#     'Di')\n"
    )
    calls = find_example_calls(source, "f")
    assert [c.commented for c in calls] == [False, False, False, True, True]
    assert [c.arguments for c in calls if c.resolved] == [
        {"name": "Ada", "kind": "b", "flag": True}, {"name": "Bob"}, {"name": "Cy", "kind": "c"}, {"name": "Di"}]
    assert "unknown_variable" in calls[2].problem
    assert example_calls(source, "f", include_commented=False) == [{"name": "Ada", "kind": "b", "flag": True},
                                                                   {"name": "Bob"}]
    assert find_example_calls("def f(:\n", "f") == []


def test_calls_return_values_stdout_and_error_kinds(sandbox, capfd):
    source = "import json\ndef f(a, b=1):\n    print('computing', a)\n    return {'sum': a + b}\nprint(f(1))\n"
    result = sandbox.call(source, "f", {"a": 2, "b": 3})
    assert result.ok and result.value == {"sum": 5} and result.stdout == "computing 2\n"
    assert result.error is None and result.error_kind is None and result.duration_s > 0
    assert sandbox.example_calls(source, "f") == [{"a": 1}]
    odd = sandbox.call("def f():\n    return {1, 2}", "f", {})
    assert odd.ok and odd.value == repr({1, 2})
    words = "def f():\n    return list({'kyoto', 'lima', 'oslo', 'riga', 'baku'})"
    assert len({json.dumps(sandbox.call(words, "f", {}).value) for _ in range(4)}) == 1  # fixed hash seed
    cases = {
        "not_found": sandbox.call(source, "g", {}),
        "bad_arguments": sandbox.call(source, "f", {"c": 1}),
        "exception": sandbox.call("def f():\n    return 1 / 0", "f", {}),
    }
    for kind, failed in cases.items():
        assert not failed.ok and failed.error_kind == kind and kind in ERROR_KINDS, failed
    assert "ZeroDivisionError" in cases["exception"].error and "line 2" in cases["exception"].error
    inner = sandbox.call("def f(x):\n    return len(x, 2)", "f", {"x": "ab"})
    assert inner.error_kind == "exception"  # a TypeError inside the tool is not an argument error
    assert sandbox.call("def f(:\n", "f", {}).error_kind == "exception"
    assert sandbox.call(source, "f", ["not", "a", "dict"]).error_kind == "bad_arguments"
    assert sandbox.call(source, "f", {"a": object()}).error_kind == "bad_arguments"
    assert "computing" not in capfd.readouterr().out


def test_timeout_argument_overrides_the_wall_limit(sandbox):
    started = time.perf_counter()
    result = sandbox.call("import time\ndef f():\n    time.sleep(30)", "f", {}, timeout=0.5)
    assert result.error_kind == "timeout" and "0.5" in result.error
    assert time.perf_counter() - started < 10


def test_the_private_folder_is_writable_and_emptied_between_calls(sandbox):
    write = "def f():\n    open('note.txt', 'w').write('kept?')\n    return open('note.txt').read()"
    assert sandbox.call(write, "f", {}).value == "kept?"
    look = "import os\ndef f():\n    return sorted(os.listdir('.'))"
    assert sandbox.call(look, "f", {}).value == []


def test_parallel_calls_and_a_killed_worker_is_replaced(sandbox):
    source = "def square(x):\n    return x * x"
    with ThreadPoolExecutor(4) as pool:
        values = list(pool.map(lambda x: sandbox.call(source, "square", {"x": x}).value, range(12)))
    assert values == [x * x for x in range(12)]
    for pid in sandbox.worker_pids():
        os.killpg(pid, signal.SIGKILL)
    time.sleep(0.2)
    restarts = sandbox.restarts
    assert [sandbox.call(source, "square", {"x": 3}).value for _ in range(3)] == [9, 9, 9]
    assert sandbox.restarts > restarts


def _all_example_calls(toolhop_rows):
    for row in toolhop_rows:
        for tool in row.tools:
            for arguments in example_calls(tool.source, tool.name):
                yield row, tool, arguments


def _check_real_tools(toolhop_rows, sandbox):
    """Every example call of every tool runs in the sandbox and gives what plain exec gives."""
    baseline = InProcessSandbox()
    calls = list(_all_example_calls(toolhop_rows))
    assert calls
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda c: sandbox.call(c[1].source, c[1].name, c[2]), calls))
    for (row, tool, arguments), result in zip(calls, results, strict=True):
        assert result.ok, (row.id, tool.name, arguments, result)
        expected = baseline.call(tool.source, tool.name, arguments)
        assert _canonical(result.value) == _canonical(expected.value), (row.id, tool.name)
        assert result.stdout == expected.stdout
    return len(calls)


def test_real_toolhop_tools_run_in_the_sandbox(toolhop_rows, sandbox):
    assert _check_real_tools(toolhop_rows[:8], sandbox) > 8


@pytest.mark.slow
def test_every_real_toolhop_tool_runs_in_the_sandbox(toolhop_rows, sandbox):
    assert _check_real_tools(toolhop_rows, sandbox) > len(toolhop_rows)


def test_frames_cross_the_pipe_in_pieces_and_a_wait_can_time_out():
    import select
    import threading

    from knowbench.sandbox._frames import encode_frame, read_frame

    read_end, write_end = os.pipe()
    value = {"id": 7, "value": "x" * 200_000}  # more than a pipe holds: the reader gets it in several reads
    frame = encode_frame(value)
    writer = threading.Thread(target=lambda: [os.write(write_end, frame[i : i + 4096])
                                              for i in range(0, len(frame), 4096)])
    writer.start()
    reads = []

    def wait() -> None:
        reads.append(1)
        if not select.select([read_end], [], [], 5)[0]:
            raise TimeoutError

    assert read_frame(read_end, wait) == value
    writer.join()
    assert len(reads) > 2
    os.write(write_end, frame[:10])  # a torn frame: the header and a few bytes, then nothing

    def impatient() -> None:
        if not select.select([read_end], [], [], 0.05)[0]:
            raise TimeoutError

    with pytest.raises(TimeoutError):
        read_frame(read_end, impatient)
    os.close(write_end)
    assert read_frame(read_end) is None  # the writer closed: no frame, no exception
    os.close(read_end)
