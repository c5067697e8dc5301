#!/usr/bin/env bash
# Fails when a C++ file of the project differs from what .clang-format makes of it.
# With --fix, rewrites the files instead.
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format-16}
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.hpp' '*.cpp' | grep -v '^fuzz/corpus/')
if [ "${1:-}" = "--fix" ]; then
    "$clang_format" -i "${files[@]}"
else
    "$clang_format" --dry-run -Werror "${files[@]}"
    echo "check-format: ${#files[@]} files formatted as .clang-format says"
fi
