// SEMANTICS.md section 9: the server's description names its options, policy,
// connections, accept step, drop mode, closed state and statistics, as text
// (operator<<) and as well-formed JSON.
#include <cctype>
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

namespace {

// A strict JSON reader that only checks well-formedness (RFC 8259 grammar, no
// duplicate-key check), so the test does not depend on a JSON library. It fails
// on the first byte that does not fit; nesting is bounded.
class json_checker {
public:
    explicit json_checker(std::string text) : text_(std::move(text)) {}

    bool well_formed() {
        skip_space();
        if (!value(0)) return false;
        skip_space();
        return pos_ == text_.size();
    }

private:
    bool value(int depth) {
        if (depth > 32 || pos_ >= text_.size()) return false;
        const char c = text_[pos_];
        if (c == '{') return object(depth + 1);
        if (c == '[') return array(depth + 1);
        if (c == '"') return string();
        if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return number();
        return literal("true") || literal("false") || literal("null");
    }
    bool object(int depth) {
        ++pos_;
        skip_space();
        if (eat('}')) return true;
        for (;;) {
            skip_space();
            if (!string()) return false;
            skip_space();
            if (!eat(':')) return false;
            skip_space();
            if (!value(depth)) return false;
            skip_space();
            if (eat('}')) return true;
            if (!eat(',')) return false;
        }
    }
    bool array(int depth) {
        ++pos_;
        skip_space();
        if (eat(']')) return true;
        for (;;) {
            skip_space();
            if (!value(depth)) return false;
            skip_space();
            if (eat(']')) return true;
            if (!eat(',')) return false;
        }
    }
    bool string() {
        if (!eat('"')) return false;
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c == '\\') {
                if (pos_ >= text_.size()) return false;
                const char e = text_[pos_++];
                if (std::string("\"\\/bfnrtu").find(e) == std::string::npos) return false;
            }
        }
        return false;
    }
    bool number() {
        const std::size_t start = pos_;
        eat('-');
        if (pos_ < text_.size() && text_[pos_] == '0') {
            ++pos_;
        } else if (!digits()) {
            return false;
        }
        if (eat('.') && !digits()) return false;
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_;
            if (!eat('+')) eat('-');
            if (!digits()) return false;
        }
        return pos_ > start;
    }
    bool digits() {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])))
            ++pos_;
        return pos_ > start;
    }
    bool literal(const char* word) {
        const std::string w(word);
        if (text_.compare(pos_, w.size(), w) != 0) return false;
        pos_ += w.size();
        return true;
    }
    bool eat(char c) {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void skip_space() {
        while (pos_ < text_.size() && std::string(" \t\r\n").find(text_[pos_]) != std::string::npos)
            ++pos_;
    }

    std::string text_;
    std::size_t pos_ = 0;
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

core::options described_options() {
    core::options o = options_with(5, 2, core::error_policy::call);
    o.backlog = 17;
    return o;
}

}  // namespace

TEST_CASE("The JSON checker used here tells well-formed from broken JSON") {
    CHECK(json_checker(R"({"a":[1,-2.5e3,true,null,{"b":"c\"d"}]})").well_formed());
    CHECK_FALSE(json_checker(R"({"a":1,})").well_formed());
    CHECK_FALSE(json_checker(R"({"a":[1 2]})").well_formed());
    CHECK_FALSE(json_checker(R"({"a":"x})").well_formed());
    CHECK_FALSE(json_checker(R"({"a":1}})").well_formed());
}

TEST_CASE(
    "The text description names the options, the policy, the accept step, drop mode, "
    "the closed state and the statistics") {
    core_driver d(described_options());
    const std::string text = text_of(d.server());
    CAPTURE(text);
    for (const char* part :
         {"max_connections: 5", "max_accepts_per_batch: 2", "backlog: 17", "on_handler_error: call",
          "on_accept_exhaustion: back_off", "form: socket", "drop_incoming_connections: false",
          "closed: false", "listener: open", "accept_step: waiting_readable", "num_connections: 0",
          "connections: none", "statistics:", "accepted: 0", "times_at_limit: 0",
          "back_off_pauses: 0", "late_writes: 0", "extra_completions: 0", "writer_failures: 0"}) {
        CHECK_MESSAGE(contains(text, part), part);
    }
}

TEST_CASE("The description names each live connection by its id") {
    core_driver d(described_options(), core::connection_form::reader_writer);
    static_cast<void>(d.take());
    d.accept({1, 2});
    const auto ids = started_ids(d.take());
    REQUIRE(ids.size() == 2);
    static_cast<void>(finish(d, ids[0]));
    d.accept({3});
    const auto more = started_ids(d.take());
    REQUIRE(more.size() == 1);
    REQUIRE(d.write_fails(ids[1], EPIPE) == core::event_error::none);  // the peer left

    const std::string text = text_of(d.server());
    CAPTURE(text);
    CHECK(contains(text, "num_connections: 2"));
    CHECK(contains(text, id_text(more[0]) + " running"));
    CHECK(contains(text, id_text(ids[1]) + " running_socket_closed"));
    CHECK_FALSE(contains(text, id_text(ids[0]) + " "));  // released: gone from the list
    CHECK(contains(text, "accepted: 3"));
    CHECK(contains(text, "handler_ok: 1"));

    const std::string json = json_of(d.server());
    CAPTURE(json);
    CHECK(json_checker(json).well_formed());
    CHECK(contains(json, R"("connections":[{"index":0,"generation":2,"state":"running"},)"
                         R"({"index":1,"generation":1,"state":"running_socket_closed"}])"));
    CHECK(contains(json, R"("num_connections":2)"));
    CHECK(contains(json, R"("accepted":3)"));
}

TEST_CASE("The JSON description is well-formed and names every field") {
    core_driver d(described_options());
    static_cast<void>(d.take());
    const std::string json = json_of(d.server());
    CAPTURE(json);
    CHECK(json_checker(json).well_formed());
    for (const char* part : {R"("max_connections":5)",
                             R"("max_accepts_per_batch":2)",
                             R"("backlog":17)",
                             R"("on_handler_error":"call")",
                             R"("on_accept_exhaustion":"back_off")",
                             R"("form":"socket")",
                             R"("drop_incoming_connections":false)",
                             R"("closed":false)",
                             R"("listener":"open")",
                             R"("accept_step":"waiting_readable")",
                             R"("num_connections":0)",
                             R"("connections":[])",
                             R"("statistics":{)",
                             R"("accepted":0)",
                             R"("handlers_started":0)",
                             R"("dropped":0)",
                             R"("shed":0)",
                             R"("closed_after_close":0)",
                             R"("handler_ok":0)",
                             R"("handler_errors":0)",
                             R"("late_handler_results":0)",
                             R"("late_writes":0)",
                             R"("extra_completions":0)",
                             R"("writer_failures":0)",
                             R"("accept_errors_nothing_there":0)",
                             R"("accept_errors_per_connection":0)",
                             R"("accept_errors_out_of_resources":0)",
                             R"("accept_errors_fatal":0)",
                             R"("back_off_pauses":0)",
                             R"("times_at_limit":0)"}) {
        CHECK_MESSAGE(contains(json, part), part);
    }
}

TEST_CASE("The description follows drop mode, the accept step and close") {
    core_driver d(described_options());
    REQUIRE(d.feed(ev::drop_mode_set{true}) == core::event_error::none);
    CHECK(contains(text_of(d.server()), "drop_incoming_connections: true"));
    CHECK(contains(json_of(d.server()), R"("drop_incoming_connections":true)"));

    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    CHECK(contains(text_of(d.server()), "accept_step: batching"));
    CHECK(contains(json_of(d.server()), R"("accept_step":"batching")"));

    REQUIRE(d.feed(ev::close_requested{}) == core::event_error::none);
    CHECK(contains(text_of(d.server()), "closed: true"));
    CHECK(contains(json_of(d.server()), R"("closed":true)"));
    CHECK(contains(json_of(d.server()), R"("listener":"close_pending")"));

    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(contains(text_of(d.server()), "listener: closed"));
    CHECK(contains(text_of(d.server()), "accept_step: idle"));
    CHECK(json_checker(json_of(d.server())).well_formed());
}

TEST_CASE("The description counts statistics as they happen") {
    core::options o = described_options();
    o.max_connections = 100;
    core_driver d(o);
    static_cast<void>(d.take());
    CHECK(d.accept_results({0, ECONNABORTED}) == 1);
    CHECK(d.accept_results({EMFILE}) == 0);
    const std::string json = json_of(d.server());
    CAPTURE(json);
    CHECK(json_checker(json).well_formed());
    CHECK(contains(json, R"("accepted":1)"));
    CHECK(contains(json, R"("handlers_started":1)"));
    CHECK(contains(json, R"("accept_errors_per_connection":1)"));
    CHECK(contains(json, R"("accept_errors_out_of_resources":1)"));
    CHECK(contains(json, R"("back_off_pauses":1)"));
}

TEST_CASE(
    "The description of a reader_writer server names its form, a connection flushing its "
    "last bytes, and the writer statistics") {
    core_driver d(described_options(), core::connection_form::reader_writer);
    const auto ids = admit(d, {1, 2});
    REQUIRE(ids.size() == 2);
    REQUIRE(d.write(ids[0], 10));
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    REQUIRE(d.write_fails(ids[1], EIO) == core::event_error::none);
    CHECK_FALSE(d.write(ids[1], 5));  // after the writer decided: a late write
    REQUIRE(d.feed(ev::extra_completion{ids[1]}) == core::event_error::none);

    const std::string text = text_of(d.server());
    CAPTURE(text);
    CHECK(contains(text, "form: reader_writer"));
    CHECK(contains(text, id_text(ids[0]) + " flushing"));
    CHECK(contains(text, id_text(ids[1]) + " running_socket_closed"));
    CHECK(contains(text, "late_writes: 1"));
    CHECK(contains(text, "extra_completions: 1"));
    CHECK(contains(text, "writer_failures: 1"));

    const std::string json = json_of(d.server());
    CAPTURE(json);
    CHECK(json_checker(json).well_formed());
    CHECK(contains(json, R"("form":"reader_writer")"));
    CHECK(contains(json, R"("state":"flushing")"));
    CHECK(contains(json, R"("late_writes":1)"));
    CHECK(contains(json, R"("extra_completions":1)"));
    CHECK(contains(json, R"("writer_failures":1)"));
}
