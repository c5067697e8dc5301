// SEMANTICS.md section 7: the buffered writer of `create`, and what of it has a
// meaning for `create_sock` too (a departed peer is a normal end; what was written
// reaches the peer before the close; a client that never reads does not stall the
// server). The age limit, the buffer limit and late writes are the writer's own:
// those scenarios run in the create form only.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "berth/line_command.hpp"
#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

server_config config(handler_form form) {
    return server_of(form, 4, core::error_policy::call);
}

// Lines the server echoes, `bytes` of them in all; a client that never reads lets
// the echo pile up in the kernel's buffers, then in the writer.
std::string lines_of(std::size_t bytes) {
    const std::string line(999, 'z');
    std::string out;
    out.reserve(bytes + 1000);
    while (out.size() < bytes)
        out.append(line).push_back('\n');
    return out;
}

// The number after `before` in `text`, if digits follow it.
std::optional<std::uint64_t> number_after(const std::string& text, const std::string& before) {
    const std::size_t at = text.find(before);
    if (at == std::string::npos) return std::nullopt;
    const std::size_t from = at + before.size();
    const std::size_t to = text.find_first_not_of("0123456789", from);
    if (to == from) return std::nullopt;
    return std::stoull(text.substr(from, to - from));
}

}  // namespace

TEST_CASE_FIXTURE(scenario, "a peer that never reads trips the writer's age limit") {
    server_config cfg = config(handler_form::reader_writer);
    cfg.opts.buffer_age_limit_ns = 50 * ms;
    cfg.opts.buffer_limit_bytes = core::unlimited_bytes;  // the age, not the size, trips
    start(cfg);
    const client_id c = h->connect();
    // Far more echo than any socket buffer holds; the client never reads it.
    h->send(c, lines_of(8 << 20));
    CHECK(h->wait_until([&] { return !h->policy_calls().empty(); }, patience_ns));
    REQUIRE(h->policy_calls().size() == 1);
    const std::string call = h->policy_calls()[0];
    CHECK(contains(call, "writer buffer too old: "));
    CHECK(contains(call, " bytes waiting (buffer_age_limit 50 ms exceeded)"));
    CHECK(h->wait_peer_closed(c, patience_ns));
    CHECK(h->stats().handler_errors == 1);
    CHECK(h->stats().writer_failures == 1);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "echo piling up for a client that never reads fails the connection with a "
                  "writer_error naming buffer_limit_bytes and the bytes held, given to call") {
    constexpr std::uint64_t limit = 64 * 1024;
    server_config cfg = config(handler_form::reader_writer);
    cfg.opts.buffer_limit_bytes = limit;
    cfg.opts.buffer_age_limit_ns = core::unlimited_age_ns;  // the size, not the age, trips
    start(cfg);
    const client_id c = h->connect();
    // More echo than the kernel's buffers on the way back hold, and the limit.
    h->send(c, lines_of(32 << 20));
    CHECK(h->wait_until([&] { return !h->policy_calls().empty(); }, patience_ns));
    REQUIRE(h->policy_calls().size() == 1);
    const std::string call = h->policy_calls()[0];
    // "PEER: writer buffer full: N bytes held, a write of M bytes refused
    // (buffer_limit_bytes 65536 exceeded)"
    CHECK_MESSAGE(contains(call, ": writer buffer full: "), call);
    CHECK(contains(call, " bytes refused (buffer_limit_bytes 65536 exceeded)"));
    const std::optional<std::uint64_t> held = number_after(call, "writer buffer full: ");
    const std::optional<std::uint64_t> refused = number_after(call, "bytes held, a write of ");
    REQUIRE(held.has_value());
    REQUIRE(refused.has_value());
    CHECK(*held <= limit);
    CHECK(*held + *refused > limit);
    CHECK(h->wait_peer_closed(c, patience_ns));
    CHECK(h->stats().handler_errors == 1);
    CHECK(h->stats().writer_failures == 1);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "a write after the writer failed is a late_write notice, and the handler's "
                  "return after it a late_handler_result notice") {
    server_config cfg = config(handler_form::reader_writer);
    cfg.opts.buffer_limit_bytes = core::unlimited_bytes;
    cfg.opts.buffer_age_limit_ns = 300 * ms;
    cfg.record_notices = true;
    start(cfg);
    const client_id c = h->connect();
    // Far more echo than any socket buffer holds, which the client never reads,
    // then a sleep: the age limit fails the writer while the handler sleeps, and
    // the echo it writes when it wakes comes after its connection's result.
    const std::string line(1000, 'z');
    for (int i = 0; i < 8000; ++i)
        h->send(c, line + "\n");
    h->send(c, "sleep 1500\n");
    CHECK(h->wait_until([&] { return !h->policy_calls().empty(); }, patience_ns));
    REQUIRE(h->policy_calls().size() == 1);
    CHECK_MESSAGE(contains(h->policy_calls()[0], "too old"), h->policy_calls()[0]);
    CHECK(h->wait_until([&] { return h->num_connections() == 0; }, patience_ns));
    h->advance(brief_ns);  // the notices are posted
    const std::vector<core::notice_kind> notices = h->notices();
    CHECK(std::count(notices.begin(), notices.end(), core::notice_kind::late_write) == 1);
    CHECK(h->stats().late_writes == 1);
    CHECK(std::count(notices.begin(), notices.end(), core::notice_kind::late_handler_result) == 1);
    CHECK(h->stats().late_handler_results == 1);
    // Both name the one connection, by the same id.
    const std::vector<core::actions::notice> records = h->notice_records();
    const auto late_write = std::find_if(records.begin(), records.end(), [](const auto& n) {
        return n.kind == core::notice_kind::late_write;
    });
    const auto late_result = std::find_if(records.begin(), records.end(), [](const auto& n) {
        return n.kind == core::notice_kind::late_handler_result;
    });
    REQUIRE(late_write != records.end());
    REQUIRE(late_result != records.end());
    CHECK(late_result->id == late_write->id);
    CHECK(late_result->id.generation != 0);  // a real connection's id
    CHECK(late_result->error_value == 0);
    CHECK(h->stats().handler_errors == 1);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "a flood of many MiB to a client that never reads costs the server at most its "
                  "writer's limit: the connection stays alive and another client is served") {
    server_config cfg = config(either_form());
    // Room for two of the flood's chunks: a flood that did not wait for each
    // chunk to go out would hold far more and fail the connection.
    cfg.opts.buffer_limit_bytes = 2 * flood_chunk_bytes;
    cfg.opts.buffer_age_limit_ns = core::unlimited_age_ns;
    start(cfg);
    const client_id flooded = h->connect();
    h->send(flooded, "flood 268435456\n");  // 256 MiB
    CHECK(h->wait_until([&] { return h->stats().handlers_started == 1; }, patience_ns));
    h->advance(100 * ms);  // the buffers on the way fill up; the handler waits
    CHECK(h->policy_calls().empty());
    CHECK(h->stats().writer_failures == 0);
    CHECK(h->num_connections() == 1);

    const client_id other = h->connect();
    h->send(other, "still here\n");
    CHECK(h->receive_line(other, patience_ns) == "still here");
    CHECK(h->num_connections() == 2);

    // The flood was only waiting: once its client reads, it goes on, far past
    // what the buffers on the way hold.
    constexpr std::size_t megabytes_16 = 16 << 20;
    CHECK(h->receive_bytes(flooded, megabytes_16, patience_ns) >= megabytes_16);
    CHECK(h->policy_calls().empty());
    CHECK(h->stats().writer_failures == 0);
    CHECK(h->num_connections() == 2);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "a departed peer ends the connection normally, not as a handler error") {
    start(config(either_form()));
    const client_id c = h->connect();
    h->send(c, "hello\n");
    h->close_client(c);
    CHECK(h->wait_until([&] { return h->stats().handler_ok == 1; }, patience_ns));
    CHECK(h->stats().handler_errors == 0);
    CHECK(h->policy_calls().empty());
    CHECK(h->num_connections() == 0);
}

TEST_CASE_FIXTURE(scenario,
                  "a consumer gone while the handler has a flood to write ends the connection ok") {
    server_config cfg = config(either_form());
    cfg.opts.buffer_age_limit_ns = core::unlimited_age_ns;
    start(cfg);
    const client_id c = h->connect();
    // The client never reads: the handler is blocked on full buffers when the client
    // goes (closing with unread data: a reset).
    h->send(c, "flood 268435456\n");
    CHECK(h->wait_until([&] { return h->stats().handlers_started == 1; }, patience_ns));
    h->advance(brief_ns);
    h->close_client(c);
    CHECK(h->wait_until([&] { return h->num_connections() == 0; }, patience_ns));
    CHECK(h->stats().handler_ok == 1);
    CHECK(h->stats().handler_errors == 0);
    CHECK(h->policy_calls().empty());
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario, "what the handler wrote reaches the peer before the socket is closed") {
    start(config(either_form()));
    const client_id c = h->connect();
    h->send(c, "first\nsecond\nquit\n");
    CHECK(h->receive_line(c, patience_ns) == "first");
    CHECK(h->receive_line(c, patience_ns) == "second");
    CHECK(h->receive_line(c, patience_ns) == "bye");
    CHECK(h->wait_peer_closed(c, patience_ns));
    CHECK(h->wait_until([&] { return h->stats().handler_ok == 1; }, patience_ns));
}

TEST_CASE_FIXTURE(scenario,
                  "a handler that ends by itself gets the final flush: its connection stays until "
                  "a slow client has read everything written") {
    server_config cfg = config(handler_form::reader_writer);
    cfg.opts.buffer_limit_bytes = core::unlimited_bytes;
    cfg.opts.buffer_age_limit_ns = core::unlimited_age_ns;
    cfg.opts.final_flush_timeout_ns = 30'000 * ms;
    start(cfg);
    const client_id c = h->connect();
    // More echo than the buffers on the way hold, then the end of the handler.
    const std::string lines = lines_of(8 << 20);
    h->send(c, lines + "quit\n");
    h->advance(200 * ms);              // the handler has read everything and returned by now
    CHECK(h->num_connections() == 1);  // still flushing: the client has not read
    const std::size_t written = lines.size() + std::string("bye\n").size();
    CHECK(h->receive_bytes(c, written, patience_ns) == written);
    CHECK(h->wait_peer_closed(c, patience_ns));
    CHECK(h->wait_until([&] { return h->num_connections() == 0; }, patience_ns));
    CHECK(h->stats().handler_ok == 1);
    CHECK(h->policy_calls().empty());
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "the final flush ends at final_flush_timeout when the client never reads, and "
                  "the result stays ok") {
    constexpr time_ns final_flush_ns = 200 * ms;
    server_config cfg = config(handler_form::reader_writer);
    cfg.opts.buffer_limit_bytes = core::unlimited_bytes;
    cfg.opts.buffer_age_limit_ns = core::unlimited_age_ns;
    cfg.opts.final_flush_timeout_ns = final_flush_ns;
    start(cfg);
    const client_id c = h->connect();
    const time_ns sent_ns = h->now_ns();
    h->send(c, lines_of(8 << 20) + "quit\n");
    CHECK(h->wait_until([&] { return h->stats().handlers_started == 1; }, patience_ns));
    CHECK(h->wait_until([&] { return h->num_connections() == 0; }, patience_ns));
    CHECK(h->now_ns() - sent_ns >= final_flush_ns);
    CHECK(h->stats().handler_ok == 1);
    CHECK(h->stats().handler_errors == 0);
    CHECK(h->policy_calls().empty());
    CHECK(h->invariant());
}

}  // namespace berth::conformance
