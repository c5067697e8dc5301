// SEMANTICS.md section 7: the reader of `create` (and a handler of `create_sock`
// reading its socket) assembles lines, and counts bytes for read-exactly, whatever
// the packets.
#include <string>

#include <doctest/doctest.h>

#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

server_config config(handler_form form) {
    return server_of(form, 2, core::error_policy::call);
}

}  // namespace

TEST_CASE_FIXTURE(scenario, "read-line assembles a line split over several packets") {
    start(config(either_form()));
    const client_id c = h->connect();
    h->send(c, "hel");
    h->advance(brief_ns);  // separate packets: the first part is read alone
    h->send(c, "lo wor");
    h->advance(brief_ns);
    CHECK_FALSE(h->receive_line(c, brief_ns).has_value());  // no line yet
    h->send(c, "ld\n");
    CHECK(h->receive_line(c, patience_ns) == "hello world");
    CHECK(h->policy_calls().empty());
}

TEST_CASE_FIXTURE(scenario, "read-line takes several lines of one packet one by one") {
    start(config(either_form()));
    const client_id c = h->connect();
    h->send(c, "one\ntwo\nthree\nquit\n");
    CHECK(h->receive_line(c, patience_ns) == "one");
    CHECK(h->receive_line(c, patience_ns) == "two");
    CHECK(h->receive_line(c, patience_ns) == "three");
    CHECK(h->receive_line(c, patience_ns) == "bye");
    CHECK(h->wait_until([&] { return h->stats().handler_ok == 1; }, patience_ns));
    CHECK(h->policy_calls().empty());
}

TEST_CASE_FIXTURE(scenario,
                  "read-exactly waits for bytes split over several packets and leaves the rest "
                  "for the next read") {
    start(config(either_form()));
    const client_id c = h->connect();
    h->send(c, "read 10\n");
    h->advance(brief_ns);
    h->send(c, "01234");
    h->advance(brief_ns);  // separate packets: half of the count is read alone
    CHECK_FALSE(h->receive_line(c, brief_ns).has_value());  // not all of it yet
    h->send(c, "56789tail\n");
    CHECK(h->receive_line(c, patience_ns) == "got 10:0123456789");
    CHECK(h->receive_line(c, patience_ns) == "tail");
    CHECK(h->policy_calls().empty());
}

TEST_CASE_FIXTURE(scenario, "read-exactly counts newlines as bytes like any other") {
    start(config(either_form()));
    const client_id c = h->connect();
    h->send(c, "read 5\nab\ncd\nquit\n");
    // The answer carries the five bytes "ab\ncd"; the "\n" after them is an empty line.
    CHECK(h->receive_line(c, patience_ns) == "got 5:ab");
    CHECK(h->receive_line(c, patience_ns) == "cd");
    CHECK(h->receive_line(c, patience_ns) == "");
    CHECK(h->receive_line(c, patience_ns) == "bye");
    CHECK(h->policy_calls().empty());
}

TEST_CASE_FIXTURE(scenario, "read-exactly at end of stream ends the handler normally") {
    start(config(either_form()));
    const client_id c = h->connect();
    h->send(c, "read 10\n01234");
    h->advance(brief_ns);
    h->close_client(c);
    CHECK(h->wait_until([&] { return h->stats().handler_ok == 1; }, patience_ns));
    CHECK(h->stats().handler_errors == 0);
    CHECK(h->policy_calls().empty());
}

}  // namespace berth::conformance
