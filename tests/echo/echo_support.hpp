// Driving the berth-echo binary: a child process with its stdout and stderr on
// pipes, and a line client over loopback. Every wait has a timeout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace berth::echo_test {

inline constexpr int wait_ms = 3000;  // generous: a bound, not a timing assumption

class echo_process {
public:
    /// Starts berth-echo with `args`.
    explicit echo_process(const std::vector<std::string>& args);
    echo_process(const echo_process&) = delete;
    echo_process& operator=(const echo_process&) = delete;
    /// Kills the process if it still runs.
    ~echo_process();

    /// The next line on stdout, without its newline; nothing on timeout or end.
    [[nodiscard]] std::optional<std::string> stdout_line(int timeout_ms = wait_ms);
    /// Everything on stderr until it is closed (the process ended) or the timeout.
    [[nodiscard]] std::string stderr_text(int timeout_ms = wait_ms);
    /// The next line on stderr; nothing on timeout or end.
    [[nodiscard]] std::optional<std::string> stderr_line(int timeout_ms = wait_ms);
    /// The exit status, or -1 if it did not exit in time (-2 if killed by a signal).
    [[nodiscard]] int wait_exit(int timeout_ms = wait_ms);
    void send_signal(int signal_number) const;
    /// Reads the first line and returns the port of "listening on 127.0.0.1:PORT".
    [[nodiscard]] std::uint16_t listening_port();
    [[nodiscard]] pid_t pid() const { return pid_; }
    /// The process's resident set (VmRSS of /proc/PID/status), in KiB; -1 if unknown.
    [[nodiscard]] long long rss_kib() const;
    /// The descriptors the process holds (entries of /proc/PID/fd); -1 if unknown.
    [[nodiscard]] long long open_descriptors() const;
    /// The CPU time the process has used so far (user + system), in milliseconds;
    /// -1 if unknown.
    [[nodiscard]] long long cpu_ms() const;

private:
    pid_t pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string out_;
    std::string err_;
    bool exited_ = false;
};

class line_client {
public:
    explicit line_client(std::uint16_t port);
    line_client(const line_client&) = delete;
    line_client& operator=(const line_client&) = delete;
    ~line_client();

    void send(const std::string& data);
    /// Closes abortively (SO_LINGER 0): the server sees a reset.
    void reset();
    [[nodiscard]] std::optional<std::string> line(int timeout_ms = wait_ms);
    /// Up to `bytes` bytes (fewer at the end of stream or timeout).
    [[nodiscard]] std::string read_bytes(std::size_t bytes, int timeout_ms = wait_ms);
    /// Whether the server closed the connection (end of stream or reset) in time;
    /// data before the end is discarded.
    [[nodiscard]] bool closed_by_server(int timeout_ms = wait_ms);

private:
    int fd_ = -1;
    std::string in_;
};

}  // namespace berth::echo_test
