"""A fork server that runs pytest with the heavy third-party imports already done.

    python scripts/mutation_forkserver.py serve SOCKET        # in the background, cwd = scratch copy
    python scripts/mutation_forkserver.py run SOCKET ARGS...  # = python -m pytest ARGS, exit code 0 or 1
    python scripts/mutation_forkserver.py plain ARGS...       # the same without a server

Importing torch, scikit-learn and friends costs ~8 s of CPU per pytest start, more than most
test files themselves; scripts/mutation.sh runs the tests once per mutant. The server imports
them once (never `spurwidgets`, whose mutated file must be read afresh) and forks a child per
request that runs `pytest.main(ARGS)`, so every run still sees the file as mutmut left it.
Bytecode is not written (a same-size mutation inside one second could reuse a stale .pyc).
If the client goes away (mutmut's timeout kills it), the child is killed too.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys

HEAVY = (
    "numpy",
    "scipy",
    "scipy.optimize",
    "scipy.sparse",
    "sklearn",
    "sklearn.base",
    "sklearn.linear_model",
    "sklearn.cluster",
    "sklearn.decomposition",
    "sklearn.utils",
    "torch",
    "torch.nn",
    "torch.utils.data",
    "PIL.Image",
    "pandas",
    "hypothesis",
    "hypothesis.strategies",
    "hypothesis.extra.numpy",
    "pytest",
    "traitlets",
    "ipywidgets",
    "anywidget",
    "anyio",
    "playwright.sync_api",
    "pytest_playwright.pytest_playwright",
)


def _recv_all(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _child(conn: socket.socket, request: dict) -> None:
    os.setsid()
    os.chdir(request["cwd"])
    fd = conn.fileno()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    import pytest

    try:
        code = int(pytest.main(request["args"]))
    except SystemExit as e:  # pragma: no cover - pytest.main returns, but be safe
        code = int(e.code or 0)
    except BaseException:  # noqa: BLE001
        code = 3
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(fd, f"\n__EXIT__ {code}\n".encode())
    os._exit(0)


def serve(path: str) -> None:
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    for name in HEAVY:
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - optional speed-up only
            pass
    assert not any(m == "spurwidgets" or m.startswith("spurwidgets.") for m in sys.modules)
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        request = json.loads(_recv_all(conn))
        pid = os.fork()
        if pid == 0:
            server.close()
            _child(conn, request)
        while True:  # wait for the child; kill it if the client hangs up
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            readable, _, _ = select.select([conn], [], [], 0.2)
            try:
                gone = bool(readable) and not conn.recv(1, socket.MSG_PEEK)
            except OSError:  # reset by the killed client
                gone = True
            if gone:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                os.waitpid(pid, 0)
                break
        conn.close()


def run(path: str, args: list[str]) -> int:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    conn.sendall(json.dumps({"cwd": os.getcwd(), "args": args}).encode() + b"\n")
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    out, sep, rest = data.rpartition(b"\n__EXIT__ ")
    if not sep:  # the child died without reporting (killed): a failed run
        sys.stdout.buffer.write(data)
        return 1
    sys.stdout.buffer.write(out)
    code = int(rest.split()[0])
    sys.stdout.flush()
    return _failed(code)


def _failed(code: int) -> int:
    # mutmut 2.x counts only exit code 1 as failing tests: a mutant that breaks the import of
    # spurwidgets (pytest 2: collection error, 4: conftest error) would count as a survivor.
    # Any failed pytest run is a detected mutant, so every non-zero code becomes 1.
    return 0 if code == 0 else 1


def main() -> None:
    cmd, path, *args = sys.argv[1:]
    if cmd == "serve":
        serve(path)
    elif cmd == "run":
        sys.exit(run(path, args))
    elif cmd == "plain":  # no server: pytest in this process, exit codes mapped like `run`
        import pytest

        sys.exit(_failed(int(pytest.main([path, *args]))))
    else:
        raise SystemExit(f"unknown command {cmd!r}")


if __name__ == "__main__":
    main()
