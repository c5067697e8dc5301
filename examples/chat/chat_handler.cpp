#include "chat_handler.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "berth/errors.hpp"

namespace berth::chat {

namespace {

bool nick_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

// Why `nick` cannot be used, or nothing. A nick never holds ':', so it never looks
// like another member's address.
std::optional<std::string> refuse_nick(const room& r, const member& self, std::string_view nick) {
    if (nick.empty() || nick.size() > nick_length_max) {
        return "a nick is 1 to " + std::to_string(nick_length_max) + " characters";
    }
    for (const char c : nick) {
        if (!nick_char(c))
            return std::string("a nick holds only letters, digits, '_', '-' and '.'");
    }
    if (nick != self.name() && r.name_taken(nick)) {
        return "the nick " + std::string(nick) + " is taken";
    }
    return std::nullopt;
}

void answer_command(room& r, member& self, std::string_view line, writer& out) {
    constexpr std::string_view nick_command = "/nick ";
    if (line.substr(0, nick_command.size()) != nick_command) {
        out.write("* error: unknown command (the one command is /nick NAME)\n");
        return;
    }
    const std::string_view nick = line.substr(nick_command.size());
    if (const std::optional<std::string> why = refuse_nick(r, self, nick)) {
        out.write("* error: " + *why + "\n");
        return;
    }
    r.rename(self, std::string(nick));
    out.write("* you are now " + self.name() + "\n");
}

}  // namespace

task<> serve_chat(room& r, address peer, reader& in, writer& out) {
    member self(r, out, peer.to_string());
    out.write("* welcome " + self.name() + "\n");
    // One slice of this handler broadcasts at most this much before it lets the loop
    // run, so that the other writers hand what they got to the kernel meanwhile: a
    // burst of lines the reader already holds (up to its 1 MiB) never piles up in
    // the writer of a client that keeps up until it trips buffer_limit_bytes.
    const std::uint64_t burst_max = std::max<std::uint64_t>(out.buffer_limit_bytes() / 4, 1);
    std::uint64_t burst = 0;
    // Bounded by the client: every turn consumes one line, or the stream has ended
    // (the client left, or the server closed the connection: a drain's deadline, a
    // writer that failed).
    for (;;) {
        std::optional<std::string_view> line;
        bool too_long = false;
        if (in.bytes_available() == 0) burst = 0;  // the read waits for the client
        try {
            line = co_await in.read_line_view();
        } catch (const line_too_long&) {
            // The reader's own bound (1 MiB without a newline): the input buffer never
            // holds more, whatever the client sends.
            too_long = true;
        }
        if (!too_long && !line) co_return;
        if (too_long || line->size() > line_length_max) {
            out.write("* error: line longer than " + std::to_string(line_length_max) +
                      " bytes; closing\n");
            // The handler's end flushes the error line, then the server closes.
            co_return;
        }
        if (line->empty()) continue;  // nothing to say
        if (line->front() == '/') {
            answer_command(r, self, *line, out);
        } else {
            r.broadcast(self, *line);
            burst += line->size() + self.name().size() + 3;
            if (burst >= burst_max) {
                burst = 0;
                co_await sleep_for(std::chrono::nanoseconds(0));
            }
        }
    }
}

reader_writer_handler chat_handler(room& r) {
    return [&r](address peer, reader& in, writer& out) { return serve_chat(r, peer, in, out); };
}

}  // namespace berth::chat
