# Shared functions of the benchmarks; sourced. A benchmark prints its figures as lines
#   RESULT bench=<name> metric=<metric> system=<system> value=<number> unit=<unit> runs=<n>
# (value is already the median of n runs); bench/run collects them into JSON, a Markdown table
# and plots. Benchmarks obey the network rule of the tests: their own namespaces, 10.x
# addresses inside them only, bounded loops, everything deleted on exit.

BENCH_RUNS=${BENCH_RUNS:-3}

bench_log() { echo "[bench] $*" >&2; }

# bench_median N1 N2 ...: the median (the mean of the middle two for an even count).
bench_median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR+1)/2]; else printf "%.6g\n", (v[NR/2] + v[NR/2+1]) / 2 }'
}

bench_result() { # bench metric system value unit [runs]
    echo "RESULT bench=$1 metric=$2 system=$3 value=$4 unit=$5 runs=${6:-$BENCH_RUNS}"
}

# CPU seconds (user + system) a process has used so far, from /proc/PID/stat.
bench_cpu_seconds() {
    local hz
    hz=$(getconf CLK_TCK)
    sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$hz" '{printf "%.3f\n", ($12 + $13) / hz}'
}
