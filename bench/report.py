#!/usr/bin/env python3
"""Turn RESULT lines (bench/lib.sh) into JSON, a Markdown table and gnuplot PNG plots.

usage: report.py RAW_RESULTS OUT_PREFIX MACHINE_DESCRIPTION

A RESULT line: bench= metric= system= value= unit= runs= and optionally vs=SYSTEM[,SYSTEM]
(the systems to give a ratio against; "-" for none; without it, every unic system of a metric
is compared with every other system of that metric). runs=0 marks a published figure.
Environment: BENCH_ACCEL (kvm|tcg), the accelerator QEMU used, for the labels and the note.
Writes OUT_PREFIX.json, OUT_PREFIX.md (tables, then the plots as links relative to the .md)
and OUT_PREFIX-<plot>.png.
"""
import fnmatch
import json
import os
import shutil
import subprocess
import sys

ACCEL = os.environ.get("BENCH_ACCEL", "")

# Readable names of the systems; "prefix:file" systems read as the prefix's name and the file.
LABELS = {
    "unic-hosted": "unic hosted",
    "unic-hosted-no-offload": "unic hosted --no-offload",
    "unic": "unic hosted",
    "unic-kvm": "unic kvm (QEMU " + (ACCEL.upper() or "?") + ")",
    "unic-kvm-tcg": "unic kvm (QEMU TCG)",
    "unic-kvm-kvm": "unic kvm (QEMU KVM)",
    "empty-kernel": "empty kernel (QEMU " + (ACCEL.upper() or "?") + ")",
    "unic-kvm-image": "unic kvm image",
    "empty-kernel-image": "empty kernel image",
    "nginx-veth": "nginx (veth)",
    "unic-hosted-ip6": "unic hosted, IPv6",
    "nginx-veth-ip6": "nginx (veth), IPv6",
    "linux-ip6": "dns-linux (Linux sockets), IPv6 AAAA",
    "nginx-loopback": "nginx (loopback)",
    "includeos-paper": "IncludeOS (paper)",
    "tap-floor": "floor: TAP reflector",
    ("dns", "linux"): "dns-linux (Linux sockets)",
    ("dns", "unic-hosted-ip6"): "unic hosted, IPv6 AAAA",
    "nsd": "NSD (1 server process)",
    ("tcp", "linux"): "Linux iperf3 -s (veth)",
    ("conns", "linux"): "Linux over veth (slab / 2N)",
    ("conns", "nginx-veth"): "nginx 1 worker (veth)",
    "linux": "Linux",
}

# What each figure is; a metric not listed here is shown by its name.
METRICS = {
    ("dns", "queries_per_second"): "queries/s (dnsperf, unlimited rate)",
    ("dns", "cpu_per_1000_queries"): "server CPU per 1000 queries",
    ("dns", "tcp_queries_per_second"): "queries/s over TCP (dnsperf -m tcp, 1 connection, pipelined)",
    ("dns", "tcp_cpu_per_1000_queries"): "server CPU per 1000 queries over TCP",
    ("http", "requests_per_second"): "requests/s (wrk -t1 -c100, nothing pinned)",
    ("http", "requests_per_second_pinned"): "requests/s (wrk pinned beside the pinned server)",
    ("http", "latency_p50"): "latency p50",
    ("http", "latency_p99"): "latency p99",
    ("http", "requests_per_cpu_second"): "requests per server CPU second",
    ("http", "machine_cpu_per_request"): "machine CPU per request (all CPUs, wrk included)",
    ("tcp", "iperf3_in_p1"): "iperf3 -c into the server, 1 stream",
    ("tcp", "iperf3_out_p1"): "iperf3 -c -R (out of the server), 1 stream",
    ("tcp", "iperf3_in_p4"): "iperf3 -c -P 4 into the server",
    ("tcp", "iperf3_out_p4"): "iperf3 -c -R -P 4 (out of the server)",
    ("conns", "idle_bytes_1000"): "memory per idle connection, 1,000 open",
    ("conns", "idle_bytes_10000"): "memory per idle connection, 10,000 open",
    ("conns", "echoed_bytes_1000"): "memory per connection after echoing 16 KiB, 1,000 open",
    ("conns", "echoed_bytes_10000"): "memory per connection after echoing 16 KiB, 10,000 open",
    ("conns", "idle_bytes_100000"): "memory per idle connection, 100,000 open",
    ("conns", "echoed_bytes_100000"): "memory per connection after echoing 16 KiB, 100,000 open",
    ("conns", "failed_1000"): "connections of 1,000 that failed (refused, reset)",
    ("conns", "failed_10000"): "connections of 10,000 that failed (refused, reset)",
    ("conns", "failed_100000"): "connections of 100,000 that failed (refused, reset)",
    ("conns", "echo_p50_10000"): "echo round trip p50, 10,000 open",
    ("conns", "echo_p99_10000"): "echo round trip p99, 10,000 open",
    ("conns", "wrk_requests_per_second_10000"): "HTTP requests/s, wrk -t1 -c 10000 (10 s)",
    ("conns", "wrk_errors_10000"): "wrk -c 10000 errors (socket errors, non-2xx)",
    ("exits", "exits_per_query_low_rate"): "VM exits per DNS query at 100 q/s (QEMU trace events)",
    ("exits", "exits_per_query_saturation"): "VM exits per DNS query at saturation",
    ("exits", "exits_per_mb_tcp_in"): "VM exits per MB of TCP into the image",
    ("exits", "exits_per_mb_tcp_out"): "VM exits per MB of TCP out of the image",
    ("exits", "exits_per_second_idle"): "VM exits per second idle",
    ("system", "image_size"): "stripped image size",
    ("system", "launch_to_ready"): "launch -> first ping reply (empty kernel: -> exit)",
    ("system", "guest_entry_to_unic_main"): "in-guest first instruction -> unic_main",
    ("system", "guest_entry_to_service_start"): "in-guest first instruction -> service started",
}

TITLES = {
    "dns": "DNS: unic against the same service on Linux sockets and against NSD, UDP and TCP",
    "http": "HTTP: unic against nginx, 136-byte page",
    "tcp": "TCP throughput, the same iperf3 client: unic (examples/iperf3) against Linux iperf3 -s over a veth pair",
    "conns": "Many connections: memory per connection (unic hosted: RSS growth / N; kvm: guest "
             "heap in use growth / N), echo latency, wrk with 10,000 connections",
    "system": "System: image size, boot, idle CPU",
    "exits": "VM exits of the kvm image (bench/exits: QEMU trace events, microvm)",
}

# The plots: file suffix, title, bench, metric patterns (one bar colour per metric).
PLOTS = [
    ("dns-qps", "DNS queries/s", "dns", ["queries_per_second", "tcp_queries_per_second"]),
    ("dns-cpu", "DNS server CPU per 1000 queries, ms", "dns", ["cpu_per_1000_queries", "tcp_cpu_per_1000_queries"]),
    ("http-rps", "HTTP requests/s", "http", ["requests_per_second"]),
    ("http-latency", "HTTP latency, ms", "http", ["latency_p50", "latency_p99"]),
    ("tcp", "TCP throughput (iperf3 -c), Mbit/s", "tcp", ["iperf3_*"]),
    ("boot", "Boot: launch -> first ping reply (empty kernel: -> exit), ms", "system", ["launch_to_ready"]),
    ("image-size", "Stripped image size, KiB", "system", ["image_size"]),
    ("idle-cpu", "CPU used while idle, ms", "system", ["idle_cpu_*"]),
]
COLOURS = ["#3a6ea5", "#e08a2c", "#5a9e4b", "#b5443c"]


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
        if fields.get("unit") == "bytes":  # sizes read better in KiB
            fields["value"] /= 1024
            fields["unit"] = "KiB"
        elif fields.get("unit") == "s":  # CPU per 1000 queries: a few ms
            fields["value"] *= 1000
            fields["unit"] = "ms"
        rows.append(fields)
    return rows


def label(bench, system):
    base, _, part = system.partition(":")
    name = LABELS.get((bench, base), LABELS.get(base, base))
    return f"{name} {part}" if part else name


def describe(bench, metric):
    if metric.startswith("idle_cpu_"):
        return f"CPU used in {metric[len('idle_cpu_'):].rstrip('s')} s idle"
    return METRICS.get((bench, metric), metric)


def shown(value):
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def runs_text(runs):
    return "published" if runs == 0 else str(runs)


def group_by(rows, *keys):
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    return groups


NOTES = {
    "tcp": "The same client command against every server: iperf3 -c ADDR -t S [-P 4] [-R] -J "
           "(Debian's iperf3); the figure is end.sum_received, the receiver's own count. unic: "
           "examples/iperf3 on a TAP; Linux: iperf3 -s behind a veth pair; servers (QEMU too) on "
           "CPU 1, the client on CPU 0.",
    "http": "Each peer as its users run it: nginx with 1 worker, unic's http, and wrk -t1 -c100 "
            "(keep-alive, 10 s runs), none pinned to a CPU: the scheduler spreads server and "
            "client over the 2 CPUs. (Rows marked pinned: bench/http/run --pin, server on one "
            "CPU and wrk's threads on the other, a layout that starves the client and "
            "understates nginx.)",
    "system": "Hosted binaries are linked dynamically: glibc is not in their size. IncludeOS: the "
              "158 KB DNS image of Bratterud et al. (2015) as published, taken as KiB. Boot: "
              "launch of scripts/qemu-run (-M microvm) or of the process until the first reply "
              "to pings sent every 2 ms; the in-guest times are the kernel's own (TSC). Idle "
              "CPU: on-CPU time of the process (QEMU: all its threads) from schedstat, from 1 s "
              "after its first answer.",
}


# Benchmarks whose figure x system table may have gaps (a figure some systems do not have).
GAPS = {"conns"}


def bench_table(bench, rows):
    """A figure x system table when every system has every figure (or the bench is in GAPS:
    "-" for a missing one), else one row per figure."""
    systems = list(dict.fromkeys(r["system"] for r in rows))
    metrics = list(dict.fromkeys(r["metric"] for r in rows))
    cells = {(r["metric"], r["system"]): r for r in rows}
    runs = {r["runs"] for r in rows}
    out = [f"### {TITLES.get(bench, bench)}", ""]
    full = len(cells) == len(systems) * len(metrics)
    if (full or bench in GAPS) and len(systems) <= 5:
        out.append("| figure | unit | " + " | ".join(label(bench, s) for s in systems) + " |")
        out.append("|---|---|" + "---:|" * len(systems))
        for m in metrics:
            row = [cells.get((m, s)) for s in systems]
            values = ["-" if r is None else
                      shown(r["value"]) + ("" if len(runs) == 1 else f" ({r['runs']})") for r in row]
            unit = next(r for r in row if r is not None)["unit"]
            out.append(f"| {describe(bench, m)} | {unit} | " + " | ".join(values) + " |")
        n = runs.pop() if len(runs) == 1 else None
        out += ["", "One run." if n == 1 else f"Median of {n} runs." if n else "(runs) after each figure."]
    else:
        out += ["| figure | system | value | unit | runs |", "|---|---|---:|---|---:|"]
        for m in metrics:
            for r in (r for r in rows if r["metric"] == m):
                out.append(f"| {describe(bench, m)} | {label(bench, r['system'])} | "
                           f"{shown(r['value'])} | {r['unit']} | {runs_text(r['runs'])} |")
    if bench in NOTES:
        out += ["", NOTES[bench]]
    return out


def ratios(rows):
    out = []
    for (bench, metric), group in group_by(rows, "bench", "metric").items():
        by_system = {r["system"]: r for r in group}
        for r in group:
            if "vs" in r:
                others = [by_system[s] for s in r["vs"].split(",") if s in by_system]
            elif r["system"].startswith("unic"):
                others = [o for o in group if not o["system"].startswith("unic")]
            else:
                others = []
            for o in others:
                if o["value"]:
                    out.append(f"| {bench} | {describe(bench, metric)} | {label(bench, r['system'])} / "
                               f"{label(bench, o['system'])} | {r['value'] / o['value']:.2f} |")
    return out


def header(machine):
    out = [f"Machine: {machine}.", "",
           "Each figure is the median of the number of runs in its row (runs); image sizes are "
           "measured once; \"published\" marks a figure from a paper, not measured here. "
           "CPU figures count the server process only (utime+stime, or schedstat for idle), "
           "unless the row says otherwise."]
    if ACCEL == "tcg":
        why = ""
        if os.path.isdir("/sys/module/kvm_pvm"):
            why = (" because /dev/kvm on this machine is PVM, which cannot run the guest (its "
                   "emulator stops at the first SSE instruction)")
        out += ["", f"**unic kvm ran under QEMU with TCG** (software emulation of the CPU){why}: "
                "its figures measure the emulator as much as unic, and are no guide to unic "
                "under a real hypervisor."]
    return out


def table(rows, machine, plots):
    out = header(machine)
    for (bench,), group in group_by(rows, "bench").items():
        out += [""] + bench_table(bench, group)
    extra = ratios(rows)
    if extra:
        out += ["", "### Ratios", "", "| benchmark | figure | ratio | value |", "|---|---|---|---:|"] + extra
    if plots:
        out += ["", "### Plots", ""] + [f"![{title}]({os.path.basename(png)})" for png, title in plots]
    return "\n".join(out) + "\n"


def terminal():
    probe = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    if "pngcairo" in probe.stdout + probe.stderr:
        return "pngcairo font 'Sans,9' noenhanced"
    return "png small noenhanced"


def quote(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def plot_one(png, title, bench, rows, patterns):
    """Horizontal bars: one row per system, one bar colour per metric; values printed."""
    metrics = []
    for pattern in patterns:
        metrics += sorted({r["metric"] for r in rows if fnmatch.fnmatch(r["metric"], pattern)})
    chosen = [r for r in rows if r["metric"] in metrics]
    systems = list(dict.fromkeys(r["system"] for r in chosen))
    if not systems:
        return False
    k = len(metrics)
    height = 0.8 / k
    dat = png[:-4] + ".dat"
    top = max(r["value"] for r in chosen) or 1
    with open(dat, "w") as f:
        for j, metric in enumerate(metrics):
            for i, system in enumerate(systems):
                for r in chosen:
                    if r["metric"] == metric and r["system"] == system:
                        y = len(systems) - 1 - i + (k - 1 - 2 * j) * height / 2
                        f.write(f"{y} {r['value']} \"{shown(r['value'])}\"\n")
            f.write("\n\n")
    ytics = ", ".join(f"\"{quote(label(bench, s))}\" {len(systems) - 1 - i}" for i, s in enumerate(systems))
    pixels = 90 + 26 * len(systems) * max(1, k * 0.7) + (20 if k > 1 else 0)
    script = [
        f"set terminal {terminal()} size 720,{int(pixels)}",
        f"set output '{png}'",
        f"set title \"{quote(title)}\"",
        f"set ytics ({ytics}) nomirror",
        f"set yrange [-0.6:{len(systems) - 0.4}]",
        f"set xrange [0:{top * 1.18}]",
        "set grid xtics",
        "set style fill solid 0.8 noborder",
        "set key outside bottom center horizontal samplen 2 width -3" if k > 1 else "unset key",
    ]
    plots = []
    for j, metric in enumerate(metrics):
        name = quote(describe(bench, metric))
        colour = COLOURS[j % len(COLOURS)]
        plots.append(f"'{dat}' index {j} using (0):1:(0):2:($1-{height / 2}):($1+{height / 2}) "
                     f"with boxxyerror lc rgb '{colour}' title \"{name}\"")
        plots.append(f"'{dat}' index {j} using 2:1:3 with labels left offset 0.5,0 notitle")
    script.append("plot " + ", ".join(plots))
    result = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True,
                            capture_output=True)
    os.remove(dat)
    if result.returncode != 0:
        print(f"report.py: gnuplot failed for {png}: {result.stderr.strip()}", file=sys.stderr)
        return False
    return True


def plot(rows, prefix):
    made = []
    if not shutil.which("gnuplot"):
        print("report.py: no gnuplot: no plots", file=sys.stderr)
        return made
    for suffix, title, bench, patterns in PLOTS:
        chosen = [r for r in rows if r["bench"] == bench]
        png = f"{prefix}-{suffix}.png"
        if chosen and plot_one(png, title, bench, chosen, patterns):
            made.append((png, title))
    return made


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    rows = parse(argv[1])
    prefix, machine = argv[2], argv[3]
    with open(prefix + ".json", "w") as f:
        json.dump({"machine": machine, "accelerator": ACCEL, "results": rows}, f, indent=1)
    plots = plot(rows, prefix)
    with open(prefix + ".md", "w") as f:
        f.write(table(rows, machine, plots))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
