"""How long `import neoclone_core` and `neoclone --help` take, in fresh processes.

RequestRun: python bench/import_time.py [repetitions]. Prints the median and best of each;
the aim is well under half a second for both (docs/benchmarks.md keeps the figures).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass (interpreter alone)": [sys.executable, "-c", "pass"],
    "import neoclone_core": [sys.executable, "-c", "import neoclone_core"],
    "neoclone --help": [sys.executable, "-m", "neoclone_core", "--help"],
}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main(repetitions: int) -> None:
    for label, command in COMMANDS.items():
        samples = [timed(command) for _ in range(repetitions)]
        print(
            f"{label:<40} median {statistics.median(samples) * 1000:6.1f} ms"
            f"   best {min(samples) * 1000:6.1f} ms   (n={repetitions})"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
