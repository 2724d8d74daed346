#!/bin/bash
# Every example declares its options (issue 10): for each service under examples/,
#  - `NAME --help` exits 0 and its "service options (NAME: ...)" part lists every option the
#    example's sources declare in a struct option_spec table ({"--name", OPTION_...});
#  - `NAME -- --bogus` exits 2 with exactly one line, "NAME: unknown option '--bogus' (try
#    --help)".
# Both end in the option parser, before any device is opened: no TAP, no packets, no namespace.
# Usage: examples_help.sh SOURCE_DIR BIN_DIR
set -u
src=$1 bin=$2
# Declared in an example's sources but not by its unic service: dns-linux's own (main_linux.c).
not_the_service="dns:--listen"
fail=0
checked=0

for dir in "$src"/examples/*/; do
    name=$(basename "$dir")
    grep -q "unic_add_service($name\b" "$dir/CMakeLists.txt" 2>/dev/null || continue
    prog=$bin/$name
    if [ ! -x "$prog" ]; then
        echo "FAIL $name: no $prog"
        fail=1
        continue
    fi
    help=$(timeout 20 "$prog" --help 2>&1)
    status=$?
    [ "$status" -eq 0 ] || { echo "FAIL $name --help: status $status"; fail=1; }
    section=$(printf '%s\n' "$help" | sed -n "/^service options ($name: /,\$p")
    [ -n "$section" ] || { echo "FAIL $name --help: no 'service options ($name: ...)' part"; fail=1; }
    declared=$(grep -ho '{"--[a-z0-9-]*", *OPTION_' "$dir"*.c | sed 's/^{"\(--[a-z0-9-]*\)".*/\1/' |
        sort -u)
    listed=0
    for opt in $declared; do
        case " $not_the_service " in *" $name:$opt "*) continue ;; esac
        listed=$((listed + 1))
        printf '%s\n' "$section" | grep -q -- "^  $opt\b" ||
            { echo "FAIL $name --help does not list $opt"; fail=1; }
    done
    out=$(timeout 20 "$prog" -- --bogus 2>&1)
    status=$?
    want="$name: unknown option '--bogus' (try --help)"
    [ "$status" -eq 2 ] && [ "$out" = "$want" ] ||
        { echo "FAIL $name -- --bogus: status $status, '$out', expected 2, '$want'"; fail=1; }
    echo "$name: --help lists its $listed declared options; a bad one: status 2, one line"
    checked=$((checked + 1))
done
[ "$checked" -ge 7 ] || { echo "FAIL only $checked examples found under $src/examples"; fail=1; }
exit $fail
