// berth-tls-echo over loopback: a TLS client that verifies the generated test
// certificate (as its own CA, for the name "localhost", with SNI) gets its lines
// back; plain-TCP clients, garbage and silent clients end only their own
// connection; bad flags exit 2 naming the file. Every wait is bounded.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <doctest/doctest.h>

#include "echo_support.hpp"
#include "loopback_peer.hpp"

namespace berth::tls_echo_test {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using echo_test::echo_process;
using echo_test::line_client;
using namespace std::chrono_literals;

const std::string cert_file = std::string(BERTH_TLS_DIR) + "/cert.pem";
const std::string key_file = std::string(BERTH_TLS_DIR) + "/key.pem";

std::vector<std::string> server_flags(std::vector<std::string> extra = {}) {
    std::vector<std::string> flags{"--listen", "127.0.0.1:0", "--cert",
                                   cert_file,  "--key",       key_file};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return flags;
}

// A TLS client on Asio's SSL stream that trusts only the test certificate and
// checks it was issued for `host`. Each operation runs the client's own io_context
// for at most three seconds; an operation still pending then is cancelled.
class tls_client {
public:
    explicit tls_client(std::uint16_t port, const std::string& host = "localhost")
        : stream_(ctx_, tls_) {
        tls_.load_verify_file(cert_file);
        stream_.set_verify_mode(ssl::verify_peer);
        stream_.set_verify_callback(ssl::host_name_verification(host));
        // SNI. SSL_set_tlsext_host_name is this call behind a macro with a C cast.
        REQUIRE(SSL_ctrl(stream_.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                         TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str())) == 1);
        stream_.lowest_layer().connect({net::ip::address_v4::loopback(), port});
    }

    [[nodiscard]] boost::system::error_code handshake() {
        return complete([this](auto done) {
            stream_.async_handshake(ssl::stream_base::client, std::move(done));
        });
    }

    void send(const std::string& data) {
        const boost::system::error_code ec = complete([this, &data](auto done) {
            net::async_write(stream_, net::buffer(data),
                             [done = std::move(done)](boost::system::error_code e,
                                                      std::size_t) mutable { done(e); });
        });
        REQUIRE_MESSAGE(!ec, ec.message());
    }

    /// The next line, without its newline; nothing at the end or on a timeout.
    [[nodiscard]] std::optional<std::string> line() {
        std::size_t n = 0;
        const boost::system::error_code ec = complete([this, &n](auto done) {
            net::async_read_until(
                stream_, net::dynamic_buffer(in_), '\n',
                [&n, done = std::move(done)](boost::system::error_code e, std::size_t got) mutable {
                    n = got;
                    done(e);
                });
        });
        if (ec) return std::nullopt;
        std::string text = in_.substr(0, n - 1);
        in_.erase(0, n);
        return text;
    }

    /// Sends close_notify and waits for the server's.
    [[nodiscard]] boost::system::error_code shutdown() {
        return complete([this](auto done) { stream_.async_shutdown(std::move(done)); });
    }

private:
    template <typename Start>
    boost::system::error_code complete(Start start) {
        std::optional<boost::system::error_code> result;
        start([&result](boost::system::error_code ec) { result = ec; });
        ctx_.restart();
        ctx_.run_for(3s);
        if (!result) {
            stream_.lowest_layer().cancel();
            ctx_.restart();
            ctx_.run_for(1s);
        }
        REQUIRE(result.has_value());
        return *result;
    }

    net::io_context ctx_;
    ssl::context tls_{ssl::context::tls_client};
    ssl::stream<net::ip::tcp::socket> stream_;
    std::string in_;
};

// One TLS session: every line comes back, then TLS shuts down both ways.
void echo_session(std::uint16_t port, const std::vector<std::string>& lines) {
    tls_client c(port);
    const boost::system::error_code handshake = c.handshake();
    REQUIRE_MESSAGE(!handshake, handshake.message());
    for (const std::string& l : lines) {
        c.send(l + "\n");
        CHECK(c.line() == l);
    }
    const boost::system::error_code shutdown = c.shutdown();
    CHECK_MESSAGE((!shutdown || shutdown == net::error::eof), shutdown.message());
}

std::string stop(echo_process& server) {
    server.send_signal(SIGTERM);
    CHECK(server.wait_exit() == 0);
    return server.stdout_line().value_or("");
}

}  // namespace

TEST_CASE("a TLS client verifying the test certificate for localhost gets its lines back") {
    const std::size_t before = test::open_descriptors();
    {
        echo_process server(server_flags());
        const std::uint16_t port = server.listening_port();
        echo_session(port, {"hello", "", "a line with spaces and \t tabs", std::string(5000, 'x')});
        echo_session(port, {"second client"});
        CHECK(stop(server) == "sessions 2, lines 5, handshake failures 0");
    }
    CHECK(test::open_descriptors() == before);
}

TEST_CASE("a plain-TCP client sending garbage is closed, logged, and the next TLS client served") {
    const std::size_t before = test::open_descriptors();
    {
        echo_process server(server_flags());
        const std::uint16_t port = server.listening_port();
        {
            line_client plain(port);
            plain.send("GET / HTTP/1.0\r\n\r\n");
            CHECK(plain.closed_by_server());
        }
        const std::optional<std::string> logged = server.stderr_line();
        REQUIRE(logged.has_value());
        CHECK_MESSAGE(logged->find("TLS handshake with 127.0.0.1:") != std::string::npos, *logged);
        CHECK_MESSAGE(logged->find("(handshake failures: 1)") != std::string::npos, *logged);
        {
            line_client hello_then_junk(port);  // a ClientHello record header, then junk
            hello_then_junk.send(std::string("\x16\x03\x01\x00\x30", 5) + std::string(48, '\xff'));
            CHECK(hello_then_junk.closed_by_server());
        }
        echo_session(port, {"still served"});
        CHECK(stop(server) == "sessions 1, lines 1, handshake failures 2");
    }
    CHECK(test::open_descriptors() == before);
}

TEST_CASE("a client that never sends a ClientHello is closed after --handshake-timeout") {
    echo_process server(server_flags({"--handshake-timeout", "0.2"}));
    const std::uint16_t port = server.listening_port();
    line_client silent(port);
    const auto started = std::chrono::steady_clock::now();
    CHECK(silent.closed_by_server());
    CHECK(std::chrono::steady_clock::now() - started >= 150ms);
    const std::optional<std::string> logged = server.stderr_line();
    REQUIRE(logged.has_value());
    CHECK_MESSAGE(logged->find("failed: Connection timed out") != std::string::npos, *logged);
    echo_session(port, {"after the timeout"});
    CHECK(stop(server) == "sessions 1, lines 1, handshake failures 1");
}

TEST_CASE("a client expecting another host name refuses the certificate, the server goes on") {
    echo_process server(server_flags());
    const std::uint16_t port = server.listening_port();
    {
        tls_client wrong(port, "example.com");
        const boost::system::error_code ec = wrong.handshake();
        CHECK(ec.category() == net::error::get_ssl_category());
        CHECK_MESSAGE(ec.message().find("certificate verify failed") != std::string::npos,
                      ec.message());
    }
    echo_session(port, {"right name"});
    CHECK(stop(server) == "sessions 1, lines 1, handshake failures 1");
}

TEST_CASE("the server holds as many descriptors after 40 TLS and garbage clients as before") {
    echo_process server(server_flags());
    const std::uint16_t port = server.listening_port();
    echo_session(port, {"warm up"});
    const long long before = server.open_descriptors();
    REQUIRE(before > 0);
    for (int i = 0; i < 20; ++i) {
        echo_session(port, {"client " + std::to_string(i)});
        line_client plain(port);
        plain.send("garbage " + std::to_string(i) + "\n");
        CHECK(plain.closed_by_server());
    }
    // The server closes each connection when its handler returns, after the client
    // saw the end: wait (bounded) for the last one to be gone.
    for (int i = 0; i < 300 && server.open_descriptors() != before; ++i)
        std::this_thread::sleep_for(10ms);
    CHECK(server.open_descriptors() == before);
    CHECK(stop(server) == "sessions 21, lines 21, handshake failures 20");
}

TEST_CASE("a missing --cert file exits 2 with a message naming the file") {
    const std::string missing = std::string(BERTH_TLS_DIR) + "/no-such-cert.pem";
    echo_process server({"--listen", "127.0.0.1:0", "--cert", missing, "--key", key_file});
    CHECK(server.wait_exit() == 2);
    const std::string err = server.stderr_text();
    CHECK_MESSAGE(err.find("--cert: cannot read '" + missing + "': No such file or directory") !=
                      std::string::npos,
                  err);
}

TEST_CASE("a --key file that holds no private key exits 2 with a message naming the file") {
    const std::string not_a_key = std::string(BERTH_TLS_DIR) + "/not-a-key.pem";
    {
        std::ofstream out(not_a_key);
        out << "this is not a PEM private key\n";
    }
    echo_process server({"--listen", "127.0.0.1:0", "--cert", cert_file, "--key", not_a_key});
    CHECK(server.wait_exit() == 2);
    const std::string err = server.stderr_text();
    CHECK_MESSAGE(err.find("--key: cannot load the private key from '" + not_a_key + "'") !=
                      std::string::npos,
                  err);
}

TEST_CASE("a --key that is a directory, or a missing --key flag, exits 2 naming what is wrong") {
    {
        echo_process server(
            {"--listen", "127.0.0.1:0", "--cert", cert_file, "--key", BERTH_TLS_DIR});
        CHECK(server.wait_exit() == 2);
        const std::string err = server.stderr_text();
        CHECK_MESSAGE(err.find("--key: cannot read '" + std::string(BERTH_TLS_DIR) +
                               "': not a regular file") != std::string::npos,
                      err);
    }
    {
        echo_process server({"--listen", "127.0.0.1:0", "--cert", cert_file});
        CHECK(server.wait_exit() == 2);
        const std::string err = server.stderr_text();
        CHECK_MESSAGE(err.find("--key FILE is required") != std::string::npos, err);
    }
}

}  // namespace berth::tls_echo_test
