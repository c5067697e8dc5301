#include "thread_echo.hpp"

#include <optional>
#include <string>

namespace berth::reuseport {

task<> serve_thread_echo(unsigned thread_index, address /*peer*/, reader& r, writer& w) {
    // Bounded by the client: every turn consumes one line, or the stream has ended.
    while (std::optional<std::string> line = co_await r.read_line()) {
        if (*line == "thread") {
            w.write("thread " + std::to_string(thread_index) + "\n");
        } else {
            line->push_back('\n');
            w.write(*line);
        }
        // A client that sends without reading waits here, not in the writer.
        if (!co_await w.flushed()) co_return;
    }
}

reader_writer_handler thread_echo_handler(unsigned thread_index) {
    return [thread_index](address peer, reader& r, writer& w) {
        return serve_thread_echo(thread_index, peer, r, w);
    };
}

}  // namespace berth::reuseport
