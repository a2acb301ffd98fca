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
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from synth import write_profiles  # noqa: E402

_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode)
if proc.returncode:
    sys.stderr.write(proc.stderr[-2000:])
"""


ROOT = Path(__file__).resolve().parents[1]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # riskscore from bytecode, as installed


def run_batch(src: Path, out: Path, workers: int) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (all processes) and peak RSS (MiB, largest single process) of one batch run."""
    cmd = [sys.executable, "-m", "riskscore", "batch", str(src), "--out", str(out), "--workers", str(workers), "--quiet"]
    result = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True, env=ENV)
    wall, cpu, peak, code = result.stdout.split()
    if code != "0":
        raise SystemExit(f"batch failed ({code}): {result.stderr}")
    return float(wall), float(cpu), float(peak) / 1024


def bare_work(paths: list[Path]) -> tuple[float, float]:
    """Seconds per profile of YAML load + validation + the two renders, in this process; and
    of the scoring and the memo model besides (work a batch does that the bare work leaves out)."""
    from riskscore.profile.load import read_yaml
    from riskscore.profile.model import Profile
    from riskscore.report.memo import build_memo
    from riskscore.report.render import render
    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config
    from riskscore.scoring.engine import assess

    config = load_config()
    rubrics = registry.select(config)
    profiles, elapsed = [], 0.0
    for path in paths:
        start = time.perf_counter()
        profiles.append(Profile.model_validate(read_yaml(path)[0]))
        elapsed += time.perf_counter() - start
    start = time.perf_counter()
    memos = [build_memo(p, assess(p, config, rubrics), config, rubrics) for p in profiles]  # not bare work: timed apart
    scoring = time.perf_counter() - start
    render(memos[0], "md"), render(memos[0], "html")  # warm the template cache, as a batch worker is
    for memo in memos:
        start = time.perf_counter()
        render(memo, "md")
        render(memo, "html")
        elapsed += time.perf_counter() - start
    return elapsed / len(paths), scoring / len(paths)


def stages(paths: list[Path]) -> dict[str, float]:
    """CPU milliseconds per profile of each stage of a batch worker's work, in this process (warmed up)."""
    from riskscore.pipeline import Pipeline
    from riskscore.profile.load import read_yaml
    from riskscore.profile.model import Profile
    from riskscore.report import memo as memo_module
    from riskscore.report import render as rendering

    pipeline = Pipeline.open(None, discover=False)
    tr = pipeline.translator("en")
    spent: dict[str, float] = {}

    def timed(name: str, call: Any, *args: Any) -> Any:
        start = time.process_time()
        result = call(*args)
        spent[name] = spent.get(name, 0.0) + time.process_time() - start
        return result

    plain_verdict_change = memo_module._verdict_change
    memo_module._verdict_change = lambda *a, **k: timed("  of which: what would change the verdict", lambda: plain_verdict_change(*a, **k))
    try:
        for warm in (True, False):
            spent.clear()
            for path in paths[:20] if warm else paths:
                data = timed("YAML", read_yaml, path)[0]
                timed("validation", Profile.model_validate, data)
                profile = timed("load_profile (YAML + validation + checks)", pipeline.load, path)
                assessment = timed("scoring (assess)", pipeline.assess, profile)
                memo = timed("memo model", pipeline.memo, profile, assessment)
                timed("Markdown render", rendering.render, memo, "md", tr)
                timed("HTML render", rendering.render, memo, "html", tr)
                timed("JSON", functools.partial(assessment.model_dump_json, indent=2))
    finally:
        memo_module._verdict_change = plain_verdict_change
    return {name: seconds / len(paths) * 1000 for name, seconds in spent.items()}


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

        subprocess.run([sys.executable, "-m", "compileall", "-q", "riskscore", "rubrics"], cwd=ROOT, check=True, env=ENV)
        load_before = os.getloadavg()[0]
        wall_big, cpu_big, peak_big = run_batch(big, root / "out-big", args.workers)
        files = sum(1 for _ in (root / "out-big").iterdir())
        _, _, peak_small = run_batch(small, root / "out-small", args.workers)
        wall_one, _, _ = run_batch(sample_dir, root / "out-one", 1)
        bare, scoring = bare_work(sample)
        per_stage = stages(sample)

    per_profile = wall_one / len(sample)
    print(f"python {sys.version.split()[0]}; {os.cpu_count()} CPUs; load average {load_before:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after (other processes share the CPUs)")
    rows = [
        ("profiles", f"{args.n:,}", ""),
        (f"batch wall time, --workers {args.workers}", f"{wall_big:.1f} s", f"target <= 20 s at 10,000 ({'OK' if wall_big * 10_000 / args.n <= 20 else 'OVER'})"),
        ("throughput", f"{args.n / wall_big:,.0f} profiles/s", f"{files:,} files written"),
        ("batch CPU time, all processes", f"{cpu_big:.1f} s", f"{cpu_big / args.n * 1000:.2f} ms per profile; "
         f"{cpu_big / (os.cpu_count() or 1) * 10_000 / args.n:.1f} s at 10,000 on idle CPUs"),
        ("per-profile cost, 1 worker", f"{per_profile * 1000:.2f} ms", f"over {len(sample):,} profiles, incl. process start"),
        ("bare work (YAML + validation + 2 renders)", f"{bare * 1000:.2f} ms", ""),
        ("per-profile / bare", f"{per_profile / bare:.2f}x", f"target <= 1.3x ({'OK' if per_profile / bare <= 1.3 else 'OVER'})"),
        ("scoring + memo model (not in bare work)", f"{scoring * 1000:.2f} ms", ""),
        ("per-profile / (bare + scoring + memo model)", f"{per_profile / (bare + scoring):.2f}x", "what a batch adds to the work itself"),
        (f"peak RSS at {args.n // 10:,}", f"{peak_small:.0f} MiB", "largest process"),
        (f"peak RSS at {args.n:,}", f"{peak_big:.0f} MiB", f"ratio {peak_big / peak_small:.2f}x, target <= 1.2x ({'OK' if peak_big / peak_small <= 1.2 else 'OVER'})"),
    ]
    for name, value, note in rows:
        print(f"{name:<44} {value:>18}  {note}")
    print(f"\nwhere a profile's CPU goes (in one process, over {len(sample):,} profiles; YAML and validation are "
          "inside load_profile, not added to the total):")
    order = ["YAML", "validation", "load_profile (YAML + validation + checks)", "scoring (assess)", "memo model",
             "  of which: what would change the verdict", "Markdown render", "HTML render", "JSON"]
    for name in order:
        print(f"  {name:<44} {per_stage[name]:>8.2f} ms")
    counted = sum(ms for name, ms in per_stage.items() if name not in ("YAML", "validation") and not name.startswith(" "))
    print(f"  {'total':<44} {counted:>8.2f} ms; the 20 s target allows {20 * (os.cpu_count() or 1) / 10:.1f} ms a profile on these CPUs")
    print(json.dumps({"n": args.n, "wall_s": round(wall_big, 2), "cpu_s": round(cpu_big, 2), "scoring_ms": round(scoring * 1000, 3), "per_profile_ms": round(per_profile * 1000, 3),
                      "bare_ms": round(bare * 1000, 3), "peak_mib_small": round(peak_small), "peak_mib_big": round(peak_big)}))


if __name__ == "__main__":
    main()
