#include "worker.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vector>

namespace berth::load {

std::uint64_t failure_counts::total() const {
    std::uint64_t sum = mismatch + eof;
    for (const std::uint64_t n : by_errno)
        sum += n;
    return sum;
}

void failure_counts::merge(const failure_counts& other) {
    for (std::size_t i = 0; i < by_errno.size(); ++i)
        by_errno[i] += other.by_errno[i];
    mismatch += other.mismatch;
    eof += other.eof;
}

std::int64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::int64_t tick_ns = 10'000'000;   // timeouts and reconnects are checked this often
constexpr std::int64_t retry_ns = 10'000'000;  // a failed connection is reopened after this
constexpr std::size_t recv_buffer_bytes = 256 * 1024;
constexpr std::size_t max_lines_per_write = 64;
constexpr std::size_t prefix_max = 16;  // hex digits of the line's sequence number

enum class phase : std::uint8_t { idle, connecting, open };

struct connection {
    int fd = -1;
    std::uint32_t generation = 0;  // tells a stale epoll event from a reused slot
    phase state = phase::idle;
    bool want_out = false;      // EPOLLOUT is in the interest set
    bool dirty = false;         // lines to write were issued since the last flush
    std::int64_t started = 0;   // connect() began
    std::int64_t progress = 0;  // last byte received, or first line issued into an idle pipe
    std::int64_t retry_at = 0;
    // Lines: issued (queued, its clock started) >= written (all its bytes in the
    // kernel) >= received (all its bytes echoed). Line k is the k-th of this
    // connection; its bytes are `prefix(k)` then the template's.
    std::uint64_t issued = 0;
    std::uint64_t written = 0;
    std::uint64_t received = 0;
    std::uint64_t due = 0;  // rate: lines whose scheduled time has passed
    std::size_t write_off = 0;
    std::size_t recv_off = 0;
};

class worker {
public:
    worker(const load_options& opts, int first, int count, double rate_share, worker_result& out)
        : opts_(opts),
          size_(static_cast<std::size_t>(opts.size)),
          prefix_len_(std::min(prefix_max, size_ - 1)),
          pipeline_(static_cast<std::size_t>(opts.pipeline)),
          conns_(static_cast<std::size_t>(count)),
          recv_buffer_(recv_buffer_bytes),
          out_(out),
          next_source_(static_cast<std::size_t>(first)) {
        // The payload: lowercase letters, never a newline, ended by '\n'. Every line
        // starts with hex digits, which no command of berth's line protocol does.
        template_.resize(size_);
        for (std::size_t i = 0; i < size_ - 1; ++i)
            template_[i] = static_cast<char>('a' + i % 26);
        template_[size_ - 1] = '\n';
        if (opts.kind == workload::echo || opts.kind == workload::pipelined ||
            (opts.kind == workload::churn && opts.echo)) {
            stamps_.resize(conns_.size() * pipeline_);
        }
        if (opts.kind == workload::rate) period_ns_ = 1e9 / rate_share;
        timeout_ns_ = static_cast<std::int64_t>(opts.timeout * 1e9);
        events_.resize(std::min<std::size_t>(conns_.size() + 1, 1024));
        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) out_.failures.add_errno(errno);
    }

    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    ~worker() {
        for (connection& c : conns_)
            if (c.fd >= 0) ::close(c.fd);
        if (ep_ >= 0) ::close(ep_);
    }

    void run(std::barrier<void (*)() noexcept>& ready, const std::atomic<std::int64_t>& start) {
        if (ep_ < 0) {
            ready.arrive_and_drop();
            return;
        }
        // Set-up: every connection up before the clock starts (churn has none).
        if (opts_.kind != workload::churn) {
            const std::int64_t setup_end = monotonic_ns() + timeout_ns_;
            for (std::size_t i = 0; i < conns_.size(); ++i)
                start_connect(i, monotonic_ns());
            end_ns_ = setup_end;
            while (open_count_ < conns_.size() && monotonic_ns() < setup_end)
                loop_once(setup_end);
            out_.setup_complete = open_count_ == conns_.size();
        }
        ready.arrive_and_wait();
        start_ns_ = start.load();
        measure_ns_ = start_ns_ + static_cast<std::int64_t>(opts_.warmup * 1e9);
        end_ns_ = measure_ns_ + static_cast<std::int64_t>(opts_.duration * 1e9);
        traffic_ = true;
        const std::int64_t now = monotonic_ns();
        for (std::size_t i = 0; i < conns_.size(); ++i) {
            if (opts_.kind == workload::churn) {
                start_connect(i, now);
            } else if (conns_[i].state == phase::open) {
                begin_traffic(i, now);
            }
        }
        flush_dirty();
        for (;;) {
            if (monotonic_ns() >= end_ns_) break;
            loop_once(end_ns_);
        }
    }

private:
    // One wait and what it reports. `until`: the wait ends by then at the latest.
    void loop_once(std::int64_t until) {
        std::int64_t now = monotonic_ns();
        if (traffic_ && opts_.kind == workload::rate) schedule(now);
        if (now >= next_tick_) {
            tick(now);
            next_tick_ = now + tick_ns;
        }
        flush_dirty();
        std::int64_t wake = std::min(until, next_tick_);
        if (traffic_ && opts_.kind == workload::rate) wake = std::min(wake, scheduled(next_line_));
        const std::int64_t wait = std::max<std::int64_t>(0, wake - now);
        const timespec ts{static_cast<time_t>(wait / ns_per_s), static_cast<long>(wait % ns_per_s)};
        const int n =
            ::epoll_pwait2(ep_, events_.data(), static_cast<int>(events_.size()), &ts, nullptr);
        for (int k = 0; k < n; ++k) {
            const epoll_event& ev = events_[static_cast<std::size_t>(k)];
            const auto index = static_cast<std::size_t>(ev.data.u64 & 0xffffffffU);
            const auto generation = static_cast<std::uint32_t>(ev.data.u64 >> 32);
            if (index >= conns_.size() || conns_[index].generation != generation) continue;
            handle(index, ev.events);
        }
        flush_dirty();
    }

    void handle(std::size_t i, std::uint32_t events) {
        connection& c = conns_[i];
        if (c.state == phase::connecting) {
            if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
            int error = 0;
            socklen_t len = sizeof(error);
            if (::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
            if (error != 0) {
                fail_errno(i, error);
                return;
            }
            connected(i, monotonic_ns());
            return;
        }
        if (c.state != phase::open) return;
        if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
            if (!readable(i)) return;
        }
        if ((events & EPOLLOUT) != 0 && c.state == phase::open) flush(i);
    }

    [[nodiscard]] bool in_window(std::int64_t now) const {
        return traffic_ && now >= measure_ns_ && now < end_ns_;
    }

    [[nodiscard]] std::int64_t scheduled(std::uint64_t line) const {
        return start_ns_ + static_cast<std::int64_t>(static_cast<double>(line) * period_ns_);
    }

    // Rate: every line of the worker's schedule whose time has come is issued on its
    // connection (line j goes to connection j mod count), whatever the replies do.
    void schedule(std::int64_t now) {
        const std::uint64_t n = conns_.size();
        while (scheduled(next_line_) <= now && scheduled(next_line_) < end_ns_) {
            connection& c = conns_[static_cast<std::size_t>(next_line_ % n)];
            ++c.due;
            if (c.state == phase::open) issue_due(static_cast<std::size_t>(next_line_ % n), now);
            ++next_line_;
        }
    }

    // Rate: the scheduled send time of line k of connection i.
    [[nodiscard]] std::int64_t scheduled_of(std::size_t i, std::uint64_t k) const {
        return scheduled(k * conns_.size() + i);
    }

    void tick(std::int64_t now) {
        for (std::size_t i = 0; i < conns_.size(); ++i) {
            connection& c = conns_[i];
            switch (c.state) {
                case phase::connecting:
                    if (now - c.started > timeout_ns_) fail_errno(i, ETIMEDOUT);
                    break;
                case phase::open:
                    if (c.received < c.issued && now - c.progress > timeout_ns_) {
                        fail_errno(i, ETIMEDOUT);
                    }
                    break;
                case phase::idle:
                    // Set-up retries too: every connection is wanted.
                    if (c.retry_at != 0 && c.retry_at <= now) start_connect(i, now);
                    break;
            }
        }
    }

    void start_connect(std::size_t i, std::int64_t now) {
        connection& c = conns_[i];
        c.retry_at = 0;
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0) {
            fail_errno(i, errno);
            return;
        }
        const int on = 1;
        static_cast<void>(::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)));
        // The port is chosen at connect(), from the whole 4-tuple, not at bind().
        static_cast<void>(::setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(on)));
        sockaddr_in source{};
        source.sin_family = AF_INET;
        const auto host =
            static_cast<std::uint32_t>(next_source_ % static_cast<std::size_t>(opts_.sources)) + 1;
        ++next_source_;
        source.sin_addr.s_addr = htonl((127U << 24) | host);
        if (::bind(c.fd, reinterpret_cast<const sockaddr*>(&source), sizeof(source)) != 0) {
            fail_errno(i, errno);
            return;
        }
        c.started = now;
        const int rc =
            ::connect(c.fd, reinterpret_cast<const sockaddr*>(&opts_.target), sizeof(opts_.target));
        if (rc != 0 && errno != EINPROGRESS) {
            fail_errno(i, errno);
            return;
        }
        epoll_event ev{};
        ev.events = rc == 0 ? EPOLLIN : EPOLLOUT;
        ev.data.u64 = (static_cast<std::uint64_t>(c.generation) << 32) | i;
        if (::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
            fail_errno(i, errno);
            return;
        }
        c.state = phase::connecting;
        c.want_out = false;
        if (rc == 0) connected(i, monotonic_ns());
    }

    void connected(std::size_t i, std::int64_t now) {
        connection& c = conns_[i];
        c.state = phase::open;
        ++open_count_;
        ++out_.connects;
        c.progress = now;
        if (opts_.kind == workload::churn) {
            if (in_window(now)) out_.latency.record(static_cast<std::uint64_t>(now - c.started));
            if (!opts_.echo) {
                end_cycle(i, now);
                return;
            }
        }
        // Watch for replies only now: EPOLLOUT stays only while a write is blocked.
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = (static_cast<std::uint64_t>(c.generation) << 32) | i;
        if (::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) != 0) {
            fail_errno(i, errno);
            return;
        }
        if (traffic_) begin_traffic(i, now);
    }

    void begin_traffic(std::size_t i, std::int64_t now) {
        connection& c = conns_[i];
        switch (opts_.kind) {
            case workload::churn: issue(i, now); break;
            case workload::echo:
            case workload::pipelined:
                for (std::size_t k = 0; k < pipeline_; ++k)
                    issue(i, now);
                break;
            case workload::rate:
                // Lines that fell due while the connection was down (or were lost with
                // it) go out now, late: their latency runs from their scheduled time.
                if (c.due > c.issued) issue_due(i, now);
                break;
        }
    }

    // Closed loop: queue one more line on connection i, its clock started now.
    void issue(std::size_t i, std::int64_t now) {
        connection& c = conns_[i];
        if (c.received == c.issued) c.progress = now;
        stamps_[i * pipeline_ + static_cast<std::size_t>(c.issued % pipeline_)] = now;
        ++c.issued;
        if (in_window(now)) ++out_.lines_sent;
        mark_dirty(i);
    }

    void issue_due(std::size_t i, std::int64_t now) {
        connection& c = conns_[i];
        if (c.received == c.issued) c.progress = now;
        if (in_window(now)) out_.lines_sent += c.due - c.issued;
        c.issued = c.due;
        mark_dirty(i);
    }

    void mark_dirty(std::size_t i) {
        if (conns_[i].dirty) return;
        conns_[i].dirty = true;
        dirty_.push_back(i);
    }

    void flush_dirty() {
        // flush() may fail a connection, which never adds to the list.
        for (std::size_t k = 0; k < dirty_.size(); ++k) {
            const std::size_t i = dirty_[k];
            conns_[i].dirty = false;
            if (conns_[i].state == phase::open) flush(i);
        }
        dirty_.clear();
    }

    void write_prefix(std::uint64_t line, char* to) const {
        static constexpr char digits[] = "0123456789abcdef";
        for (std::size_t d = 0; d < prefix_len_; ++d) {
            const auto shift = static_cast<unsigned>(4 * (prefix_len_ - 1 - d));
            to[d] = digits[(line >> shift) & 15U];
        }
    }

    // Writes what is issued and not yet written, up to what the kernel takes.
    void flush(std::size_t i) {
        connection& c = conns_[i];
        while (c.written < c.issued) {
            std::size_t iovs = 0;
            std::size_t lines = 0;
            std::size_t bytes = 0;
            for (std::uint64_t k = c.written; k < c.issued && lines < max_lines_per_write;
                 ++k, ++lines) {
                const std::size_t off = k == c.written ? c.write_off : 0;
                if (off < prefix_len_) {
                    char* p = prefixes_[lines].data();
                    write_prefix(k, p);
                    iov_[iovs++] = iovec{p + off, prefix_len_ - off};
                    iov_[iovs++] = iovec{template_.data() + prefix_len_, size_ - prefix_len_};
                } else {
                    iov_[iovs++] = iovec{template_.data() + off, size_ - off};
                }
                bytes += size_ - off;
            }
            msghdr msg{};
            msg.msg_iov = iov_.data();
            msg.msg_iovlen = iovs;
            const ssize_t sent = ::sendmsg(c.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (sent < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    set_want_out(i, true);
                    return;
                }
                if (errno == EINTR) continue;
                fail_errno(i, errno);
                return;
            }
            const std::int64_t now = monotonic_ns();
            if (in_window(now)) out_.bytes_sent += static_cast<std::uint64_t>(sent);
            auto left = static_cast<std::size_t>(sent);
            while (left > 0) {
                const std::size_t rest = size_ - c.write_off;
                if (left >= rest) {
                    left -= rest;
                    c.write_off = 0;
                    ++c.written;
                } else {
                    c.write_off += left;
                    left = 0;
                }
            }
            if (static_cast<std::size_t>(sent) < bytes) {
                set_want_out(i, true);
                return;
            }
        }
        set_want_out(i, false);
    }

    void set_want_out(std::size_t i, bool want) {
        connection& c = conns_[i];
        if (c.want_out == want) return;
        epoll_event ev{};
        ev.events = EPOLLIN | (want ? EPOLLOUT : 0U);
        ev.data.u64 = (static_cast<std::uint64_t>(c.generation) << 32) | i;
        if (::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) != 0) {
            fail_errno(i, errno);
            return;
        }
        c.want_out = want;
    }

    // One recv; false when the connection failed or ended.
    bool readable(std::size_t i) {
        connection& c = conns_[i];
        const ssize_t got = ::recv(c.fd, recv_buffer_.data(), recv_buffer_.size(), MSG_DONTWAIT);
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
            fail_errno(i, errno);
            return false;
        }
        if (got == 0) {
            ++out_.failures.eof;
            fail(i);
            return false;
        }
        const std::int64_t now = monotonic_ns();
        c.progress = now;
        if (in_window(now)) out_.bytes_received += static_cast<std::uint64_t>(got);
        const char* data = recv_buffer_.data();
        auto left = static_cast<std::size_t>(got);
        // Never more bytes back than were written.
        const std::size_t owed =
            static_cast<std::size_t>(c.written - c.received) * size_ + c.write_off - c.recv_off;
        if (left > owed) {
            ++out_.failures.mismatch;
            fail(i);
            return false;
        }
        const std::uint32_t generation = c.generation;
        while (left > 0) {
            const std::size_t take = std::min(size_ - c.recv_off, left);
            if (!matches(c.received, c.recv_off, data, take)) {
                ++out_.failures.mismatch;
                fail(i);
                return false;
            }
            c.recv_off += take;
            data += take;
            left -= take;
            if (c.recv_off == size_) {
                c.recv_off = 0;
                const std::uint64_t line = c.received++;
                completed(i, line, now);
                // Churn closes after its one round trip; the slot may be reused.
                if (c.generation != generation || c.state != phase::open) return false;
            }
        }
        return true;
    }

    [[nodiscard]] bool matches(std::uint64_t line, std::size_t off, const char* data,
                               std::size_t n) const {
        if (off < prefix_len_) {
            char prefix[prefix_max];
            write_prefix(line, prefix);
            const std::size_t head = std::min(n, prefix_len_ - off);
            if (std::memcmp(prefix + off, data, head) != 0) return false;
            off += head;
            data += head;
            n -= head;
        }
        return std::memcmp(template_.data() + off, data, n) == 0;
    }

    void completed(std::size_t i, std::uint64_t line, std::int64_t now) {
        const bool counted = in_window(now);
        switch (opts_.kind) {
            case workload::churn: {
                const std::int64_t sent = stamps_[i * pipeline_];
                if (counted) out_.echo_latency.record(static_cast<std::uint64_t>(now - sent));
                end_cycle(i, now);
                return;
            }
            case workload::echo:
            case workload::pipelined: {
                const std::int64_t sent =
                    stamps_[i * pipeline_ + static_cast<std::size_t>(line % pipeline_)];
                if (counted) {
                    out_.latency.record(static_cast<std::uint64_t>(now - sent));
                    ++out_.operations;
                }
                if (now < end_ns_) issue(i, now);
                return;
            }
            case workload::rate: {
                const std::int64_t due = scheduled_of(i, line);
                if (counted) {
                    out_.latency.record(
                        static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - due)));
                    ++out_.operations;
                }
                return;
            }
        }
    }

    // Churn: the cycle is done; close and start the next one in the same slot.
    void end_cycle(std::size_t i, std::int64_t now) {
        if (in_window(now)) ++out_.operations;
        close_slot(i);
        if (now < end_ns_) start_connect(i, now);
    }

    void close_slot(std::size_t i) {
        connection& c = conns_[i];
        if (c.state == phase::open) --open_count_;
        if (c.fd >= 0) ::close(c.fd);
        c.fd = -1;
        c.state = phase::idle;
        c.want_out = false;
        ++c.generation;
    }

    void fail_errno(std::size_t i, int error) {
        out_.failures.add_errno(error);
        fail(i);
    }

    // The connection is dropped, its lines in flight lost; it is reopened after a pause.
    void fail(std::size_t i) {
        close_slot(i);
        connection& c = conns_[i];
        c.retry_at = monotonic_ns() + retry_ns;
        c.issued = c.written = c.received;
        c.write_off = c.recv_off = 0;
    }

    const load_options& opts_;
    std::size_t size_;
    std::size_t prefix_len_;
    std::size_t pipeline_;
    std::vector<connection> conns_;
    std::vector<std::int64_t> stamps_;  // closed loop: send time of each line in flight
    std::vector<char> recv_buffer_;
    std::vector<char> template_;
    std::vector<epoll_event> events_;
    std::vector<std::size_t> dirty_;
    std::array<iovec, 2 * max_lines_per_write> iov_{};
    std::array<std::array<char, prefix_max>, max_lines_per_write> prefixes_{};
    worker_result& out_;
    int ep_ = -1;
    std::size_t next_source_;
    std::size_t open_count_ = 0;
    bool traffic_ = false;
    double period_ns_ = 0;
    std::uint64_t next_line_ = 0;
    std::int64_t timeout_ns_ = 0;
    std::int64_t start_ns_ = 0;
    std::int64_t measure_ns_ = std::numeric_limits<std::int64_t>::max();
    std::int64_t end_ns_ = 0;
    std::int64_t next_tick_ = 0;
};

}  // namespace

void run_worker(const load_options& opts, int first, int count, double rate_share,
                std::barrier<void (*)() noexcept>& ready, const std::atomic<std::int64_t>& start_ns,
                worker_result& out) {
    worker w(opts, first, count, rate_share, out);
    w.run(ready, start_ns);
}

}  // namespace berth::load
