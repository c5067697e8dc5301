#!/bin/sh
# Builds berth-sim with g++ and with clang++-16 and checks that both give the same
# trace hash for every seed of a range: the simulator's runs must not depend on
# the compiler or its standard library.
#
# usage: scripts/sim-determinism.sh [SEEDS] [FIRST]     (default: 500 seeds from 1)
# Build directories: build/sim-determinism-gcc and build/sim-determinism-clang in
# this checkout (override with BERTH_SIM_GCC_DIR / BERTH_SIM_CLANG_DIR). They are the
# checkout's own: a directory outside it, shared by every checkout on the machine,
# holds a CMake cache of another source tree, which CMake refuses.
set -eu

seeds=${1:-500}
first=${2:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
gcc_dir=${BERTH_SIM_GCC_DIR:-$root/build/sim-determinism-gcc}
clang_dir=${BERTH_SIM_CLANG_DIR:-$root/build/sim-determinism-clang}

build() {
    dir=$1
    compiler=$2
    cmake -G Ninja -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_COMPILER="$compiler" -DBERTH_BUILD_TESTS=OFF -DBERTH_BUILD_EXAMPLES=OFF \
        -DBERTH_BACKEND_ASIO=OFF -DBERTH_BACKEND_UV=OFF >/dev/null
    cmake --build "$dir" --target berth-sim >/dev/null
}

build "$gcc_dir" g++
build "$clang_dir" clang++-16

"$gcc_dir/backends/sim/berth-sim" --hash --first "$first" --seeds "$seeds" >"$gcc_dir/hashes.txt" || true
"$clang_dir/backends/sim/berth-sim" --hash --first "$first" --seeds "$seeds" >"$clang_dir/hashes.txt" || true

# Only the "SEED HASH" lines: failure reports, if any, are compared by their seed.
grep -E '^[0-9]+ [0-9a-f]+$' "$gcc_dir/hashes.txt" >"$gcc_dir/hashes.only"
grep -E '^[0-9]+ [0-9a-f]+$' "$clang_dir/hashes.txt" >"$clang_dir/hashes.only"

count=$(wc -l <"$gcc_dir/hashes.only")
if [ "$count" -ne "$seeds" ]; then
    echo "sim-determinism: expected $seeds hashes, g++ build gave $count" >&2
    exit 1
fi
if ! diff -q "$gcc_dir/hashes.only" "$clang_dir/hashes.only" >/dev/null; then
    echo "sim-determinism: g++ and clang++-16 builds disagree; first difference:" >&2
    diff "$gcc_dir/hashes.only" "$clang_dir/hashes.only" | head -4 >&2
    seed=$(diff "$gcc_dir/hashes.only" "$clang_dir/hashes.only" | grep '^<' | head -1 | cut -d' ' -f2)
    echo "compare the text traces: berth-sim --seed $seed --text FILE with each build" >&2
    exit 1
fi
echo "sim-determinism: g++ and clang++-16 agree on $seeds seeds from $first"
