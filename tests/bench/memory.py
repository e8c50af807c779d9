"""Peak memory of a process tree, sampled from /proc.

`getrusage(...).ru_maxrss` cannot be used here: a child started by fork/vfork+exec inherits its parent's
high-water mark, so ogr2ogr started from a 130 MB Python process reports at least 130 MB. VmHWM in
/proc/<pid>/status belongs to the process image after exec, so it is exact; we sample it until the
process ends (a rise in the last sampling interval before exit could be missed).
"""

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

INTERVAL = 0.05  # seconds


@dataclass
class ProcessPeak:
    name: str
    hwm_kb: int = 0


@dataclass
class TreeMemory:
    """Samples the tree rooted at `pid` in a thread, between `start()` and `stop()`."""

    pid: int
    processes: dict[int, ProcessPeak] = field(default_factory=dict)
    tree_rss_peak_kb: int = 0  # largest sum of the tree's VmRSS seen in one sample

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "TreeMemory":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(INTERVAL)

    def _sample(self) -> None:
        total = 0
        for pid in self._tree():
            status = _status(pid)
            if not status or "VmHWM" not in status:
                continue
            name, hwm, rss = status["Name"], _kb(status["VmHWM"]), _kb(status["VmRSS"])
            peak = self.processes.get(pid)
            # Between fork and exec a child still shows its parent's image: keep the figures of its last name.
            if peak is None or peak.name != name:
                peak = self.processes[pid] = ProcessPeak(name)
            peak.hwm_kb = max(peak.hwm_kb, hwm)
            total += rss
        self.tree_rss_peak_kb = max(self.tree_rss_peak_kb, total)

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(f"/proc/{entry.name}/stat").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree, frontier = [self.pid], [self.pid]
        while frontier:
            frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
            tree += frontier
        return tree

    def peak_mb(self, pid: int | None = None) -> float:
        peak = self.processes.get(self.pid if pid is None else pid)
        return peak.hwm_kb / 1024 if peak else 0.0

    def largest_child_mb(self) -> float:
        return max((p.hwm_kb for pid, p in self.processes.items() if pid != self.pid), default=0) / 1024


def _status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _kb(value: str) -> int:
    return int(value.split()[0])


def own_peak_mb() -> float:
    """VmHWM of the calling process."""
    return _kb(_status(os.getpid())["VmHWM"]) / 1024
