"""Wall time of `fixline`'s simple commands (best and median of 5), on a fresh data dir.

Run: python bench/cli_startup.py (issue 21 item 13 aims at under 0.5 s each)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXLINE = str(Path(sys.executable).parent / "fixline")
COMMANDS = [["--help"], ["run", "--help"], ["runs"], ["show", "no-such-run"], ["actions"]]


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "FIXLINE_DATA_DIR": data_dir}
        subprocess.run([FIXLINE, "runs"], env=env, capture_output=True, check=False)
        for args in COMMANDS:
            times = []
            for _ in range(5):
                start = time.perf_counter()
                subprocess.run([FIXLINE, *args], env=env, capture_output=True, check=False)
                times.append(time.perf_counter() - start)
            print(
                f"fixline {' '.join(args):<22} best {min(times):.2f} s  "
                f"median {statistics.median(times):.2f} s"
            )


if __name__ == "__main__":
    main()
