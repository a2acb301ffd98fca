"""Batch speed and memory against the targets of the speed issue, in one run.

Generates N varied, valid synthetic profiles (benchmarks/synth.py) and measures:

1. wall time of ``riskscore batch DIR --out OUT --workers 2`` to md + html + json plus the
   summaries, for N profiles (target: 10,000 in <= 20 s on a 2-core machine);
2. per-profile cost of a one-worker batch against the bare work on the same profiles —
   YAML load + pydantic validation + the two template renders (target: <= 1.3x);
3. peak memory (largest process RSS) of the batch at N against N/10 (target: <= 1.2x: results
   stream to disk, nothing accumulates).

    python benchmarks/bench_batch.py [--n 10000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from synth import write_profiles  # noqa: E402

_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(wall, peak_kib, proc.returncode)
if proc.returncode:
    sys.stderr.write(proc.stderr[-2000:])
"""


def run_batch(src: Path, out: Path, workers: int) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, largest single process of the tree) of one batch run."""
    cmd = [sys.executable, "-m", "riskscore", "batch", str(src), "--out", str(out), "--workers", str(workers), "--quiet"]
    result = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True)
    wall, peak, code = result.stdout.split()
    if code != "0":
        raise SystemExit(f"batch failed ({code}): {result.stderr}")
    return float(wall), float(peak) / 1024


def bare_work(paths: list[Path]) -> float:
    """Seconds per profile of YAML load + validation + the two renders, in this process."""
    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config
    from riskscore.scoring.engine import assess
    from riskscore.profile.load import read_yaml
    from riskscore.report.memo import build_memo
    from riskscore.profile.model import Profile
    from riskscore.report.render import render

    config = load_config()
    rubrics = registry.select(config)
    profiles, elapsed = [], 0.0
    for path in paths:
        start = time.perf_counter()
        profiles.append(Profile.model_validate(read_yaml(path)[0]))
        elapsed += time.perf_counter() - start
    memos = [build_memo(p, assess(p, config, rubrics), config, rubrics) for p in profiles]  # not timed: not bare work
    render(memos[0], "md"), render(memos[0], "html")  # warm the template cache, as a batch worker is
    for memo in memos:
        start = time.perf_counter()
        render(memo, "md")
        render(memo, "html")
        elapsed += time.perf_counter() - start
    return elapsed / len(paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=1_000, help="profiles for the per-profile comparison")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        big, small = root / "big", root / "small"
        write_profiles(big, args.n)
        write_profiles(small, max(1, args.n // 10))
        sample = sorted(big.glob("*.yaml"))[: args.sample]
        sample_dir = root / "sample"
        sample_dir.mkdir()
        for p in sample:
            (sample_dir / p.name).write_bytes(p.read_bytes())

        wall_big, peak_big = run_batch(big, root / "out-big", args.workers)
        files = sum(1 for _ in (root / "out-big").iterdir())
        wall_small, peak_small = run_batch(small, root / "out-small", args.workers)
        wall_one, _ = run_batch(sample_dir, root / "out-one", 1)
        bare = bare_work(sample)

    per_profile = wall_one / len(sample)
    rows = [
        ("profiles", f"{args.n:,}", ""),
        (f"batch wall time, --workers {args.workers}", f"{wall_big:.1f} s", f"target <= 20 s at 10,000 ({'OK' if wall_big * 10_000 / args.n <= 20 else 'OVER'})"),
        ("throughput", f"{args.n / wall_big:,.0f} profiles/s", f"{files:,} files written"),
        ("per-profile cost, 1 worker", f"{per_profile * 1000:.2f} ms", f"over {len(sample):,} profiles, incl. process start"),
        ("bare work (YAML + validation + 2 renders)", f"{bare * 1000:.2f} ms", ""),
        ("per-profile / bare", f"{per_profile / bare:.2f}x", f"target <= 1.3x ({'OK' if per_profile / bare <= 1.3 else 'OVER'})"),
        (f"peak RSS at {args.n // 10:,}", f"{peak_small:.0f} MiB", "largest process"),
        (f"peak RSS at {args.n:,}", f"{peak_big:.0f} MiB", f"ratio {peak_big / peak_small:.2f}x, target <= 1.2x ({'OK' if peak_big / peak_small <= 1.2 else 'OVER'})"),
    ]
    for name, value, note in rows:
        print(f"{name:<44} {value:>18}  {note}")
    print(json.dumps({"n": args.n, "wall_s": round(wall_big, 2), "per_profile_ms": round(per_profile * 1000, 3),
                      "bare_ms": round(bare * 1000, 3), "peak_mib_small": round(peak_small), "peak_mib_big": round(peak_big)}))


if __name__ == "__main__":
    main()
