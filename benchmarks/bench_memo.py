"""Cold-start cost of the main job against the unavoidable imports.

Times, in one run, a cold ``riskscore memo companies/wedoctor.yaml --format all`` against a
cold ``python -c "import pydantic, jinja2, yaml, typer"`` (each a fresh interpreter),
interleaved so machine noise hits both alike, and prints the medians and their ratio.
Target: ratio <= 1.3. Also reports whether pandas or scikit-learn were imported (they must
not be on this path).

    python benchmarks/bench_memo.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.3


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as out:
        baseline_cmd = [sys.executable, "-c", "import pydantic, jinja2, yaml, typer"]
        memo_cmd = [sys.executable, "-m", "riskscore", "memo", "companies/wedoctor.yaml", "--format", "all", "--out", out]
        _time(baseline_cmd), _time(memo_cmd)  # warm the OS file cache; interpreter state stays cold
        baseline, memo = [], []
        for _ in range(args.runs):
            baseline.append(_time(baseline_cmd))
            memo.append(_time(memo_cmd))

        trace = subprocess.run([sys.executable, "-X", "importtime", *memo_cmd[1:]], capture_output=True, text=True, cwd=ROOT, check=True)
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in trace.stderr.splitlines() if line.startswith("import time:")}
    heavy = sorted(modules & {"pandas", "sklearn", "numpy", "scipy"})

    b, m = statistics.median(baseline), statistics.median(memo)
    ratio = m / b
    print(f"runs                                   {args.runs}")
    print(f"baseline (import pydantic, jinja2, yaml, typer)  median {b * 1000:7.1f} ms  min {min(baseline) * 1000:7.1f} ms")
    print(f"riskscore memo wedoctor --format all             median {m * 1000:7.1f} ms  min {min(memo) * 1000:7.1f} ms")
    print(f"ratio (median)                                   {ratio:.2f}  (target <= {TARGET})  {'OK' if ratio <= TARGET else 'OVER TARGET'}")
    print(f"heavy modules imported on this path              {', '.join(heavy) if heavy else 'none'}")


if __name__ == "__main__":
    main()
