// The reader of `create`: read_exactly, read_line (CRLF, unterminated rest), and
// the end of stream reported instead of thrown.
#include <array>

#include "asio_test_support.hpp"
#include "berth/asio/server.hpp"

namespace berth::asio_test {

namespace net = boost::asio;

TEST_CASE("read_exactly, read_line and the end of stream") {
    net::io_context ctx;
    core::options o;
    o.max_connections = 2;
    o.on_handler_error = core::error_policy::ignore;
    std::string log;
    bool done = false;
    asio::server s = asio::server::create(
        ctx,
        posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                    posix::bind_port::chosen_by_os()),
        o, [&](posix::socket_address, asio::reader& r, asio::writer& w) -> net::awaitable<void> {
            std::array<char, 4> head{};
            const std::size_t n = co_await r.read_exactly(head);
            log += std::string(head.data(), n) + "|";
            const auto crlf = co_await r.read_line();
            log += crlf.value_or("<none>") + "|";
            const auto rest = co_await r.read_line();
            log += rest.value_or("<none>") + "|";
            const auto end = co_await r.read_line();
            log += end.value_or("<end>");
            log += r.at_end() && r.end_reason() == net::error::eof ? "|eof" : "|?";
            w.write("done\n");
            done = true;
        });
    client c(s.listening_on_address());
    c.send("abcdline one\r\nunterminated");
    CHECK(run_until(ctx, [&] { return s.num_connections() == 1; }));
    c.close();
    CHECK(run_until(ctx, [&] { return done && s.num_connections() == 0; }));
    CHECK(log == "abcd|line one|unterminated|<end>|eof");
    CHECK(s.stats().handler_ok == 1);
}

}  // namespace berth::asio_test
