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

inline constexpr std::uint32_t nil = 0xffffffffU;
/// Endpoints one world may create: a bound on memory for runaway tests.
inline constexpr std::uint32_t endpoints_max = 1U << 22;
/// The longest Unix socket name the kernel binds, as Linux's sun_path allows.
inline constexpr std::size_t unix_name_bytes_max = 107;

struct io_result {
    std::size_t bytes = 0;
    int error = 0;     ///< EAGAIN: nothing yet; ECONNRESET, EBADF, ...
    bool eof = false;  ///< the peer shut down and everything it sent was read
};

/// Bytes consumed from the front: an offset instead of erasing, so a long queue
/// drained in small pieces costs linear time.
class byte_queue {
public:
    [[nodiscard]] bool empty() const { return head_ == bytes_.size(); }
    [[nodiscard]] std::size_t size() const { return bytes_.size() - head_; }
    [[nodiscard]] std::string_view view() const { return std::string_view(bytes_).substr(head_); }
    void append(std::string_view data) { bytes_.append(data); }
    void consume(std::size_t n) {
        head_ += n;
        if (head_ == bytes_.size()) {
            clear();
        } else if (head_ > 4096 && head_ * 2 > bytes_.size()) {
            bytes_.erase(0, head_);
            head_ = 0;
        }
    }
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
    std::string bytes;
    std::size_t head = 0;
    bool eof = false;  ///< after the bytes, end of stream
    int error = 0;     ///< ECONNRESET once the peer reset the connection
    [[nodiscard]] std::size_t size() const { return bytes.size() - head; }
};

struct endpoint {
    std::uint32_t peer = nil;
    byte_pipe in;
    byte_queue outbox;  ///< sent by the owner, not yet taken by the peer (the send buffer)
    std::string address;
    std::uint32_t fd = nil;  ///< server ends hold a descriptor once accepted
    bool closed = false;     ///< its owner closed it
    bool write_shut = false;
    bool eof_sent = false;
    int send_error = 0;             ///< why the send buffer could not be delivered
    std::uint64_t op_sequence = 0;  ///< lets a timeout tell its read from later ones
    std::function<void()> on_readable;
    std::function<void()> on_writable;
    std::function<void()> on_outbox_empty;
};

/// `file`: a descriptor the rest of the simulated process holds (kernel::open_file).
enum class fd_kind : std::uint8_t { free, listener, stream, reserve, file };

struct kernel_stats {
    std::uint64_t connects = 0;
    std::uint64_t established = 0;
    std::uint64_t refused = 0;
    std::uint64_t overflow_retries = 0;
    std::uint64_t timed_out = 0;
    std::uint64_t accepts = 0;
    std::uint64_t emfile = 0;
    std::uint64_t resets = 0;
    std::uint64_t spurious_wakeups = 0;
    std::uint64_t partial_writes =
        0;  ///< writes cut short (fault_config::partial_write_per_million)
    /// Injected accept errors, by core::accept_error_class.
    std::array<std::uint64_t, core::accept_error_class_count> injected{};
};

class kernel {
public:
    kernel(world& w, const kernel_config& config, const fault_config& faults);

    [[nodiscard]] const kernel_config& config() const { return config_; }
    [[nodiscard]] fault_config& faults() { return faults_; }
    [[nodiscard]] const kernel_stats& stats() const { return stats_; }

    // --- Descriptors -------------------------------------------------------------

    struct listen_result {
        socket_handle handle = 0;
        std::string address;  ///< with the port filled in when it was 0
        int error = 0;
    };
    /// "host:port" (port 0: chosen by the kernel), "unix:PATH" or "unix:@NAME". Fails
    /// with EADDRINUSE, EMFILE, ENAMETOOLONG (a name beyond unix_name_bytes_max).
    listen_result listen(const std::string& address, std::int32_t backlog);

    struct accept_result {
        socket_handle handle = 0;
        int error = 0;
        bool injected = false;
    };
    accept_result accept(socket_handle listener);
    /// Calls `fn` (as a world event) once the listen queue is non-empty.
    void wait_readable(socket_handle listener, std::function<void()> fn);
    [[nodiscard]] std::size_t queue_length(socket_handle listener) const;

    /// A descriptor kept in reserve for shedding; 0 when the table is full.
    socket_handle open_reserve();
    /// A descriptor held by the rest of the simulated process (a file, a pipe): it
    /// counts against fd_limit until closed with close(). Opening a few for a while
    /// makes a descriptor-exhaustion window (EMFILE on accept). 0 when the table is
    /// full.
    socket_handle open_file();
    /// Closes whatever the handle names. A stale handle fails the world's checks.
    void close(socket_handle handle);
    /// The stream endpoint a descriptor names; nil (and a failed check) if stale.
    [[nodiscard]] std::uint32_t endpoint_of(socket_handle handle);
    [[nodiscard]] bool is_open(socket_handle handle) const;
    [[nodiscard]] std::uint32_t fds_in_use() const { return fds_in_use_; }
    /// The next accepts fail with these errno values, in order, before any other fault.
    void inject_accept_errors(const std::vector<int>& errors);

    // --- Streams ---------------------------------------------------------------

    /// Connects from the simulated remote host; `done(error, endpoint)` runs as a
    /// world event.
    void connect(const std::string& address, std::function<void(int, std::uint32_t)> done);

    [[nodiscard]] endpoint& ep(std::uint32_t id) { return endpoints_[id]; }
    [[nodiscard]] const endpoint& ep(std::uint32_t id) const { return endpoints_[id]; }

    /// Takes up to `max` bytes into `out` (appended).
    io_result read(std::uint32_t id, std::string& out, std::size_t max);
    /// Takes up to `into.size()` bytes into `into`.
    io_result read_into(std::uint32_t id, std::span<char> into);
    /// Takes one line (without its '\n') when a whole line, or the rest before the
    /// end of stream, is there. Returns false when more must arrive first.
    bool read_line(std::uint32_t id, std::string& line, io_result& status);
    /// Whether a read would not block.
    [[nodiscard]] bool readable(std::uint32_t id) const;
    /// Writes what fits in the peer's buffer; the rest is the caller's.
    io_result write(std::uint32_t id, std::string_view data);
    /// Queues `data` in the endpoint's send buffer, flushed in the background.
    void send(std::uint32_t id, std::string_view data);
    /// One-shot wake-ups, delivered as world events. notify_readable fires once
    /// more than `seen_bytes` bytes are waiting, or the stream ended or failed.
    void notify_readable(std::uint32_t id, std::function<void()> fn, std::size_t seen_bytes = 0);
    void notify_writable(std::uint32_t id, std::function<void()> fn);
    void notify_outbox_empty(std::uint32_t id, std::function<void()> fn);

    void shutdown_write(std::uint32_t id);
    /// The owner closes its end. `abortive` (SO_LINGER 0) resets the connection;
    /// so does closing with unread data, as Linux does.
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
