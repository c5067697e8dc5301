#!/usr/bin/env python3
"""Applies each mutation of MUTATIONS.md to the core, one at a time, and checks that
the unit test named for it fails while every other unit test still passes; then
restores the source. Run from the repository root, with a configured build dir:

    tests/unit/check_mutations.py build/dev            # all of them
    tests/unit/check_mutations.py build/dev M3 M5      # some

Each mutation rebuilds the core and the unit tests (a minute or two each on two
cores). Exits 1 if a mutation survives its test. The source is restored even when
interrupted; never run it in a tree with uncommitted changes to core/."""
import pathlib
import subprocess
import sys

# name: (file, text, replacement, catching test (doctest wildcards), executable)
# Test names are matched with doctest's -tc, where ',' separates filters: '?'
# stands for each comma.
MUTATIONS = {
    "M1": ("core/src/accept_loop.cpp",
           "    ++stats_.shed;\n    back_off_delay_ns_ = back_off_initial_ns;\n",
           "    ++stats_.shed;\n",
           "A shed accept resets the back-off: the next pause is 5 ms? not double the last",
           "berth_core_unit_tests"),
    "M2": ("core/src/close.cpp",
           "if (phase_ == accept_phase::waiting_readable || phase_ == accept_phase::readable) {",
           "if (phase_ == accept_phase::waiting_readable) {",
           "close_requested between listener_readable and the next poll cancels the accept step",
           "berth_core_unit_tests"),
    "M3": ("core/src/connection.cpp",
           "id.index >= slots_.size()", "id.index > slots_.size()",
           "An id one past the slot table is unknown? whether the table is empty? partial or full",
           "berth_core_unit_tests_checked"),
    "M4": ("core/src/connection.cpp",
           "s.generation = s.generation == UINT32_MAX ? 1 : s.generation + 1;",
           "s.generation = s.generation + 1;",
           "A slot's generation wraps from UINT32_MAX to 1? never to 0",
           "berth_core_unit_tests"),
    "M5": ("core/src/server.cpp",
           "    if (poll_notice(out)) return out;\n    if (poll_completions(out)) return out;\n",
           "    if (poll_completions(out)) return out;\n    if (poll_notice(out)) return out;\n",
           "The drain-deadline notice comes before complete_close when both fall due at once",
           "berth_core_unit_tests"),
    "M6": ("core/src/writer_tracker.cpp",
           "if (now_ns - newest.buffered_at_ns < mark_spacing_ns_ || marks_count_ == marks_max) {",
           "if (now_ns - newest.buffered_at_ns < mark_spacing_ns_) {",
           "More spaced writes than the ring has marks keep the oldest byte's age? and trip the limit",
           "berth_core_unit_tests"),
    "M7a": ("core/src/invariant.cpp",
            "    if (held != held_by_close_)\n"
            "        return \"the count of sockets holding back close disagrees with the slots\";\n",
            "",
            "check_invariant catches a count of sockets holding back close that is off by one",
            "berth_core_unit_tests"),
    "M7b": ("core/src/invariant.cpp",
            "            if (server_closed) return \"a handler is waiting to start after close\";\n",
            "            static_cast<void>(server_closed);\n",
            "check_invariant catches a handler waiting to start on a closed server",
            "berth_core_unit_tests"),
    "M7c": ("core/src/invariant.cpp",
            "    if (closed_ && !start_list_.empty()) return \"handlers wait to start after close\";\n",
            "",
            "check_invariant catches a handler waiting to start on a closed server",
            "berth_core_unit_tests"),
    "M8": ("core/include/berth/core/server.hpp",
           "notice_interval_ns = 60 * ns_per_s;", "notice_interval_ns = 30 * ns_per_s;",
           "*notice_interval_ns is one minute*,*notice repeats 60 s after the last one*",
           "berth_core_unit_tests"),
}


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def check(build_dir, name):
    path, text, replacement, test, exe = MUTATIONS[name]
    source = pathlib.Path(path)
    original = source.read_text()
    if original.count(text) != 1:
        print(f"{name}: the text to mutate is not found once in {path}: update the table")
        return False
    source.write_text(original.replace(text, replacement))
    try:
        rc, out = run(["cmake", "--build", build_dir, "-j2", "--target", exe])
        if rc != 0:
            print(f"{name}: the mutant does not build\n{out[-2000:]}")
            return False
        binary = str(pathlib.Path(build_dir) / "tests/unit" / exe)
        caught, _ = run([binary, f"-tc={test}"])
        others, others_out = run([binary, f"-tce={test}"])
        survivors = [l for l in others_out.splitlines() if l.startswith("TEST CASE:")]
        print(f"{name} {path}: {'caught' if caught else 'SURVIVED'} by {test!r}; "
              f"other tests {'pass' if others == 0 else 'also fail: ' + repr(survivors)}")
        return caught != 0
    finally:
        source.write_text(original)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    names = sys.argv[2:] or list(MUTATIONS)
    ok = all([check(sys.argv[1], n) for n in names])
    # Rebuild the unmutated core so the build dir is left as the source says.
    run(["cmake", "--build", sys.argv[1], "-j2", "--target", "berth_core_unit_tests"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
