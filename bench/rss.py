"""`python bench/rss.py OUT CMD…`: run CMD and write its wall time, CPU time and peak RSS to OUT as JSON.

Why a launcher: a child forked from the benchmark process inherits the benchmark's high-water RSS in its
`ru_maxrss` (Linux records the old address space's peak at exec), so `os.wait4` from a large parent
over-reports. Forked from this small process instead, the figure is the command's own (floor: this
launcher's ~10 MB). Kept dependency-free so it starts small.
"""

import json
import os
import sys
import time


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    with open(out, "w") as fh:
        json.dump({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}, fh)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
