#!/usr/bin/env python3
"""Turn RESULT lines (bench/lib.sh) into JSON, a Markdown table and gnuplot PNG plots.

usage: report.py RAW_RESULTS OUT_PREFIX MACHINE_DESCRIPTION
"""
import json
import os
import shutil
import subprocess
import sys


def parse(path):
    rows = []
    for line in open(path):
        if not line.startswith("RESULT "):
            continue
        fields = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
        try:
            fields["value"] = float(fields["value"])
        except (KeyError, ValueError):
            continue
        fields["runs"] = int(fields.get("runs", 1))
        rows.append(fields)
    return rows


def table(rows, machine):
    out = [f"Machine: {machine}. Each figure is the median of the number of runs shown.", ""]
    out.append("| benchmark | metric | system | value | unit | runs |")
    out.append("|---|---|---|---:|---|---:|")
    for r in rows:
        v = r["value"]
        shown = f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"
        out.append(f"| {r['bench']} | {r['metric']} | {r['system']} | {shown} | {r['unit']} | {r['runs']} |")
    ratios = []
    for (b, m), group in group_by_metric(rows).items():
        unic = [r for r in group if r["system"].startswith("unic")]
        other = [r for r in group if not r["system"].startswith("unic")]
        for u in unic:
            for o in other:
                if o["value"]:
                    ratios.append(f"| {b} | {m} | {u['system']} / {o['system']} | {u['value'] / o['value']:.2f} |")
    if ratios:
        out += ["", "| benchmark | metric | ratio | value |", "|---|---|---|---:|"] + ratios
    return "\n".join(out) + "\n"


def group_by_metric(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["bench"], r["metric"]), []).append(r)
    return groups


def terminal():
    probe = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" if "pngcairo" in probe.stdout + probe.stderr else "png"


def plot(rows, prefix):
    if not shutil.which("gnuplot"):
        return
    for (bench, metric), group in group_by_metric(rows).items():
        if len(group) < 2:
            continue
        dat = f"{prefix}-{bench}-{metric}.dat"
        with open(dat, "w") as f:
            for r in group:
                f.write(f"\"{r['system']}\" {r['value']}\n")
        png = f"{prefix}-{bench}-{metric}.png"
        unit = group[0]["unit"]
        script = f"set terminal {terminal()} size 640,360 noenhanced; "
        script += (
            f"set output '{png}'; set title '{bench}: {metric} ({unit})'; "
            "set style data histograms; set style fill solid 0.7; set boxwidth 0.6; "
            "set yrange [0:*]; unset key; set grid ytics; "
            f"plot '{dat}' using 2:xtic(1) lc rgb '#3a6ea5'"
        )
        subprocess.run(["gnuplot", "-e", script], check=False)
        os.remove(dat)


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    rows = parse(argv[1])
    prefix, machine = argv[2], argv[3]
    with open(prefix + ".json", "w") as f:
        json.dump({"machine": machine, "results": rows}, f, indent=1)
    with open(prefix + ".md", "w") as f:
        f.write(table(rows, machine))
    plot(rows, prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
