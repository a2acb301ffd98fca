"""Varied, valid, synthetic company profiles for benchmarks (fictional companies, seeded).

    python benchmarks/synth.py OUT_DIR N [--seed 7]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

EVENT_TYPES = ["securities_regulator_penalty", "exchange_censure", "sector_regulator_penalty", "warning_letter"]


def profile_yaml(index: int, rng: random.Random) -> str:
    """One profile as YAML text; every figure cites one of two sources, some disagree."""
    last_year = rng.randint(2019, 2024)
    years = list(range(last_year - rng.randint(1, 4), last_year + 1))
    revenue = rng.uniform(50, 5000)
    lines = [
        f"id: synth-{index:05d}",
        f"as_of: {last_year + 1}-06-30",
        "presentation_unit: RMB million",
        "company:",
        f"  name: Synthetic Company {index}",
        "  sector: Synthetic",
        "  sources: [prospectus]",
        "filings:",
        f"  - {{id: a1, date: {last_year + 1}-03-31, exchange: HKEX, status: filed, sources: [prospectus]}}",
        "periods:",
    ]
    margin = rng.uniform(-10, 60)
    for year in years:
        revenue *= rng.uniform(0.8, 1.6)
        net = revenue * rng.uniform(-0.4, 0.15)
        lines += [
            f"  - id: FY{year}",
            f"    revenue: {{amount: {revenue:.1f}, unit: RMB million, source: prospectus, filing: a1}}",
            f"    gross_margin: {{value: {margin + rng.uniform(-5, 5):.1f}%, source: prospectus}}",
            f"    adjusted_net_profit: {{amount: {net:.1f}, unit: RMB million, source: prospectus}}",
            f"    operating_cash_flow: {{amount: {net * rng.uniform(0.5, 1.5):.1f}, unit: RMB million, source: prospectus}}",
            f"    rnd_expense: {{amount: {revenue * rng.uniform(0.01, 0.2):.1f}, unit: RMB million, source: prospectus}}",
        ]
        if rng.random() < 0.5:
            core = rng.uniform(40, 95)
            lines += [
                "    segments:",
                f"      - {{name: Core, share: {{value: {core:.1f}%, source: prospectus}}, gross_margin: {{value: {margin - rng.uniform(0, 20):.1f}%, source: prospectus}}}}",
                f"      - {{name: Other, share: {{value: {100 - core:.1f}%, source: prospectus}}, gross_margin: {{value: {margin + rng.uniform(0, 20):.1f}%, source: prospectus}}}}",
            ]
        if rng.random() < 0.7:
            lines += [
                "    customers:",
                f"      largest_share: {{value: {rng.uniform(2, 90):.1f}%, source: prospectus}}",
                f"      top5_share: {{value: {rng.uniform(20, 100):.1f}%, source: prospectus}}",
            ]
    if rng.random() < 0.3:  # a disagreeing press figure for the latest revenue
        lines.append(f"  - {{id: {last_year + 1}H1, revenue: [{{amount: {revenue / 2:.1f}, unit: RMB million, source: prospectus}}, "
                     f"{{amount: {revenue / 1.7:.1f}, unit: RMB million, source: press}}]}}")
    lines += [
        "people:",
        f"  - {{id: founder, name: Founder {index}, roles: [founder], stake: {{value: {rng.uniform(0, 60):.1f}%, source: prospectus}}, sources: [prospectus]}}",
        "governance_events:",
    ]
    events = rng.randint(0, 3)
    if not events:
        lines[-1] += " []"
    for e in range(events):
        lines.append(f"  - {{id: e{e}, type: {rng.choice(EVENT_TYPES)}, regulator: Regulator, subjects: [{rng.choice(['company', 'founder', 'subsidiary'])}], "
                     f"persons: [founder], date: {rng.randint(years[0], last_year)}-{rng.randint(1, 12):02d}, status: concluded, "
                     f"description: Synthetic event <b>{e}</b>, sources: [press]}}")
    lines += [
        "technology:",
        f"  core: [{{name: Platform, control: {rng.choice(['proprietary', 'third_party', 'shared'])}, sources: [prospectus]}}]",
        "capital_structure:",
        f"  cash: {{amount: {revenue * rng.uniform(0.05, 2):.1f}, unit: RMB million, source: prospectus}}",
        "  instruments:",
        f"    - {{name: Preferred, kind: convertible_redeemable_preferred, amount: {{amount: {revenue * rng.uniform(0, 5):.1f}, unit: RMB million, source: prospectus}}, "
        f"trigger: listing_failure, converts_at_listing: {rng.choice(['true', 'false'])}}}",
        "sources:",
        f"  - {{id: prospectus, title: Prospectus {index}, publisher: Synthetic, date: {last_year + 1}-03-31, kind: prospectus, language: en}}",
        f"  - {{id: press, title: Press report {index}, publisher: Daily, date: {last_year + 1}-04-02, kind: media, language: en}}",
    ]
    return "\n".join(lines) + "\n"


def write_profiles(directory: Path, count: int, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = directory / f"synth-{i:05d}.yaml"
        path.write_text(profile_yaml(i, rng), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"wrote {len(write_profiles(args.out, args.count, args.seed))} profiles to {args.out}")
