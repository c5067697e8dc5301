#include "shout.hpp"

#include <optional>
#include <string>

namespace berth::examples {

namespace {

char upper(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

}  // namespace

task<> shout(address /*peer*/, reader& r, writer& w) {
    // Bounded by the client: every turn consumes one line, or the stream has ended.
    while (std::optional<std::string> line = co_await r.read_line()) {
        for (char& c : *line)
            c = upper(c);
        line->push_back('\n');
        w.write(*line);
        if (!co_await w.flushed()) co_return;  // the client left before the answer
    }
}

}  // namespace berth::examples
