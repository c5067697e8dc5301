#!/usr/bin/env bash
# The core's line and branch coverage: builds and runs the core's tests (unit,
# property, fuzz corpus replay) with gcc's --coverage through the `coverage`
# workflow preset, then reports core/src with Debian's gcovr 5.2.
#
#   scripts/coverage.sh [build-dir]     (default: build/coverage, the preset's)
#
# Prints line and branch percentages, writes the HTML report to
# <build-dir>/coverage/index.html, and fails if branch coverage of core/src falls
# below the threshold (the value reached when it was set, rounded down).
#
# gcc counts a branch for every call that may throw and for code it generates
# (destructors on unwinding, ...); --exclude-throw-branches and
# --exclude-unreachable-branches drop those, so the figure counts the decisions
# written in the source. The branches of BERTH_ASSERT lines are excluded too: the
# side that fails is never taken unless the core is broken. docs/coverage.md says what is left uncovered and why.
set -euo pipefail

branch_threshold_percent=98

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build_dir=${1:-build/coverage}
start_s=$(date +%s)

# ccache, when there is one, keeps a second run cheap; the workflow takes no -D, and
# CMake reads the launcher from the environment.
if command -v ccache >/dev/null 2>&1; then
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
fi

if [[ "$build_dir" == build/coverage ]]; then
  # Counts from an earlier run would be added to this one's.
  [[ -d "$build_dir" ]] && find "$build_dir" -name '*.gcda' -delete
  cmake --workflow --preset coverage
else
  # Another build dir: the same steps as the workflow, with -B.
  [[ -d "$build_dir" ]] && find "$build_dir" -name '*.gcda' -delete
  cmake --preset coverage -B "$build_dir"
  cmake --build "$build_dir" -j2 --target berth_core_unit_tests berth_property_tests \
    berth_core_fuzz_replay
  ctest --test-dir "$build_dir" -j2 --output-on-failure --timeout 300 -R '^(core|property|fuzz)/'
fi

report_dir="$build_dir/coverage"
rm -rf "$report_dir"
mkdir -p "$report_dir"
gcovr_flags=(
  --root "$root"
  --filter "$root/core/src/"
  --exclude-throw-branches
  --exclude-unreachable-branches
  # An assertion's failing side is a bug by definition: no correct test takes it.
  --exclude-branches-by-pattern '.*BERTH_ASSERT\(.*'
  -j 2
)
# One pass over the counts (gcov runs here), kept as JSON; the reports are made from it.
gcovr "${gcovr_flags[@]}" --json "$report_dir/coverage.json" "$build_dir"
from_json=(--add-tracefile "$report_dir/coverage.json" --root "$root")
echo "Branches of core/src, by file (the least covered first):"
gcovr "${from_json[@]}" --branches --sort-uncovered
set +e
gcovr "${from_json[@]}" --html-details "$report_dir/index.html" \
  --html-title "berth: core/src coverage" --print-summary \
  --fail-under-branch "$branch_threshold_percent"
status=$?
set -e
echo "HTML report: $report_dir/index.html ($(($(date +%s) - start_s)) s in all)"
if ((status != 0)); then
  echo "coverage.sh: branch coverage of core/src is under ${branch_threshold_percent}% (gcovr status $status)" >&2
  exit 1
fi
