// Positional arguments of the benchmark programs: a whole number in a range, or a
// clear message and exit status 2.
#pragma once

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace berth::bench {

/// argv[index] as an integer in [min, max], `fallback` when absent. Anything else
/// ends the program with a message that names the argument and its range.
inline int positional_argument(int argc, char** argv, int index, const char* name, int fallback,
                               int min, int max) {
    if (argc <= index) return fallback;
    const char* text = argv[index];
    const char* end = text + std::strlen(text);
    int value = 0;
    const auto [stop, error] = std::from_chars(text, end, value);
    if (error != std::errc() || stop != end || value < min || value > max) {
        std::fprintf(stderr, "%s: %s must be a whole number from %d to %d (got '%s')\n", argv[0],
                     name, min, max, text);
        std::exit(2);
    }
    return value;
}

}  // namespace berth::bench
