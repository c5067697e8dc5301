#!/bin/sh
# Builds the pkg-config consumers with g++ and pkg-config's flags alone, one
# component each: the command a Makefile or any other build system would run.
# berth's .pc files leave the language standard to the consumer: C++20 or later.
#   PKG_CONFIG_PATH=<prefix>/lib/pkgconfig tests/consumers/pkg_config/build.sh <output dir>
set -eu
out=${1:?usage: build.sh <output directory>}
src=$(dirname "$0")/../src
cxx=${CXX:-g++}  # may hold a launcher: CXX="ccache g++"

for component in uv asio sim; do
    flags=$(pkg-config --cflags --libs "berth-$component")
    extra=""
    [ "$component" = sim ] || extra="$src/loopback_client.cpp"
    # $cxx, $extra and $flags split into words on purpose.
    # shellcheck disable=SC2086
    $cxx -std=c++20 -o "$out/${component}_echo" "$src/${component}_echo.cpp" $extra $flags
done
