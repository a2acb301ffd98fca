"""Cold-start cost of the commands analysts run, against the unavoidable imports, in one run.

Each command runs in a fresh interpreter, interleaved with the baseline
``python -c "import pydantic, jinja2, yaml, typer"`` so machine noise hits both alike. For
each pair the CPU time (user + system, from the operating system's accounting of the finished
child) is taken; the table prints the medians, the median of the per-pair ratios, and the
targets of the speed issue:

| work                                              | target          |
|---------------------------------------------------|-----------------|
| ``riskscore memo companies/wedoctor.yaml --format all`` vs baseline, CPU | <= 1.5x |
| ``riskscore score companies/wedoctor.yaml`` vs baseline, CPU             | <= 1.3x |
| ``riskscore memo … --peers tag:health-tech``, wall                        | <= 1.0 s |

It also reports whether pandas or scikit-learn were imported on the memo and score paths
(they must not be).

    python benchmarks/bench_memo.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = [sys.executable, "-c", "import pydantic, jinja2, yaml, typer"]
# The baseline's packages run from their compiled bytecode (pip writes it at install); so must
# riskscore, or every run would include compiling its sources. PYTHONDONTWRITEBYTECODE in the
# environment would prevent that, so the measured processes run without it, and the sources
# are compiled once before measuring.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one cold run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def _heavy(cmd: list[str]) -> list[str]:
    trace = subprocess.run([sys.executable, "-X", "importtime", *cmd[1:]], capture_output=True, text=True, cwd=ROOT, check=True, env=ENV)
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in trace.stderr.splitlines() if line.startswith("import time:")}
    return sorted(modules & {"pandas", "sklearn", "scipy"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    subprocess.run([sys.executable, "-m", "compileall", "-q", "riskscore", "rubrics"], cwd=ROOT, check=True, env=ENV)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as out:
        rs = [sys.executable, "-m", "riskscore"]
        work = {
            "memo": (rs + ["memo", "companies/wedoctor.yaml", "--format", "all", "--out", out], "cpu", 1.5),
            "score": (rs + ["score", "companies/wedoctor.yaml"], "cpu", 1.3),
            "memo --peers": (rs + ["memo", "companies/wedoctor.yaml", "--peers", "tag:health-tech", "--format", "all", "--out", out], "wall", 1.0),
        }
        for cmd, _, _ in [(BASELINE, None, None), *work.values()]:
            _run(cmd)  # warm the OS file cache and the template cache; interpreter state stays cold
        baseline: list[tuple[float, float]] = []
        measured: dict[str, list[tuple[float, float]]] = {name: [] for name in work}
        for _ in range(args.runs):
            for name, (cmd, _, _) in work.items():
                baseline.append(_run(BASELINE))
                measured[name].append(_run(cmd))
        heavy = {name: _heavy(work[name][0]) for name in ("memo", "score")}

    base_cpu = statistics.median(c for c, _ in baseline)
    print(f"runs per command: {args.runs}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
          f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (other processes share the CPUs)")
    print(f"{'work':<34} {'median':>10} {'ratio':>8}  {'target':<10} verdict")
    print(f"{'baseline: import pydantic, jinja2, yaml, typer':<34} {base_cpu * 1000:8.0f}ms {'':>8}  {'(CPU)':<10}")
    pairs = iter(baseline)
    for name, (_, kind, target) in work.items():
        rows = measured[name]
        if kind == "cpu":
            ratios = [c / next(pairs)[0] for c, _ in rows]
            ratio = statistics.median(ratios)
            cpu = statistics.median(c for c, _ in rows)
            print(f"{name + ' (CPU vs baseline)':<34} {cpu * 1000:8.0f}ms {ratio:7.2f}x  <= {target}x    {'OK' if ratio <= target else 'OVER'}")
        else:
            for _ in rows:
                next(pairs)
            wall = statistics.median(w for _, w in rows)
            print(f"{name + ' (wall)':<34} {wall * 1000:8.0f}ms {'':>8}  <= {target} s   {'OK' if wall <= target else 'OVER'}")
    for name, found in heavy.items():
        print(f"heavy modules on the {name} path: {', '.join(found) if found else 'none'}")


if __name__ == "__main__":
    main()
