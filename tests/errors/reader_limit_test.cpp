// The one argument of the handler API a user can get wrong at run time: the reader's
// line limit (berth/reader.hpp). The reader is the engine's, the same on every
// backend, so the simulated world shows it: the handler fails with the message, the
// policy reports it, the server goes on, and nothing is left open.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "berth/handler.hpp"
#include "berth/reader.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"

namespace {

using namespace berth;

// Makes a reader with the limit the client asks for ("<n>\n"), then echoes a line.
task<> reader_of_requested_limit(address /*peer*/, stream& s) {
    reader first(s);
    const std::optional<std::string> limit = co_await first.read_line();
    if (!limit) co_return;
    reader r(s, static_cast<std::size_t>(std::stoull(*limit)));
    if (const std::optional<std::string> line = co_await r.read_line()) {
        static_cast<void>(co_await s.write(*line + "\n"));
    }
}

sim::task<> ask(sim::world& w, address server, std::string limit,
                std::optional<std::string>& answer) {
    sim::connect_result c = co_await w.connect(server);
    if (!c.sock) co_return;
    c.sock->send(limit + "\nhello\n");
    sim::line_result r = co_await c.sock->read_line_for(100 * core::ns_per_ms);
    answer = r.line;
    c.sock->close();
}

}  // namespace

TEST_CASE(
    "a reader's line_length_max of 0 or above 16777216 fails the handler with its rule and value, "
    "and the server goes on") {
    sim::world w(/*seed=*/11);
    core::options o;
    o.max_connections = 8;
    o.on_handler_error = core::error_policy::call;
    std::vector<std::string> errors;
    server_hooks hooks;
    hooks.on_handler_error = [&](const address&, std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::invalid_argument& refused) {
            errors.emplace_back(refused.what());
        } catch (...) {
            errors.emplace_back("(another error)");
        }
    };
    sim::server s = sim::server::create_sock(w, "127.0.0.1:0", o, reader_of_requested_limit, hooks);
    const address at = s.listening_on_address();

    std::optional<std::string> zero;
    std::optional<std::string> too_long;
    std::optional<std::string> at_limit;
    w.spawn(ask(w, at, "0", zero));
    w.spawn(ask(w, at, std::to_string(reader::line_length_limit + 1), too_long));
    w.spawn(ask(w, at, std::to_string(reader::line_length_limit), at_limit));
    w.run_until([&] { return w.tasks_running() == 0; }, 5 * core::ns_per_s);

    CHECK_FALSE(zero.has_value());  // that connection was closed, unanswered
    CHECK_FALSE(too_long.has_value());
    CHECK(at_limit == "hello");  // the limit itself is accepted
    REQUIRE(errors.size() == 2);
    std::sort(errors.begin(), errors.end());
    CHECK(errors[0] == "reader: line_length_max must be from 1 to 16777216 (got 0)");
    CHECK(errors[1] == "reader: line_length_max must be from 1 to 16777216 (got 16777217)");
    CHECK(s.stats().handler_errors == 2);

    s.close(/*close_existing_connections=*/true);
    w.run();
    CHECK(s.stats().handler_ok == 1);
    CHECK(s.all_handlers_finished());
    CHECK(w.net().fds_in_use() == 0);
}
