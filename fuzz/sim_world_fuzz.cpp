// libFuzzer target: the echo server (the line protocol's handlers, both forms) in a
// simulated world built from the input (berth/sim/fuzz.hpp): clients arriving,
// what each sends and when, clients that stop reading, resets, descriptor-exhaustion
// windows, partial writes, accept faults, closes and drains. Besides the world's own
// checks (invariants, descriptors closed once, liveness), it checks what the clients
// saw against a model of the line protocol:
//
//   - every client's received bytes are a prefix of the replies the handler owes it
//     for what it sent (checked after every read, and at the end);
//   - every well-behaved client (it read throughout, did not reset, shut down its
//     writing and saw the server's clean end) that got replies, and that the server
//     had no reason to cut short, got exactly all of them: its plain lines back in
//     order, and nothing else;
//   - every error the policy saw or raised is one the handler or its writer can make.
//
// The same function runs under the corpus replay (sim_world_replay.cpp, any compiler).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "berth/line_command.hpp"
#include "berth/line_protocol.hpp"
#include "berth/sim/fuzz.hpp"

namespace {

using berth::sim::fuzz_client_report;
using berth::sim::fuzz_report;

// One piece of what the handler writes: `head`, then `body` (a view into what the
// client sent), then a newline if `newline`, then `x_count` bytes of 'x' (a flood).
struct piece {
    std::string head;
    std::string_view body;
    bool newline = false;
    std::uint64_t x_count = 0;

    [[nodiscard]] std::uint64_t size() const {
        return head.size() + body.size() + (newline ? 1 : 0) + x_count;
    }
    [[nodiscard]] char at(std::uint64_t i) const {
        if (i < head.size()) return head[i];
        i -= head.size();
        if (i < body.size()) return body[i];
        i -= body.size();
        if (newline && i == 0) return '\n';
        return 'x';
    }
};

// The replies the line protocol's handler owes a client that sent `sent`, as the
// handler computes them (berth/line_protocol.hpp): each line, without its "\r\n" or
// "\n", parsed as a command; `at_end` when the server has seen (or may see) the end
// of the stream after `sent`, so that an unterminated rest is a line too.
struct replies {
    std::vector<piece> pieces;
    std::uint64_t bytes = 0;
    bool fails = false;  // a "fail" line: the handler's result is an error
};

replies line_protocol_replies(std::string_view sent, bool at_end) {
    replies out;
    const auto add = [&out](piece p) {
        out.bytes += p.size();
        out.pieces.push_back(std::move(p));
    };
    std::size_t pos = 0;
    while (pos < sent.size()) {
        std::string_view line;
        const std::size_t newline = sent.find('\n', pos);
        if (newline == std::string_view::npos) {
            if (!at_end) break;  // the rest of a line still to come
            line = sent.substr(pos);
            pos = sent.size();
        } else {
            line = sent.substr(pos, newline - pos);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            pos = newline + 1;
        }
        const berth::line_command command = berth::parse_line_command(line);
        switch (command.kind) {
            case berth::line_command_kind::echo:
            case berth::line_command_kind::sleep: add({"", line, true, 0}); continue;
            case berth::line_command_kind::quit: add({"bye\n", {}, false, 0}); return out;
            case berth::line_command_kind::fail: out.fails = true; return out;
            case berth::line_command_kind::flood: add({"", {}, false, command.amount}); continue;
            case berth::line_command_kind::read: {
                if (sent.size() - pos < command.amount) return out;  // waits, or the end came first
                const std::string_view bytes = sent.substr(pos, command.amount);
                pos += command.amount;
                add({"got " + std::to_string(command.amount) + ":", bytes, true, 0});
                continue;
            }
        }
    }
    return out;
}

// Whether received[from, end) matches the replies at the same offsets; else where not.
std::string compare(const replies& expected, std::string_view received, std::size_t from) {
    std::uint64_t offset = 0;
    std::size_t i = from;
    for (const piece& p : expected.pieces) {
        const std::uint64_t size = p.size();
        if (offset + size <= i) {
            offset += size;
            continue;
        }
        for (; i < received.size() && i < offset + size; ++i) {
            if (received[i] != p.at(i - offset)) {
                return "byte " + std::to_string(i) + " is '" + std::string(1, received[i]) +
                       "', the line protocol owes '" + std::string(1, p.at(i - offset)) + "'";
            }
        }
        if (i == received.size()) return {};
        offset += size;
    }
    if (i < received.size()) {
        return "received " + std::to_string(received.size()) + " bytes, the line protocol owes " +
               std::to_string(expected.bytes) + ": extra bytes from offset " + std::to_string(i);
    }
    return {};
}

std::string check_reply(const fuzz_client_report& c, std::string_view just_read) {
    const replies expected = line_protocol_replies(c.sent, c.shut_down_write);
    return compare(expected, c.received, c.received.size() - just_read.size());
}

bool explained_error(std::string_view what) {
    return what.find(berth::fail_requested) != std::string_view::npos ||
           what.starts_with("writer buffer ") ||
           what.starts_with("accept on the listening socket failed");
}

std::string check_world(const fuzz_report& r) {
    for (const std::string& e : r.raised) {
        if (!explained_error(e)) return "an error the echo handler cannot make was raised: " + e;
    }
    for (const std::string& e : r.handler_errors) {
        const std::size_t colon = e.find(": ");
        const std::string_view what = colon == std::string::npos
                                          ? std::string_view(e)
                                          : std::string_view(e).substr(colon + 2);
        if (!explained_error(what))
            return "the call policy saw an error the echo handler cannot make: " + e;
    }
    for (const fuzz_client_report& c : r.clients) {
        const replies expected = line_protocol_replies(c.sent, c.shut_down_write);
        const std::string prefix = compare(expected, c.received, 0);
        if (!prefix.empty()) return "client " + std::to_string(c.number) + ": " + prefix;
        // Everything owed, when nothing could rightly cut the connection short.
        if (!c.well_behaved() || c.received.empty() || expected.fails ||
            r.may_have_cut(c, expected.bytes)) {
            continue;
        }
        if (c.received.size() != expected.bytes) {
            return "client " + std::to_string(c.number) + " (well behaved, at " + c.address +
                   ") saw the server's clean end after " + std::to_string(c.received.size()) +
                   " of the " + std::to_string(expected.bytes) + " bytes owed";
        }
    }
    return {};
}

const berth::sim::fuzz_target& echo_target() {
    static const berth::sim::fuzz_target target = [] {
        berth::sim::fuzz_target t;
        t.create = berth::line_protocol_handler();
        t.create_sock = berth::line_protocol_sock_handler();
        t.check_reply = check_reply;
        t.check = check_world;
        return t;
    }();
    return target;
}

}  // namespace

namespace berth::sim::fuzz_echo {

/// The target, for the replay (sim_world_replay.cpp).
const fuzz_target& target() {
    return echo_target();
}

}  // namespace berth::sim::fuzz_echo

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    berth::sim::run_fuzzed_world_or_abort(std::span<const std::uint8_t>(data, size), echo_target());
    return 0;
}
