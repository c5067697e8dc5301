// The same seed gives the same trace, byte for byte (the determinism rule),
// and the trace written for Perfetto (Chrome's Trace Event format) says what the
// records say.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "berth/sim/swarm.hpp"
#include "berth/sim/trace.hpp"
#include "json_syntax.hpp"

namespace berth::sim {

namespace {

bool contains_text(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The first step after which two runs' trace hashes differ, or -1.
long long first_difference(const std::vector<std::uint64_t>& a,
                           const std::vector<std::uint64_t>& b) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) return static_cast<long long>(i + 1);
    }
    return a.size() == b.size() ? -1 : static_cast<long long>(n + 1);
}

}  // namespace

TEST_CASE("the same seed gives the same trace, step by step") {
    run_options options;
    options.step_hashes = true;
    for (std::uint64_t seed = 1; seed <= 150; ++seed) {
        const run_result first = run_swarm(seed, options);
        const run_result second = run_swarm(seed, options);
        const long long step =
            first_difference(first.trace.step_hashes(), second.trace.step_hashes());
        INFO("seed " << seed << " first differs at step " << step);
        CHECK(step == -1);
        CHECK(first.trace_hash == second.trace_hash);
        CHECK(first.ok == second.ok);
    }
}

TEST_CASE("different seeds give different runs") {
    CHECK(run_swarm(1).trace_hash != run_swarm(2).trace_hash);
}

TEST_CASE("recording the trace does not change the run") {
    run_options recording;
    recording.record = true;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        const run_result plain = run_swarm(seed);
        const run_result recorded = run_swarm(seed, recording);
        CHECK(plain.trace_hash == recorded.trace_hash);
        CHECK(recorded.trace.records().size() == recorded.trace.count());
    }
}

namespace {

// One event of the Chrome trace: the writer puts one per line, so a line's
// fields are found by their keys (the first occurrence: top-level keys come
// before "args").
struct chrome_event {
    std::string line;

    [[nodiscard]] std::optional<std::string> field(std::string_view key) const {
        const std::string quoted = "\"" + std::string(key) + "\":";
        const std::size_t at = line.find(quoted);
        if (at == std::string::npos) return std::nullopt;
        const std::size_t from = at + quoted.size();
        if (from < line.size() && line[from] == '"') {
            const std::size_t end = line.find('"', from + 1);
            return line.substr(from + 1, end - from - 1);
        }
        const std::size_t end = line.find_first_of(",}", from);
        return line.substr(from, end - from);
    }
    [[nodiscard]] std::string text(std::string_view key) const { return field(key).value_or(""); }
    [[nodiscard]] std::uint64_t number(std::string_view key) const {
        return std::stoull(field(key).value_or("-"));
    }
    // "ts" in microseconds with three decimals, as nanoseconds.
    [[nodiscard]] time_ns ts_ns() const {
        const std::string ts = text("ts");
        const std::size_t dot = ts.find('.');
        REQUIRE(dot != std::string::npos);
        REQUIRE(ts.size() == dot + 4);
        return static_cast<time_ns>(std::stoull(ts.substr(0, dot)) * 1000 +
                                    std::stoull(ts.substr(dot + 1)));
    }
};

std::vector<chrome_event> events_of(const std::string& json) {
    std::vector<chrome_event> events;
    std::istringstream in(json);
    std::string line;
    std::getline(in, line);  // the header, up to "traceEvents":[
    while (std::getline(in, line)) {
        if (line == "]}") break;
        if (!line.empty() && line.back() == ',') line.pop_back();
        events.push_back(chrome_event{line});
    }
    return events;
}

bool known_kind(const std::string& name) {
    for (int k = 0; k <= static_cast<int>(trace_kind::fault); ++k) {
        if (name == to_string(static_cast<trace_kind>(k))) return true;
    }
    return false;
}

// "handler I.G" for connection key G << 32 | I.
std::string handler_name(std::uint64_t key) {
    return "handler " + std::to_string(key & 0xffffffffU) + "." + std::to_string(key >> 32);
}

// What happens to one connection, in trace order.
struct connection_story {
    std::vector<std::string> events;  // "handler_start", "socket_close", ...
};

}  // namespace

TEST_CASE(
    "the Chrome trace is well-formed JSON whose events follow the records: known names, time "
    "never going back, one span per handler from its accept to its release") {
    run_options recording;
    recording.record = true;
    std::uint64_t handlers_seen = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        CAPTURE(seed);
        const run_result run = run_swarm(seed, recording);
        std::ostringstream out;
        run.trace.write_chrome_json(out, seed);
        const std::string json = out.str();
        REQUIRE(test_json::syntax::well_formed(json));
        CHECK(json.rfind("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"seed\":\"" +
                             std::to_string(seed) + "\"},\"traceEvents\":[",
                         0) == 0);

        const std::vector<chrome_event> events = events_of(json);
        REQUIRE_FALSE(events.empty());
        CHECK(events[0].text("ph") == "M");
        CHECK(events[0].text("name") == "process_name");
        CHECK(contains_text(events[0].line, "berth-sim seed " + std::to_string(seed)));

        // Every record but the steps is one event, in the records' order.
        std::vector<trace_record> records;
        for (const trace_record& r : run.trace.records())
            if (r.kind != trace_kind::step) records.push_back(r);
        REQUIRE(events.size() == records.size() + 1);

        std::map<std::uint64_t, connection_story> stories;
        std::set<std::uint64_t> accepted_handles;
        time_ns last_ns = 0;
        for (std::size_t i = 1; i < events.size(); ++i) {
            const chrome_event& e = events[i];
            const trace_record& r = records[i - 1];
            CAPTURE(e.line);
            CHECK(e.number("pid") == 1);
            CHECK(e.number("tid") == 1);
            const time_ns at_ns = e.ts_ns();
            CHECK(at_ns == r.at_ns);
            CHECK(at_ns >= last_ns);  // the run's clock never goes back
            last_ns = at_ns;
            const std::string ph = e.text("ph");
            switch (r.kind) {
                case trace_kind::handler_start:
                    CHECK(ph == "b");
                    CHECK(e.text("cat") == "handler");
                    CHECK(e.number("id") == r.a);
                    CHECK(e.text("name") == handler_name(r.a));
                    // Its socket came out of an accept before.
                    CHECK(accepted_handles.erase(r.b) == 1);
                    break;
                case trace_kind::handler_end:
                    CHECK(ph == "e");
                    CHECK(e.text("cat") == "handler");
                    CHECK(e.number("id") == r.a);
                    CHECK(e.text("name") == handler_name(r.a));
                    CHECK(
                        contains_text(e.line, "\"args\":{\"failed\":" + std::to_string(r.b) + "}"));
                    break;
                case trace_kind::counters:
                    CHECK(ph == "C");
                    CHECK(e.text("name") == "server");
                    CHECK(contains_text(e.line, "{\"num_connections\":" + std::to_string(r.a) +
                                                    ",\"descriptors\":" + std::to_string(r.b) +
                                                    ",\"listen_queue\":" + std::to_string(r.c) +
                                                    "}"));
                    break;
                default:
                    CHECK(ph == "i");
                    CHECK(e.text("s") == "g");
                    CHECK(known_kind(e.text("name")));
                    CHECK(e.text("name") == to_string(r.kind));
                    CHECK(contains_text(e.line, "{\"a\":" + std::to_string(r.a) +
                                                    ",\"b\":" + std::to_string(r.b) +
                                                    ",\"c\":" + std::to_string(r.c) + "}"));
                    break;
            }
            if (r.kind == trace_kind::accepted) accepted_handles.insert(r.a);
            switch (r.kind) {
                case trace_kind::handler_start:
                case trace_kind::handler_end:
                case trace_kind::socket_close:
                case trace_kind::socket_closed:
                case trace_kind::release:
                    stories[r.a].events.emplace_back(to_string(r.kind));
                    break;
                default: break;
            }
        }

        // Each connection: its span opens first, its handler ends once, its socket
        // is closed once and the close completes, and its release comes last.
        for (const auto& [key, story] : stories) {
            CAPTURE(handler_name(key));
            const std::vector<std::string>& ev = story.events;
            REQUIRE_FALSE(ev.empty());
            CHECK(ev.front() == "handler_start");
            CHECK(ev.back() == "release");
            CHECK(std::count(ev.begin(), ev.end(), "handler_start") == 1);
            CHECK(std::count(ev.begin(), ev.end(), "handler_end") == 1);
            CHECK(std::count(ev.begin(), ev.end(), "socket_close") == 1);
            CHECK(std::count(ev.begin(), ev.end(), "socket_closed") == 1);
            CHECK(std::count(ev.begin(), ev.end(), "release") == 1);
            CHECK(std::find(ev.begin(), ev.end(), "socket_close") <
                  std::find(ev.begin(), ev.end(), "socket_closed"));
            ++handlers_seen;
        }
    }
    CHECK(handlers_seen > 20);  // the seeds do serve connections
}

}  // namespace berth::sim
