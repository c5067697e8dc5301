/// @file
/// The simulated kernel: listening sockets with a backlog queue, a descriptor
/// table with a limit (so EMFILE happens for real), connected stream sockets with
/// in-memory byte streams in both directions, peer close and reset, and injected
/// accept errors of every class of SEMANTICS.md section 6.
///
/// Descriptors are named by handles that carry a generation (fd | generation << 32),
/// so closing a descriptor twice or using it after close is caught even when the
/// number has been reused: such a misuse fails the world's checks.
///
/// Client ends of connections live on a simulated remote host: they hold no
/// descriptor. Endpoints are never freed while the world lives, so a callback that
/// names one can never touch another.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "berth/core/accept_error.hpp"
#include "berth/core/types.hpp"
#include "berth/sim/config.hpp"
#include "berth/sim/prng.hpp"

namespace berth::sim {

class world;
using core::socket_handle;

/// No endpoint, no descriptor, no object.
inline constexpr std::uint32_t nil = 0xffffffffU;
/// Endpoints one world may create: a bound on memory for runaway tests.
inline constexpr std::uint32_t endpoints_max = 1U << 22;
/// The longest Unix socket name the kernel binds, as Linux's sun_path allows.
inline constexpr std::size_t unix_name_bytes_max = 107;

/// The result of a read or write on an endpoint.
struct io_result {
    std::size_t bytes = 0;  ///< moved; 0 on an error or at the end
    int error = 0;          ///< EAGAIN: nothing yet; ECONNRESET, EBADF, ...
    bool eof = false;       ///< the peer shut down and everything it sent was read
};

/// Bytes consumed from the front: an offset instead of erasing, so a long queue
/// drained in small pieces costs linear time.
class byte_queue {
public:
    /// Whether no byte waits.
    [[nodiscard]] bool empty() const { return head_ == bytes_.size(); }
    /// Bytes waiting.
    [[nodiscard]] std::size_t size() const { return bytes_.size() - head_; }
    /// The bytes waiting; valid until the next append or consume.
    [[nodiscard]] std::string_view view() const { return std::string_view(bytes_).substr(head_); }
    /// @param data copied to the back.
    void append(std::string_view data) { bytes_.append(data); }
    /// Drops bytes from the front. Precondition: n <= size().
    /// @param n how many.
    void consume(std::size_t n) {
        head_ += n;
        if (head_ == bytes_.size()) {
            clear();
        } else if (head_ > 4096 && head_ * 2 > bytes_.size()) {
            bytes_.erase(0, head_);
            head_ = 0;
        }
    }
    /// Drops every byte.
    void clear() {
        bytes_.clear();
        head_ = 0;
    }

private:
    std::string bytes_;
    std::size_t head_ = 0;
};

/// One direction of a connection: bytes on their way to one endpoint.
struct byte_pipe {
    std::string bytes;     ///< arrived; those before `head` were read
    std::size_t head = 0;  ///< the first unread byte
    bool eof = false;      ///< after the bytes, end of stream
    int error = 0;         ///< ECONNRESET once the peer reset the connection
    /// Bytes arrived and not read.
    [[nodiscard]] std::size_t size() const { return bytes.size() - head; }
};

/// One end of a simulated connection. The kernel owns it for the world's life.
struct endpoint {
    std::uint32_t peer = nil;  ///< the other end
    byte_pipe in;              ///< what arrives here
    byte_queue outbox;         ///< sent by the owner, not yet taken by the peer (the send buffer)
    std::string address;       ///< this end's address as text
    std::uint32_t fd = nil;    ///< server ends hold a descriptor once accepted
    bool closed = false;       ///< its owner closed it
    bool write_shut = false;   ///< its owner shut down writing
    bool eof_sent = false;     ///< the end of stream reached the peer (after the outbox)
    int send_error = 0;        ///< why the send buffer could not be delivered
    std::uint64_t op_sequence = 0;          ///< lets a timeout tell its read from later ones
    std::function<void()> on_readable;      ///< one-shot: notify_readable
    std::function<void()> on_writable;      ///< one-shot: notify_writable
    std::function<void()> on_outbox_empty;  ///< one-shot: notify_outbox_empty
};

/// What a descriptor of the simulated process is.
/// `file`: a descriptor the rest of the simulated process holds (kernel::open_file).
enum class fd_kind : std::uint8_t { free, listener, stream, reserve, file };

/// The kernel's counters over the world's life.
struct kernel_stats {
    std::uint64_t connects = 0;     ///< connect calls
    std::uint64_t established = 0;  ///< connections accepted into a listen queue
    std::uint64_t refused = 0;      ///< connects refused: no listener, or a full queue that refuses
    std::uint64_t overflow_retries = 0;  ///< SYN retransmissions for a full queue
    std::uint64_t timed_out = 0;         ///< connects that gave up with ETIMEDOUT
    std::uint64_t accepts = 0;           ///< sockets accepted
    std::uint64_t emfile = 0;            ///< accepts that found the descriptor table full
    std::uint64_t resets = 0;            ///< connections reset
    std::uint64_t spurious_wakeups = 0;  ///< injected readiness without a connection
    /// Writes cut short (fault_config::partial_write_per_million).
    std::uint64_t partial_writes = 0;
    /// Injected accept errors, by core::accept_error_class.
    std::array<std::uint64_t, core::accept_error_class_count> injected{};
};

/// The world's kernel (world::net()). Owned by the world; single-threaded. Calls
/// never block and never throw: errors are errno values in the results, and a
/// misused descriptor fails the world's checks (world::fail). Wake-ups and connect
/// results are world events, never run inside the call that arms them.
class kernel {
public:
    /// Made by the world.
    /// @param w the owning world.
    /// @param config copied.
    /// @param faults copied; faults() changes them later.
    kernel(world& w, const kernel_config& config, const fault_config& faults);

    /// The configuration given at construction.
    [[nodiscard]] const kernel_config& config() const { return config_; }
    /// The faults injected from now on; change them at any time.
    [[nodiscard]] fault_config& faults() { return faults_; }
    /// The counters.
    [[nodiscard]] const kernel_stats& stats() const { return stats_; }

    // --- Descriptors -------------------------------------------------------------

    /// The result of listen.
    struct listen_result {
        socket_handle handle = 0;  ///< the listener's descriptor; 0 on an error
        std::string address;       ///< with the port filled in when it was 0
        int error = 0;             ///< errno, or 0
    };
    /// "host:port" (port 0: chosen by the kernel), "unix:PATH" or "unix:\@NAME". Fails
    /// with EADDRINUSE, EMFILE, ENAMETOOLONG (a name beyond unix_name_bytes_max).
    /// @param address as above.
    /// @param backlog the listen queue's length.
    /// @return the listener, or the error.
    listen_result listen(const std::string& address, std::int32_t backlog);

    /// The result of accept.
    struct accept_result {
        socket_handle handle = 0;  ///< the new descriptor; 0 on an error
        int error = 0;             ///< errno: EAGAIN with nothing queued, EMFILE, ...
        bool injected = false;     ///< the error was a fault, not the kernel's
    };
    /// One non-blocking accept, as Linux orders its checks: a descriptor first
    /// (EMFILE even with nothing queued), then the queue (EAGAIN). Scripted and
    /// random faults come before both.
    /// @param listener a listening descriptor; EBADF (and a failed check) for a
    ///   stale one.
    /// @return the descriptor, which the caller owns until close(), or the error.
    accept_result accept(socket_handle listener);
    /// Calls `fn` (as a world event) once the listen queue is non-empty.
    /// @param listener a listening descriptor.
    /// @param fn kept until it runs; replaces an earlier wait's.
    void wait_readable(socket_handle listener, std::function<void()> fn);
    /// @param listener a listening descriptor.
    /// @return the connections queued on it.
    [[nodiscard]] std::size_t queue_length(socket_handle listener) const;

    /// A descriptor kept in reserve for shedding; 0 when the table is full.
    socket_handle open_reserve();
    /// A descriptor held by the rest of the simulated process (a file, a pipe): it
    /// counts against fd_limit until closed with close(). Opening a few for a while
    /// makes a descriptor-exhaustion window (EMFILE on accept). 0 when the table is
    /// full.
    socket_handle open_file();
    /// Closes whatever the handle names. A stale handle fails the world's checks.
    /// @param handle a descriptor this kernel issued.
    void close(socket_handle handle);
    /// The stream endpoint a descriptor names; nil (and a failed check) if stale.
    /// @param handle an accepted descriptor.
    /// @return the endpoint number.
    [[nodiscard]] std::uint32_t endpoint_of(socket_handle handle);
    /// @param handle any handle, stale or not.
    /// @return whether it names an open descriptor (its generation matches).
    [[nodiscard]] bool is_open(socket_handle handle) const;
    /// Descriptors open now, against kernel_config::fd_limit.
    [[nodiscard]] std::uint32_t fds_in_use() const { return fds_in_use_; }
    /// The next accepts fail with these errno values, in order, before any other fault.
    /// @param errors copied; queued after those already scripted.
    void inject_accept_errors(const std::vector<int>& errors);

    // --- Streams ---------------------------------------------------------------

    /// Connects from the simulated remote host; `done(error, endpoint)` runs as a
    /// world event.
    /// @param address as listen takes it.
    /// @param done called once: (0, the client's endpoint) or (ECONNREFUSED or
    ///   ETIMEDOUT, nil).
    void connect(const std::string& address, std::function<void(int, std::uint32_t)> done);

    /// @param id an endpoint number.
    /// @return the endpoint; the reference stays valid for the world's life.
    [[nodiscard]] endpoint& ep(std::uint32_t id) { return endpoints_[id]; }
    /// @param id an endpoint number.
    /// @return the endpoint; the reference stays valid for the world's life.
    [[nodiscard]] const endpoint& ep(std::uint32_t id) const { return endpoints_[id]; }

    /// Takes up to `max` bytes into `out` (appended).
    /// @param id the endpoint.
    /// @param out appended to.
    /// @param max the most bytes.
    /// @return as read_into.
    io_result read(std::uint32_t id, std::string& out, std::size_t max);
    /// Takes up to `into.size()` bytes into `into`.
    /// @param id the endpoint.
    /// @param into filled from the front.
    /// @return the bytes; else EBADF (closed here), the peer's reset, eof, or EAGAIN.
    io_result read_into(std::uint32_t id, std::span<char> into);
    /// Takes one line (without its '\n') when a whole line, or the rest before the
    /// end of stream, is there. Returns false when more must arrive first.
    /// @param id the endpoint.
    /// @param line set to the line.
    /// @param status the bytes taken (the newline included), or why there are none.
    /// @return whether the read is over.
    bool read_line(std::uint32_t id, std::string& line, io_result& status);
    /// Whether a read would not block.
    /// @param id the endpoint.
    /// @return true with bytes waiting, at the end, or on an error.
    [[nodiscard]] bool readable(std::uint32_t id) const;
    /// Writes what fits in the peer's buffer; the rest is the caller's.
    /// @param id the endpoint.
    /// @param data the bytes; those taken are copied.
    /// @return the bytes taken; else EBADF (closed here), EPIPE (shut down, or the
    ///   peer closed), ECONNRESET, or EAGAIN (no room).
    io_result write(std::uint32_t id, std::string_view data);
    /// Queues `data` in the endpoint's send buffer, flushed in the background.
    /// @param id the endpoint.
    /// @param data copied.
    void send(std::uint32_t id, std::string_view data);
    /// One-shot wake-ups, delivered as world events. notify_readable fires once
    /// more than `seen_bytes` bytes are waiting, or the stream ended or failed.
    /// @param id the endpoint.
    /// @param fn kept until it runs; replaces an earlier one.
    /// @param seen_bytes the bytes the reader has already looked at.
    void notify_readable(std::uint32_t id, std::function<void()> fn, std::size_t seen_bytes = 0);
    /// Wakes `fn` once the peer's buffer has room (or the write would fail).
    /// @param id the endpoint.
    /// @param fn kept until it runs.
    void notify_writable(std::uint32_t id, std::function<void()> fn);
    /// Wakes `fn` once the send buffer is empty (or cannot be delivered).
    /// @param id the endpoint.
    /// @param fn kept until it runs.
    void notify_outbox_empty(std::uint32_t id, std::function<void()> fn);

    /// The owner shuts down writing: the peer reads the end after the send buffer.
    /// @param id the endpoint.
    void shutdown_write(std::uint32_t id);
    /// The owner closes its end. `abortive` (SO_LINGER 0) resets the connection;
    /// so does closing with unread data, as Linux does.
    /// @param id the endpoint.
    /// @param abortive reset rather than close.
    void close_endpoint(std::uint32_t id, bool abortive);

private:
    struct fd_entry {
        fd_kind kind = fd_kind::free;
        std::uint32_t generation = 0;
        std::uint32_t object = nil;
    };
    struct listener {
        std::string address;
        std::uint32_t backlog = 0;
        std::deque<std::uint32_t> queue;  ///< server endpoints, connection order
        bool open = true;
        std::function<void()> on_readable;
    };

    fd_entry* entry(socket_handle handle, const char* operation);
    socket_handle allocate_fd(fd_kind kind, std::uint32_t object);
    void free_fd(std::uint32_t fd);
    std::uint32_t new_endpoint(std::string address);
    void attempt_connect(const std::string& address, std::uint32_t attempt,
                         std::function<void(int, std::uint32_t)> done);
    void wake(std::function<void()>& slot);
    void flush_outbox(std::uint32_t id);
    void after_read(std::uint32_t id);
    void close_listener(std::uint32_t index);
    int random_accept_fault(const listener& l, bool& consumes);
    [[nodiscard]] time_ns latency();

    world& world_;
    kernel_config config_;
    fault_config faults_;
    prng write_faults_;  ///< partial writes: a stream of the kernel's own
    kernel_stats stats_;
    std::vector<fd_entry> fds_;
    std::uint32_t fds_in_use_ = 0;
    std::deque<endpoint> endpoints_;  ///< a deque: references stay valid as it grows
    std::vector<listener> listeners_;
    std::map<std::string, std::uint32_t> bound_;  ///< address -> listener index
    std::deque<int> scripted_accept_errors_;
    std::uint32_t next_port_ = 40000;
    std::uint32_t next_client_ = 1;
};

}  // namespace berth::sim
