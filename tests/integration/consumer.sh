#!/bin/bash
# ctest: heavy
# unic as a library others build on, on one platform: a project that scripts/new-service writes
# outside the tree (UDP echo on port 7) is built
#  1. against an installed unic: `cmake --install` of the hosted and the kvm build (whichever
#     exist) side by side into one temporary prefix, then find_package(unic) with
#     -DUNIC_PLATFORM=<platform>;
#  2. with unic's sources through add_subdirectory (-DUNIC_SOURCE_DIR);
#  3. hosted only: by hand with `cc ... $(pkg-config --cflags --libs unic)`;
# and each build must log its start line and echo datagrams back (hosted: a process on the TAP
# in the namespace; kvm: the image booted under QEMU), then stop with status 0.
# Usage: consumer.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" consumer
unic_need cmake python3 pkg-config

hosted_build=$(dirname "$UNIC_HOSTED_BIN")
kvm_build=$(dirname "$UNIC_KVM_BIN")
[ "$UNIC_PLATFORM" = hosted ] && own_build=$hosted_build || own_build=$kvm_build
[ -f "$own_build/CMakeCache.txt" ] || unic_skip "no $UNIC_PLATFORM build in $own_build"

prefix=$UNIC_TMP/prefix
for build in "$hosted_build" "$kvm_build"; do
    [ -f "$build/CMakeCache.txt" ] || continue
    cmake --install "$build" --prefix "$prefix" >"$UNIC_TMP/install.log" 2>&1 ||
        unic_fail "cmake --install $build failed: $(tail -5 "$UNIC_TMP/install.log")"
done
[ -f "$prefix/lib/cmake/unic/unic-$UNIC_PLATFORM-targets.cmake" ] ||
    unic_fail "the install has no $UNIC_PLATFORM targets"

name=udpecho
project=$UNIC_TMP/$name
"$UNIC_SOURCE_DIR/scripts/new-service" "$name" "$project" >/dev/null ||
    unic_fail "scripts/new-service failed"

# consumer_build DIR CMAKE-OPTIONS...: configure and build the project in DIR.
consumer_build() {
    local dir=$1
    shift
    timeout 600 cmake -S "$project" -B "$dir" -DUNIC_PLATFORM="$UNIC_PLATFORM" \
        -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.log" 2>&1 &&
        timeout 600 cmake --build "$dir" -j"$(nproc)" >>"$dir.log" 2>&1 ||
        unic_fail "building $(basename "$dir") failed: $(tail -15 "$dir.log")"
}

# echo_check DIR WHAT: start the service built in DIR, check its start line and its echo, stop it.
echo_check() {
    local dir=$1 what=$2 out
    if [ "$UNIC_PLATFORM" = hosted ]; then
        UNIC_HOSTED_BIN=$dir
    else
        UNIC_KVM_BIN=$dir
    fi
    unic_start "$name"
    unic_wait_ready
    out=$(unic_ns -t 30 python3 - "$UNIC_SVC_IP" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.connect((sys.argv[1], 7))
for size in (1, 100, 1472, 3000):
    data = os.urandom(size)
    for _ in range(5):
        s.send(data)
        try:
            if s.recv(4096) == data:
                break
        except socket.timeout:
            continue
    else:
        sys.exit("no echo of %d bytes" % size)
print("echo ok")
PY
    ) || unic_fail "$what: $out"
    grep -q "$name: UDP echo on port 7" "$UNIC_LOG" || unic_fail "$what: no start line in its log"
    unic_stop
    [ "$UNIC_STATUS" = 0 ] || unic_fail "$what: exit status $UNIC_STATUS"
    unic_pass "$what: start line logged, UDP echo of 1..3000 bytes, clean stop"
}

start=$SECONDS
consumer_build "$UNIC_TMP/installed" -DCMAKE_PREFIX_PATH="$prefix"
unic_figure "find_package build: $((SECONDS - start)) s"
start=$SECONDS
consumer_build "$UNIC_TMP/subdir" -DUNIC_SOURCE_DIR="$UNIC_SOURCE_DIR" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
unic_figure "add_subdirectory build (unic compiled along): $((SECONDS - start)) s"
commands=$UNIC_TMP/subdir/compile_commands.json
grep -q -- "-Wshadow" "$commands" || unic_fail "add_subdirectory: unic's own sources lack its warnings"
if grep -B2 -A2 "$name.c" "$commands" | grep -q -- "-Werror\|-Wshadow"; then
    unic_fail "add_subdirectory: unic forced its warning set (or -Werror) on the parent's service"
fi
if [ "$UNIC_PLATFORM" = hosted ]; then
    mkdir -p "$UNIC_TMP/pkgconfig"
    PKG_CONFIG_PATH=$prefix/lib/pkgconfig
    export PKG_CONFIG_PATH
    # shellcheck disable=SC2046 # the flags are separate words
    cc -std=c11 -o "$UNIC_TMP/pkgconfig/$name" "$project/$name.c" \
        $(pkg-config --cflags --libs unic) >"$UNIC_TMP/pkgconfig.log" 2>&1 ||
        unic_fail "pkg-config build failed: $(tail -15 "$UNIC_TMP/pkgconfig.log")"
fi

unic_netns
echo_check "$UNIC_TMP/installed" "find_package(unic) build"
echo_check "$UNIC_TMP/subdir" "add_subdirectory(unic) build"
[ "$UNIC_PLATFORM" = hosted ] && echo_check "$UNIC_TMP/pkgconfig" "pkg-config build"
unic_pass "a project made by scripts/new-service builds against unic and answers UDP echo"
