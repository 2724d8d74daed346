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

bench_result() { # bench metric system value unit [runs [vs]] (vs: see bench/report.py)
    echo "RESULT bench=$1 metric=$2 system=$3 value=$4 unit=$5 runs=${6:-$BENCH_RUNS}${7:+ vs=$7}"
}

# The tests' helpers (namespaces, services, CPU time); the benchmarks source them too.
if ! declare -F unic_cpu_ms >/dev/null; then
    . "$(dirname "${BASH_SOURCE[0]}")/../tests/integration/lib.sh"
fi

# CPU seconds (user + system) a process has used so far: lib.sh's unic_cpu_ms.
bench_cpu_seconds() {
    local ms
    ms=$(unic_cpu_ms "$1")
    printf '%d.%03d\n' $((ms / 1000)) $((ms % 1000))
}
