// What every consumer of an installed (or embedded) berth shares: the portable
// handler it serves and a loopback client that checks the answer. Only berth's
// public headers and the C++20 standard library: a consumer sees nothing else.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "berth/handler.hpp"

namespace consumer {

/// The portable handler: answers each line with itself, until the client leaves.
inline berth::task<> echo(berth::address /*peer*/, berth::reader& r, berth::writer& w) {
    // Bounded by the client: every turn consumes one line, or the stream has ended.
    while (std::optional<std::string> line = co_await r.read_line()) {
        line->push_back('\n');
        w.write(*line);
        if (!co_await w.flushed()) co_return;  // the client left before the answer
    }
}

/// Connects to 127.0.0.1:`port`, sends `line` and a newline, and returns the first
/// line answered, without its newline; every wait is bounded (a few seconds). On
/// failure, a description starting with "error:".
std::string ask_loopback(std::uint16_t port, const std::string& line);

/// 0 when `got` is `want`; else prints both and returns 1.
inline int expect(const char* what, const std::string& got, const std::string& want) {
    if (got == want) {
        std::printf("%s: ok, answered '%s'\n", what, got.c_str());
        return 0;
    }
    std::fprintf(stderr, "%s: FAILED: expected '%s', got '%s'\n", what, want.c_str(), got.c_str());
    return 1;
}

}  // namespace consumer
