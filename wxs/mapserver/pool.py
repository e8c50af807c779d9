"""A supervised pool of `mapserv` FastCGI workers sharing one listening unix socket.

Standalone on purpose (no Django import): `runtime.py` starts it as `python pool.py ...` when no pool answers, and
`manage.py mapserver_pool` runs `serve()` in the foreground (Procfile, compose). A FastCGI application finds its
listening socket on file descriptor 0, so every worker gets the same socket as stdin and the kernel spreads the
connections over the idle workers.
"""

import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def answers(socket_path: str | Path, timeout: float = 1.0) -> bool:
    """A pool listens on `socket_path` (a connect succeeds)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(timeout)
    try:
        probe.connect(str(socket_path))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def serve(
    socket_path: str | Path,
    workers: int,
    config_file: str | Path,
    mapserv: str = "/usr/bin/mapserv",
    parent_pid: int | None = None,
) -> int:
    """Listen on `socket_path`, keep `workers` mapserv processes alive until SIGTERM/SIGINT (or `parent_pid` dies)."""
    socket_path = Path(socket_path)
    if answers(socket_path):
        print(f"mapserver pool: {socket_path} already answers", file=sys.stderr)
        return 0
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)  # a stale socket left by a killed pool
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    os.chmod(socket_path, 0o660)
    listener.listen(128)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MAPSERVER_CONFIG_FILE": str(Path(config_file).resolve()),
        "LANG": "C.UTF-8",
    }
    children: dict[int, subprocess.Popen] = {}
    started: dict[int, float] = {}
    stopping = False

    def spawn() -> None:
        child = subprocess.Popen(
            [mapserv], stdin=listener.fileno(), env=env, close_fds=True, preexec_fn=_die_with_parent
        )
        children[child.pid] = child
        started[child.pid] = time.monotonic()

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(max(1, workers)):
        spawn()
    print(f"mapserver pool: {len(children)} workers on {socket_path}", file=sys.stderr, flush=True)
    quick_deaths = 0
    status = 0
    try:
        while not stopping:
            for pid, child in list(children.items()):
                if child.poll() is not None:  # a worker died (crash, kill, MS_MAX_REQUESTS): replace it
                    del children[pid]
                    lived = time.monotonic() - started.pop(pid)
                    quick_deaths = quick_deaths + 1 if lived < 1 else 0
                    if quick_deaths >= 3 * max(1, workers):
                        # Workers cannot start (binary, config): close the socket so clients fail fast, not hang.
                        print("mapserver pool: workers keep dying at start, giving up", file=sys.stderr, flush=True)
                        stopping, status = True, 1
                        break
                    spawn()
            if parent_pid and not _alive(parent_pid):
                break
            time.sleep(0.2)
    finally:
        listener.close()
        socket_path.unlink(missing_ok=True)
        for child in children.values():
            child.terminate()
        deadline = time.monotonic() + 2
        for child in children.values():
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()  # an idle FastCGI mapserv waits in accept() and only notices SIGTERM after a request
                child.wait()
    return status


def _die_with_parent() -> None:
    """A worker whose supervisor was killed (SIGKILL) must not keep serving the socket and its PostGIS connections."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("socket")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--config", required=True)
    parser.add_argument("--mapserv", default="/usr/bin/mapserv")
    parser.add_argument("--parent-pid", type=int)
    arguments = parser.parse_args()
    sys.exit(serve(arguments.socket, arguments.workers, arguments.config, arguments.mapserv, arguments.parent_pid))
