#!/usr/bin/env bash
# Checks berth as its users consume it (docs/install.md): builds the libraries once
# (Release, no tests, every backend), installs them to a temporary prefix and moves
# that prefix (the installed files must not remember where they were put), then
# builds and runs the consumers in tests/consumers/:
#
#   find_package   CMake's find_package(berth 0.1 CONFIG REQUIRED COMPONENTS ...)
#   pkg_config     g++ with pkg-config's flags only, one .pc file per component
#   subproject     add_subdirectory and FetchContent from this tree, no install
#   negative       what find_package must refuse, with a message naming it
#
# Run from anywhere, after scripts/install-deps.sh. Exits non-zero at the first
# failure, saying which check failed, with that step's output. Uses ccache when it
# is installed. --keep leaves the temporary directory for a look afterwards.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
consumers=$root/tests/consumers
keep=false
for arg in "$@"; do
    case "$arg" in
        --keep) keep=true ;;
        *) echo "check-consumers.sh: unknown argument '$arg' (expected nothing or --keep)" >&2; exit 2 ;;
    esac
done

for tool in cmake ninja g++ pkg-config; do
    command -v "$tool" >/dev/null ||
        { echo "check-consumers.sh: $tool not found (run scripts/install-deps.sh)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-consumers.XXXXXX")
if $keep; then
    trap 'echo "check-consumers.sh: kept $work"' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/logs" "$work/bin"

cmake_args=(-G Ninja)
cxx=g++
if command -v ccache >/dev/null; then
    cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cxx="ccache g++"
fi
start=$(date +%s)

fail() {
    echo "check-consumers.sh: FAILED: $*" >&2
    exit 1
}

# step NAME COMMAND...: runs COMMAND, its output in logs/NAME.log; on failure shows
# the end of that output and stops.
step() {
    local name=$1
    shift
    echo "check-consumers.sh: $name"
    if ! "$@" >"$work/logs/$name.log" 2>&1; then
        tail -n 40 "$work/logs/$name.log" >&2
        fail "$name (command: $*)"
    fi
}

# refused NAME PATTERN COMMAND...: COMMAND must fail, and its output must contain
# PATTERN (a fixed string, the thing that was asked for).
refused() {
    local name=$1 pattern=$2
    shift 2
    echo "check-consumers.sh: $name"
    if "$@" >"$work/logs/$name.log" 2>&1; then
        fail "$name: the command succeeded, it must fail (command: $*)"
    fi
    # CMake wraps its messages: compare with the line breaks taken out.
    if ! tr -s ' \n' ' ' <"$work/logs/$name.log" | grep -qF -- "$pattern"; then
        tail -n 40 "$work/logs/$name.log" >&2
        fail "$name: failed, but its output does not say \"$pattern\""
    fi
}

# --- berth, built once and installed -------------------------------------------------
step configure-berth cmake -S "$root" -B "$work/berth" "${cmake_args[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DBERTH_BUILD_TESTS=OFF -DBERTH_BUILD_EXAMPLES=OFF \
    -DBERTH_BACKEND_SIM=ON -DBERTH_BACKEND_ASIO=ON -DBERTH_BACKEND_UV=ON \
    -DCMAKE_INSTALL_PREFIX="$work/installed"
step build-berth cmake --build "$work/berth" -j2
step install-berth cmake --install "$work/berth"
# Relocatable: everything below uses the prefix in its new place only.
mv "$work/installed" "$work/prefix"
prefix=$work/prefix
pc_dir=$(dirname "$(find "$prefix" -name berth-core.pc -print -quit)")
[ -d "$pc_dir" ] || fail "install-berth: no berth-core.pc under $prefix"
for component in core engine posix sim asio uv; do
    [ -f "$pc_dir/berth-$component.pc" ] || fail "install-berth: berth-$component.pc not installed"
done
# Every berth header an installed header includes is installed too.
headers_complete() {
    local missing=0 header included
    while IFS= read -r header; do
        while IFS= read -r included; do
            if [ ! -f "$prefix/include/$included" ]; then
                echo "${header#"$prefix/include/"} includes $included, which is not installed"
                missing=1
            fi
        done < <(sed -n 's|^#include "\(berth/[^"]*\)".*|\1|p' "$header")
    done < <(find "$prefix/include/berth" -name '*.hpp')
    return "$missing"
}
step installed-headers-complete headers_complete

# --- find_package ------------------------------------------------------------------------
step configure-find-package cmake -S "$consumers/find_package" -B "$work/find_package" \
    "${cmake_args[@]}" -DCMAKE_PREFIX_PATH="$prefix"
step build-find-package cmake --build "$work/find_package" -j2
for program in asio_echo uv_echo sim_echo; do
    step "run-find-package-$program" timeout 60 "$work/find_package/$program"
done

# --- pkg-config ----------------------------------------------------------------------------
step build-pkg-config env PKG_CONFIG_PATH="$pc_dir" CXX="$cxx" \
    "$consumers/pkg_config/build.sh" "$work/bin"
for program in uv_echo asio_echo sim_echo; do
    step "run-pkg-config-$program" timeout 60 "$work/bin/$program"
done
# The Release archives hold GCC's LTO objects: fat ones, or clang could not link
# them. clang-16 comes with scripts/install-deps.sh --all; without it, skipped.
if command -v clang++-16 >/dev/null; then
    clang_link() {
        # shellcheck disable=SC2046  # pkg-config's flags split into words on purpose
        clang++-16 -std=c++20 -o "$work/bin/sim_echo_clang" "$consumers/src/sim_echo.cpp" \
            $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs berth-sim)
    }
    step link-with-clang clang_link
    step run-clang-sim_echo timeout 60 "$work/bin/sim_echo_clang"
else
    echo "check-consumers.sh: link-with-clang skipped (no clang++-16)"
fi

# --- subproject --------------------------------------------------------------------------
# The bait must trip berth's warnings, or its clean compile in the subproject
# consumers would prove nothing.
refused warning-bait-is-real "[-Werror=old-style-cast]" \
    g++ -std=c++20 -fsyntax-only -Werror -Wall -Wold-style-cast -Wshadow -Wsign-conversion \
    -I"$root/core/include" "$consumers/subproject/warning_bait.cpp"
for how in add_subdirectory FetchContent; do
    step "configure-subproject-$how" cmake -S "$consumers/subproject" -B "$work/sub-$how" \
        "${cmake_args[@]}" -DBERTH_SOURCE_DIR="$root" -DBERTH_CONSUMER_HOW="$how"
    step "build-subproject-$how" cmake --build "$work/sub-$how" -j2
    step "run-subproject-$how-sim_echo" timeout 60 "$work/sub-$how/sim_echo"
    if [ "$how" = add_subdirectory ]; then
        step "run-subproject-$how-asio_echo" timeout 60 "$work/sub-$how/asio_echo"
    fi
done

# --- what find_package must refuse ---------------------------------------------------------
# negative PREFIX CMAKE-ARGS...: configures tests/consumers/negative against PREFIX.
negative() {
    local install=$1
    shift
    rm -rf "$work/negative"
    cmake -S "$consumers/negative" -B "$work/negative" -DCMAKE_PREFIX_PATH="$install" "$@"
}
refused refuse-unknown-component "no component 'nosuch'" negative "$prefix" -DBERTH_ASK=nosuch
refused refuse-unknown-component-among-known "no component 'nosuch'" \
    negative "$prefix" "-DBERTH_ASK=asio;nosuch"
refused refuse-version-0.2 'compatible with requested version "0.2"' \
    negative "$prefix" -DBERTH_ASK=core -DBERTH_ASK_VERSION=0.2
refused refuse-version-1.0 'compatible with requested version "1.0"' \
    negative "$prefix" -DBERTH_ASK=core -DBERTH_ASK_VERSION=1.0
step accept-version-0.1.0 negative "$prefix" -DBERTH_ASK=core -DBERTH_ASK_VERSION=0.1.0
step accept-optional-unknown-component negative "$prefix" -DBERTH_ASK=nosuch \
    -DBERTH_ASK_OPTIONAL=ON

# An installation without the libuv backend: the same build, reconfigured (nothing
# else is recompiled), installed to a second prefix.
step configure-berth-without-uv cmake -S "$root" -B "$work/berth" -DBERTH_BACKEND_UV=OFF
step build-berth-without-uv cmake --build "$work/berth" -j2
step install-berth-without-uv cmake --install "$work/berth" --prefix "$work/prefix-without-uv"
refused refuse-component-not-built "component 'uv' was not built" \
    negative "$work/prefix-without-uv" -DBERTH_ASK=uv
step accept-asio-without-uv negative "$work/prefix-without-uv" -DBERTH_ASK=asio

echo "check-consumers.sh: passed in $(($(date +%s) - start)) s"
