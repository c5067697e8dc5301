#!/usr/bin/env bash
# Installs what berth needs from Debian bookworm's packages, and nothing that is
# already there. Idempotent: a second run installs nothing.
#
#   scripts/install-deps.sh          build, test and run (g++, CMake, Ninja, libraries)
#   scripts/install-deps.sh --all    also clang-16 (the fuzz and tsan presets), clang-format,
#                                    clang-tidy, Doxygen (the docs target) and gcovr (coverage)
#   scripts/install-deps.sh --bench  also what bench/run compares berth with (Poco, libevent,
#                                    Node.js), wrk, gnuplot and python3 (both flags may be given)
set -euo pipefail

packages=(
    g++ cmake ninja-build pkg-config git python3
    libboost1.81-dev libuv1-dev librapidcheck-dev doctest-dev libbenchmark-dev
    libclang-rt-16-dev  # FuzzedDataProvider.h, for the fuzz corpus replay test
    libssl-dev openssl  # the TLS echo example and its test certificate
)
for arg in "$@"; do
    case "$arg" in
        --all) packages+=(clang-16 clang-format-16 clang-tidy-16 doxygen gcovr) ;;
        --bench) packages+=(libpoco-dev libevent-dev nodejs wrk gnuplot-nox python3) ;;
        *) echo "install-deps.sh: unknown argument '$arg' (expected nothing, --all or --bench)" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps.sh: run as root (missing: ${missing[*]})" >&2; exit 1; }
    sudo=(sudo)
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
