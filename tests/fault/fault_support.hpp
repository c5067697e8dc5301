// What the fault tests share. Each fault test file is compiled twice, once per real
// backend (BERTH_FAULT_ASIO or BERTH_FAULT_UV): `harness` is that backend's harness
// of the portable scenarios (tests/posix/portable_scenarios.hpp), so every scenario
// is written once and runs on Asio and on libuv. Added here: many clients waited on
// at once with poll(2) (the server's loop and the clients share the test's thread),
// clients whose connect may stay pending (a full listen queue), a server run in a
// child process (its own descriptor limit, its CPU time measured from outside),
// and the process's figures (descriptors, resident set, CPU time).
#pragma once

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "berth/posix/socket_address.hpp"
#include "loopback_peer.hpp"
#include "portable_scenarios.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define BERTH_FAULT_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BERTH_FAULT_UNDER_ASAN 1
#endif
#endif
#if defined(BERTH_FAULT_UNDER_ASAN)
// The sanitizers' public allocator interface; GCC ships the runtime, not the header.
extern "C" std::size_t
__sanitizer_get_current_allocated_bytes();  // NOLINT(bugprone-reserved-identifier)
#endif

#if defined(BERTH_FAULT_ASIO)
#include "asio_test_support.hpp"
#elif defined(BERTH_FAULT_UV)
#include "uv_test_support.hpp"
#else
#error "define BERTH_FAULT_ASIO or BERTH_FAULT_UV"
#endif

namespace berth::fault {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using test::error_log;
using test::peer;

#if defined(BERTH_FAULT_ASIO)
using harness = asio_test::harness;
inline const std::string backend_name = "asio";
#else
using harness = uv_test::harness;
inline const std::string backend_name = "uv";
#endif

/// Options with room for `connections_max`, `per_batch` accepts a step, and the
/// `ignore` policy.
inline core::options fault_options(std::uint32_t connections_max, std::uint32_t per_batch = 16) {
    core::options o;
    o.max_connections = connections_max;
    o.max_accepts_per_batch = per_batch;
    o.on_handler_error = core::error_policy::ignore;
    return o;
}

/// Closes the server with its connections when a test leaves its scope early (a
/// failed REQUIRE): a loop whose server still listens would never run out of work,
/// and the harness's end would wait for it.
template <typename Server>
class closes_at_exit {
public:
    explicit closes_at_exit(Server& s) : s_(s) {}
    closes_at_exit(const closes_at_exit&) = delete;
    closes_at_exit& operator=(const closes_at_exit&) = delete;
    ~closes_at_exit() {
        if (!s_.is_closed() || s_.num_connections() > 0) s_.close(true, [] {});
    }

private:
    Server& s_;
};

/// Length of a TCP listener's accept queue (Linux reports it in tcpi_unacked).
inline std::uint32_t accept_queue_length(int listen_fd) {
    tcp_info info{};
    socklen_t length = sizeof(info);
    REQUIRE(::getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0);
    return info.tcpi_unacked;
}

/// A loopback client whose connect does not block: it may stay pending while the
/// server's listen queue is full, until TCP's own retries get it in. It sends
/// `request` once connected and keeps what it receives.
class pending_client {
public:
    pending_client(const address& to, std::string request) : request_(std::move(request)) {
        const posix::socket_address sa(to);
        fd_ = ::socket(sa.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        REQUIRE(fd_ >= 0);
        const int rc = ::connect(fd_, sa.data(), sa.length());
        REQUIRE((rc == 0 || errno == EINPROGRESS));
        connected_ = rc == 0;
        if (connected_) send_request();
    }
    pending_client(const pending_client&) = delete;
    pending_client& operator=(const pending_client&) = delete;
    ~pending_client() { close(); }

    [[nodiscard]] int fd() const { return fd_; }
    /// The events to poll for: writable while connecting, readable after.
    [[nodiscard]] short events() const { return fd_ < 0 ? 0 : connected_ ? POLLIN : POLLOUT; }
    /// Moves on after poll said `revents`.
    void on_ready(short revents) {
        if (fd_ < 0 || revents == 0) return;
        if (!connected_) {
            int error = 0;
            socklen_t length = sizeof(error);
            REQUIRE(::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) == 0);
            if (error != 0) {
                connect_error_ = error;
                ended_ = true;
                close();
                return;
            }
            connected_ = true;
            send_request();
            return;
        }
        char buffer[4096];
        // Bounded: a few reads per readiness.
        for (int i = 0; i < 16; ++i) {
            const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
            if (n > 0) {
                in_.append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) ended_ = true;
            break;
        }
    }
    [[nodiscard]] bool connected() const { return connected_; }
    [[nodiscard]] bool ended() const { return ended_; }
    [[nodiscard]] int connect_error() const { return connect_error_; }
    [[nodiscard]] const std::string& received() const { return in_; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    void send_request() {
        if (request_.empty()) return;
        const ssize_t n = ::send(fd_, request_.data(), request_.size(), MSG_NOSIGNAL);
        REQUIRE(n == static_cast<ssize_t>(request_.size()));
    }

    int fd_ = -1;
    std::string request_;
    std::string in_;
    bool connected_ = false;
    bool ended_ = false;
    int connect_error_ = 0;
};

/// Polls every client once, waiting at most `wait`, and lets each move on.
inline void poll_clients(std::vector<std::unique_ptr<pending_client>>& clients,
                         std::chrono::milliseconds wait) {
    std::vector<pollfd> fds;
    std::vector<pending_client*> owners;
    for (auto& c : clients) {
        if (c->fd() < 0 || c->ended()) continue;
        fds.push_back({c->fd(), c->events(), 0});
        owners.push_back(c.get());
    }
    if (fds.empty()) return;
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    if (n <= 0) return;
    for (std::size_t i = 0; i < fds.size(); ++i)
        owners[i]->on_ready(fds[i].revents);
}

/// Runs the server's loop and the clients together until `condition` holds or
/// `bound` passes.
inline bool run_with_clients(harness& h, std::vector<std::unique_ptr<pending_client>>& clients,
                             const std::function<bool()>& condition,
                             std::chrono::milliseconds bound) {
    return h.run_until(
        [&] {
            poll_clients(clients, 0ms);
            return condition();
        },
        bound);
}

/// Sends `line` and a newline through `p`, and runs the server until a whole line
/// comes back or `bound` passes: that line, or nothing.
inline std::optional<std::string> round_trip(harness& h, peer& p, const std::string& line,
                                             std::chrono::milliseconds bound = 2s) {
    p.send(line + "\n");
    std::optional<std::string> answer;
    static_cast<void>(h.run_until(
        [&] {
            answer = p.take_line();
            return answer.has_value();
        },
        bound));
    return answer;
}

// --- The process's figures -------------------------------------------------------

/// CPU time (user + system) of process `pid` so far, from /proc/<pid>/stat.
inline std::chrono::milliseconds cpu_time_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The command name may hold spaces; the fields after it are plain numbers.
    const std::size_t close_paren = all.rfind(')');
    REQUIRE(close_paren != std::string::npos);
    std::istringstream fields(all.substr(close_paren + 2));
    std::string field;
    std::uint64_t utime = 0;
    std::uint64_t stime = 0;
    // Fields 3..13 come first; utime and stime are fields 14 and 15.
    for (int i = 3; i <= 13; ++i)
        fields >> field;
    fields >> utime >> stime;
    const auto ticks = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
    return std::chrono::milliseconds((utime + stime) * 1000 / ticks);
}

/// Resident set of process `pid`, in bytes.
inline std::uint64_t resident_bytes_of(pid_t pid) {
    std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
    std::uint64_t pages = 0;
    std::uint64_t resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

/// The memory this process holds for its data, in bytes: what a bound on the
/// server's memory is checked against. Normally the resident set. Under ASan the
/// resident set also holds the quarantine, up to 256 MiB of freed blocks kept back
/// to catch use after free, which says nothing about what berth holds; there it is
/// the allocator's count of live heap bytes, which leaves the quarantine out.
inline std::uint64_t memory_in_use_bytes() {
#if defined(BERTH_FAULT_UNDER_ASAN)
    return __sanitizer_get_current_allocated_bytes();
#else
    return test::resident_bytes();
#endif
}

/// Reads one line from `fd` (a pipe), waiting at most `bound`; nothing on timeout
/// or end of file.
inline std::optional<std::string> read_line_from(int fd, std::chrono::milliseconds bound) {
    std::string line;
    const auto until = steady::now() + bound;
    while (steady::now() < until) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) != 1) continue;
        char ch = 0;
        const ssize_t n = ::read(fd, &ch, 1);
        if (n <= 0) return std::nullopt;
        if (ch == '\n') return line;
        line.push_back(ch);
    }
    return std::nullopt;
}

// --- A server in a child process ---------------------------------------------------

/// What the child's server counted, reported when it stopped.
struct child_report {
    std::uint64_t accepted = 0;
    std::uint64_t handlers_started = 0;
    std::uint64_t handler_ok = 0;
    std::uint64_t handler_errors = 0;
    std::uint64_t shed = 0;
    std::uint64_t back_off_pauses = 0;
    std::uint64_t out_of_resources = 0;
    std::uint64_t exhausted_notices = 0;
    bool invariant = false;
    bool closed_cleanly = false;
};

/// A berth server (the line protocol, `create` form) in a forked child whose soft
/// and hard RLIMIT_NOFILE are `descriptor_limit`. The child tells its port through
/// a pipe, serves until the parent closes the control pipe, closes with
/// close(true), and reports its statistics on the way out. The child uses no
/// doctest assertion: a failure there is an exit status the parent checks.
class child_server {
public:
    child_server(rlim_t descriptor_limit, core::options o) {
        int to_parent[2];
        int to_child[2];
        REQUIRE(::pipe2(to_parent, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(to_child, O_CLOEXEC) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::close(to_parent[0]);
            ::close(to_child[1]);
            ::_exit(run_child(descriptor_limit, o, to_parent[1], to_child[0]));
        }
        ::close(to_parent[1]);
        ::close(to_child[0]);
        from_child_ = to_parent[0];
        control_ = to_child[1];
        const std::optional<std::string> port = read_line_from(from_child_, 10s);
        REQUIRE_MESSAGE(port.has_value(), "the child server never reported its port");
        REQUIRE_MESSAGE(port->rfind("port ", 0) == 0, *port);
        port_ = static_cast<std::uint16_t>(std::stoul(port->substr(5)));
    }
    child_server(const child_server&) = delete;
    child_server& operator=(const child_server&) = delete;
    ~child_server() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            static_cast<void>(::waitpid(pid_, nullptr, 0));
        }
        close_pipes();
    }

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] address server_address() const {
        return address::ipv4(std::array<std::uint8_t, 4>{127, 0, 0, 1}, port_);
    }

    /// Asks the child to stop and waits for its report (bounded); the child must
    /// exit with status 0.
    child_report stop() {
        ::close(control_);
        control_ = -1;
        const std::optional<std::string> line = read_line_from(from_child_, 20s);
        int status = -1;
        REQUIRE(::waitpid(pid_, &status, 0) == pid_);
        pid_ = -1;
        close_pipes();
        REQUIRE_MESSAGE(line.has_value(), "the child server sent no report");
        INFO("child report: ", *line);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        child_report r;
        int invariant = 0;
        int closed = 0;
        std::istringstream in(*line);
        in >> r.accepted >> r.handlers_started >> r.handler_ok >> r.handler_errors >> r.shed >>
            r.back_off_pauses >> r.out_of_resources >> r.exhausted_notices >> invariant >> closed;
        REQUIRE_FALSE(in.fail());
        r.invariant = invariant != 0;
        r.closed_cleanly = closed != 0;
        return r;
    }

private:
    static int run_child(rlim_t descriptor_limit, const core::options& o, int report, int control) {
        try {
            const rlimit limit{descriptor_limit, descriptor_limit};
            if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return 3;
            harness h;
            std::uint64_t exhausted_notices = 0;
            server_hooks hooks;
            hooks.on_notice = [&](const core::actions::notice& n) {
                if (n.kind == core::notice_kind::accept_resources_exhausted) ++exhausted_notices;
            };
            auto s = h.create(test::loopback(), o, line_protocol_handler(), std::move(hooks));
            const std::string port =
                "port " + std::to_string(s.listening_on_address().port()) + "\n";
            if (::write(report, port.data(), port.size()) != static_cast<ssize_t>(port.size()))
                return 4;
            // Serves until the parent closes the control pipe (bounded: a test never
            // needs more than a minute).
            static_cast<void>(h.run_until(
                [&] {
                    pollfd p{control, POLLIN, 0};
                    return ::poll(&p, 1, 0) == 1;
                },
                60s));
            const bool closed = h.close_all(s);
            const core::statistics& st = s.stats();
            const std::string line =
                std::to_string(st.accepted) + " " + std::to_string(st.handlers_started) + " " +
                std::to_string(st.handler_ok) + " " + std::to_string(st.handler_errors) + " " +
                std::to_string(st.shed) + " " + std::to_string(st.back_off_pauses) + " " +
                std::to_string(st.accept_errors_of(core::accept_error_class::out_of_resources)) +
                " " + std::to_string(exhausted_notices) + " " + (s.invariant() ? "1" : "0") + " " +
                (closed ? "1" : "0") + "\n";
            if (::write(report, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
                return 5;
            return 0;
        } catch (...) {
            return 6;
        }
    }

    void close_pipes() {
        if (from_child_ >= 0) ::close(from_child_);
        if (control_ >= 0) ::close(control_);
        from_child_ = -1;
        control_ = -1;
    }

    pid_t pid_ = -1;
    int from_child_ = -1;
    int control_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace berth::fault
