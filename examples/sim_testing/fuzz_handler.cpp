// libFuzzer target: the key-value handler (kv_store.hpp) in simulated worlds built
// from the input (berth/sim/fuzz.hpp): clients arriving, what each sends and when,
// resets, clients that stop reading, descriptor exhaustion, partial writes, accept
// faults, closes and drains. Besides the world's own checks (invariants,
// descriptors closed once, liveness), it checks the protocol's promises:
//
//   - replies come in order, one per request line: `ok` for a set, `value V` or
//     `missing` for a get, `error ...` for anything else; never more replies than
//     request lines (checked after every read, and at the end);
//   - a `value V` answering `get K` holds a V that some client sent in `set K V`;
//   - a well-behaved client (it read throughout, half-closed, saw the server's clean
//     end) that got replies, and that the server had no reason to cut short, got a
//     reply to every line.
//
// Building it (clang) and running it: README.md.
#include "fuzz_handler.hpp"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kv_store.hpp"

namespace berth::examples::kv {

namespace {

fuzz_reach reached;

// The request lines a client sent: each ended by "\n", without a "\r" before it.
// An unterminated rest is no request.
std::vector<std::string_view> request_lines(std::string_view sent) {
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    while (pos < sent.size()) {
        const std::size_t newline = sent.find('\n', pos);
        if (newline == std::string_view::npos) break;
        std::string_view line = sent.substr(pos, newline - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        pos = newline + 1;
    }
    return lines;
}

std::vector<std::string_view> reply_lines(std::string_view received) {
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    for (std::size_t newline = received.find('\n'); newline != std::string_view::npos;
         newline = received.find('\n', pos)) {
        lines.push_back(received.substr(pos, newline - pos));
        pos = newline + 1;
    }
    return lines;
}

// Whether `reply` is the right kind of answer to `line`; else what is wrong.
std::string check_one(std::string_view line, std::string_view reply) {
    const request q = parse_request(line);
    switch (q.what) {
        case request::kind::set:
            if (reply == "ok") return {};
            break;
        case request::kind::get:
            if (reply == "missing" || reply.starts_with("value ")) return {};
            break;
        case request::kind::invalid:
            if (reply == "error " + q.value) return {};
            break;
    }
    return "'" + std::string(line.substr(0, 60)) + "' answered '" +
           std::string(reply.substr(0, 60)) + "'";
}

std::string check_replies(const sim::fuzz_client_report& c) {
    const std::vector<std::string_view> requests = request_lines(c.sent);
    const std::vector<std::string_view> replies = reply_lines(c.received);
    if (replies.size() > requests.size()) {
        return std::to_string(replies.size()) + " replies to " + std::to_string(requests.size()) +
               " request lines";
    }
    for (std::size_t i = 0; i < replies.size(); ++i) {
        std::string wrong = check_one(requests[i], replies[i]);
        if (!wrong.empty()) return "reply " + std::to_string(i) + ": " + wrong;
    }
    return {};
}

bool explained_error(std::string_view what) {
    return what.starts_with("writer buffer ") ||
           what.starts_with("accept on the listening socket failed");
}

std::string check_world(const sim::fuzz_report& r) {
    for (const std::string& e : r.raised)
        if (!explained_error(e)) return "an error the handler cannot make was raised: " + e;
    for (const std::string& e : r.handler_errors) {
        const std::size_t colon = e.find(": ");
        if (!explained_error(colon == std::string::npos ? e : e.substr(colon + 2)))
            return "the call policy saw an error the handler cannot make: " + e;
    }
    // Every value any client set, per key; and the longest, to bound what is owed.
    std::map<std::string, std::set<std::string>, std::less<>> values;
    for (const sim::fuzz_client_report& c : r.clients) {
        for (std::string_view line : request_lines(c.sent)) {
            const request q = parse_request(line);
            if (q.what == request::kind::set) values[q.key].insert(q.value);
        }
    }
    for (const sim::fuzz_client_report& c : r.clients) {
        const std::string who = "client " + std::to_string(c.number) + " (" + c.address + ")";
        if (std::string wrong = check_replies(c); !wrong.empty()) return who + ": " + wrong;
        const std::vector<std::string_view> requests = request_lines(c.sent);
        const std::vector<std::string_view> replies = reply_lines(c.received);
        std::uint64_t owed_bytes = 0;
        for (std::size_t i = 0; i < requests.size(); ++i) {
            const request q = parse_request(requests[i]);
            std::size_t longest = 0;
            if (q.what == request::kind::get) {
                if (const auto it = values.find(q.key); it != values.end())
                    for (const std::string& v : it->second)
                        longest = std::max(longest, v.size());
            }
            owed_bytes += 8 + q.value.size() + longest;  // at least the reply's size
            if (i >= replies.size()) continue;
            if (q.what == request::kind::set) ++reached.sets_acknowledged;
            if (q.what == request::kind::invalid) ++reached.errors;
            if (q.what != request::kind::get) continue;
            if (replies[i] == "missing") {
                ++reached.gets_missing;
                continue;
            }
            const std::string_view value = replies[i].substr(6);
            const auto it = values.find(q.key);
            if (it == values.end() || it->second.find(std::string(value)) == it->second.end()) {
                return who + ": 'get " + q.key + "' answered a value no client set: '" +
                       std::string(value.substr(0, 60)) + "'";
            }
            ++reached.gets_with_value;
        }
        // A connection dropped at accept (drop mode, shed, after close) ends cleanly
        // with no reply at all: only a client that got replies is owed all of them.
        if (!c.well_behaved() || replies.empty() || r.may_have_cut(c, owed_bytes)) continue;
        ++reached.well_behaved_clients;
        if (replies.size() != requests.size()) {
            return who + " (well behaved) saw the server's clean end after " +
                   std::to_string(replies.size()) + " replies to " +
                   std::to_string(requests.size()) + " request lines";
        }
    }
    return {};
}

}  // namespace

const fuzz_reach& fuzz_reached() {
    return reached;
}

sim::fuzz_target kv_fuzz_target(store& s) {
    sim::fuzz_target t;
    t.create = handler(s);
    t.check_reply = [](const sim::fuzz_client_report& c, std::string_view) {
        return check_replies(c);
    };
    t.check = check_world;
    return t;
}

sim::fuzz_result run_kv_fuzz(std::span<const std::uint8_t> bytes,
                             const sim::fuzz_run_options& options) {
    store s;  // a fresh store per input: the run is a function of the bytes
    return sim::run_fuzzed_world(bytes, kv_fuzz_target(s), options);
}

}  // namespace berth::examples::kv

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    berth::examples::kv::store s;
    berth::sim::run_fuzzed_world_or_abort(std::span<const std::uint8_t>(data, size),
                                          berth::examples::kv::kv_fuzz_target(s));
    return 0;
}
