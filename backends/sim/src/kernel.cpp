#include "berth/sim/kernel.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "berth/core/detail/assert.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

namespace {

constexpr std::uint32_t fd_of(socket_handle handle) {
    return static_cast<std::uint32_t>(handle & 0xffffffffU);
}
constexpr std::uint32_t generation_of(socket_handle handle) {
    return static_cast<std::uint32_t>(handle >> 32);
}
constexpr socket_handle make_handle(std::uint32_t fd, std::uint32_t generation) {
    return (static_cast<socket_handle>(generation) << 32) | fd;
}

// The partial-write stream's salt: the world's streams (prng.hpp) are derived with
// other values, so this one is independent of all of them.
constexpr std::uint64_t partial_write_salt = 0x7061727469616c77ULL;  // "partialw"

}  // namespace

kernel::kernel(world& w, const kernel_config& config, const fault_config& faults)
    : world_(w),
      config_(config),
      faults_(faults),
      write_faults_(mix64(w.seed() ^ partial_write_salt)),
      fds_(config.fd_limit) {
    BERTH_ASSERT(config.fd_limit >= 1);
    BERTH_ASSERT(config.socket_buffer_bytes >= 1);
}

time_ns kernel::latency() {
    if (config_.latency_max_ns <= 0) return 0;
    return world_.random(stream::network).between(0, config_.latency_max_ns);
}

void kernel::wake(std::function<void()>& slot) {
    if (!slot) return;
    world_.post(latency(), std::exchange(slot, nullptr));
}

// --- Descriptors -----------------------------------------------------------------

kernel::fd_entry* kernel::entry(socket_handle handle, const char* operation) {
    const std::uint32_t fd = fd_of(handle);
    if (fd >= fds_.size() || fds_[fd].kind == fd_kind::free ||
        fds_[fd].generation != generation_of(handle)) {
        world_.fail(std::string(operation) + ": descriptor " + std::to_string(fd) +
                    " (generation " + std::to_string(generation_of(handle)) +
                    ") is not open: closed twice or used after close");
        return nullptr;
    }
    return &fds_[fd];
}

bool kernel::is_open(socket_handle handle) const {
    const std::uint32_t fd = fd_of(handle);
    return fd < fds_.size() && fds_[fd].kind != fd_kind::free &&
           fds_[fd].generation == generation_of(handle);
}

// The lowest free number, as POSIX requires: reuse is frequent, which is what makes
// the generation check worth having.
socket_handle kernel::allocate_fd(fd_kind kind, std::uint32_t object) {
    for (std::uint32_t fd = 0; fd < fds_.size(); ++fd) {
        fd_entry& e = fds_[fd];
        if (e.kind != fd_kind::free) continue;
        e.kind = kind;
        e.object = object;
        e.generation = e.generation == 0xffffffffU ? 1 : e.generation + 1;
        ++fds_in_use_;
        return make_handle(fd, e.generation);
    }
    return 0;
}

void kernel::free_fd(std::uint32_t fd) {
    fds_[fd].kind = fd_kind::free;
    fds_[fd].object = nil;
    --fds_in_use_;
}

kernel::listen_result kernel::listen(const std::string& address, std::int32_t backlog) {
    BERTH_ASSERT(backlog >= 0);
    listen_result r;
    r.address = address;
    // Linux's sun_path holds 107 bytes and a NUL (an abstract name, 107 after its NUL).
    if (address.rfind("unix:", 0) == 0) {
        const std::string_view name = std::string_view(address).substr(5);
        const bool abstract = !name.empty() && name.front() == '@';
        if (name.size() - (abstract ? 1 : 0) > unix_name_bytes_max) {
            r.error = ENAMETOOLONG;
            return r;
        }
    }
    const std::size_t colon = address.rfind(':');
    if (colon != std::string::npos && address.substr(colon + 1) == "0") {
        r.address = address.substr(0, colon + 1) + std::to_string(next_port_++);
    }
    if (bound_.count(r.address) != 0) {
        r.error = EADDRINUSE;
        return r;
    }
    const auto index = static_cast<std::uint32_t>(listeners_.size());
    const socket_handle handle = allocate_fd(fd_kind::listener, index);
    if (handle == 0) {
        r.error = EMFILE;
        return r;
    }
    listener l;
    l.address = r.address;
    l.backlog = static_cast<std::uint32_t>(backlog);
    listeners_.push_back(std::move(l));
    bound_.emplace(r.address, index);
    r.handle = handle;
    return r;
}

socket_handle kernel::open_reserve() {
    return allocate_fd(fd_kind::reserve, nil);
}

socket_handle kernel::open_file() {
    return allocate_fd(fd_kind::file, nil);
}

void kernel::inject_accept_errors(const std::vector<int>& errors) {
    for (const int e : errors)
        scripted_accept_errors_.push_back(e);
}

std::size_t kernel::queue_length(socket_handle handle) const {
    const std::uint32_t fd = fd_of(handle);
    if (!is_open(handle) || fds_[fd].kind != fd_kind::listener) return 0;
    return listeners_[fds_[fd].object].queue.size();
}

void kernel::wait_readable(socket_handle handle, std::function<void()> fn) {
    fd_entry* e = entry(handle, "wait_readable");
    if (e == nullptr) return;
    BERTH_ASSERT(e->kind == fd_kind::listener);
    listener& l = listeners_[e->object];
    l.on_readable = std::move(fn);
    if (!l.queue.empty()) {
        wake(l.on_readable);
    } else if (faults_.enabled && faults_.spurious_wakeup_per_million > 0 &&
               world_.random(stream::accept_faults).chance(faults_.spurious_wakeup_per_million)) {
        ++stats_.spurious_wakeups;
        world_.tracer().record(world_.now_ns(), trace_kind::fault, 1, 0);
        wake(l.on_readable);
    }
}

int kernel::random_accept_fault(const listener& l, bool& consumes) {
    consumes = false;
    if (!faults_.enabled) return 0;
    prng& r = world_.random(stream::accept_faults);
    if (r.chance(faults_.accept_nothing_there_per_million)) {
        return r.below(2) == 0 ? EAGAIN : EINTR;
    }
    if (!l.queue.empty() && r.chance(faults_.accept_per_connection_per_million)) {
        static constexpr int errors[] = {ECONNABORTED, EPROTO, EPERM, ENETDOWN, EHOSTUNREACH};
        consumes = true;
        return errors[r.below(std::size(errors))];
    }
    if (r.chance(faults_.accept_out_of_resources_per_million)) {
        static constexpr int errors[] = {ENFILE, ENOBUFS, ENOMEM};
        return errors[r.below(std::size(errors))];
    }
    if (r.chance(faults_.accept_fatal_per_million)) {
        static constexpr int errors[] = {EINVAL, EFAULT, ENOTSOCK};
        return errors[r.below(std::size(errors))];
    }
    return 0;
}

// Linux's order: a descriptor is reserved first (EMFILE even with nothing queued),
// then the queue is looked at (EAGAIN). A per-connection error takes the queued
// connection with it: the client sees a reset.
kernel::accept_result kernel::accept(socket_handle handle) {
    accept_result r;
    fd_entry* e = entry(handle, "accept");
    if (e == nullptr) {
        r.error = EBADF;
        return r;
    }
    BERTH_ASSERT(e->kind == fd_kind::listener);
    listener& l = listeners_[e->object];
    int error = 0;
    bool consumes = false;
    if (!scripted_accept_errors_.empty()) {
        error = scripted_accept_errors_.front();
        scripted_accept_errors_.pop_front();
        consumes = core::classify_accept_error(error) == core::accept_error_class::per_connection &&
                   !l.queue.empty();
    } else {
        error = random_accept_fault(l, consumes);
    }
    if (error != 0) {
        r.error = error;
        r.injected = true;
        ++stats_.injected[static_cast<std::size_t>(core::classify_accept_error(error))];
        if (consumes) {
            const std::uint32_t server_end = l.queue.front();
            l.queue.pop_front();
            close_endpoint(server_end, /*abortive=*/true);
        }
        return r;
    }
    if (fds_in_use_ >= fds_.size()) {
        ++stats_.emfile;
        r.error = EMFILE;
        return r;
    }
    if (l.queue.empty()) {
        r.error = EAGAIN;
        return r;
    }
    const std::uint32_t server_end = l.queue.front();
    l.queue.pop_front();
    r.handle = allocate_fd(fd_kind::stream, server_end);
    BERTH_ASSERT(r.handle != 0);
    endpoints_[server_end].fd = fd_of(r.handle);
    ++stats_.accepts;
    return r;
}

std::uint32_t kernel::endpoint_of(socket_handle handle) {
    fd_entry* e = entry(handle, "use of a connection socket");
    if (e == nullptr) return nil;
    if (e->kind != fd_kind::stream) {
        world_.fail("descriptor " + std::to_string(fd_of(handle)) + " is not a stream socket");
        return nil;
    }
    return e->object;
}

void kernel::close(socket_handle handle) {
    fd_entry* e = entry(handle, "close");
    if (e == nullptr) return;
    const std::uint32_t fd = fd_of(handle);
    switch (e->kind) {
        case fd_kind::listener: close_listener(e->object); break;
        case fd_kind::stream: close_endpoint(e->object, false); break;
        case fd_kind::reserve:
        case fd_kind::file:
        case fd_kind::free: break;
    }
    free_fd(fd);
}

// Connections queued and never accepted are reset, as Linux does when a listening
// socket is closed; a pending readiness wait is dropped.
void kernel::close_listener(std::uint32_t index) {
    listener& l = listeners_[index];
    l.open = false;
    l.on_readable = nullptr;
    while (!l.queue.empty()) {
        const std::uint32_t server_end = l.queue.front();
        l.queue.pop_front();
        close_endpoint(server_end, /*abortive=*/true);
    }
    bound_.erase(l.address);
}

// --- Connecting --------------------------------------------------------------------

std::uint32_t kernel::new_endpoint(std::string address) {
    BERTH_ASSERT(endpoints_.size() < endpoints_max);
    const auto id = static_cast<std::uint32_t>(endpoints_.size());
    endpoints_.emplace_back();
    endpoints_.back().address = std::move(address);
    return id;
}

void kernel::connect(const std::string& address, std::function<void(int, std::uint32_t)> done) {
    ++stats_.connects;
    attempt_connect(address, 0, std::move(done));
}

// Linux drops a SYN that finds the accept queue full (it holds backlog + 1) and the
// client retransmits with doubling delays; with `refuse` the client hears at once.
void kernel::attempt_connect(const std::string& address, std::uint32_t attempt,
                             std::function<void(int, std::uint32_t)> done) {
    const auto found = bound_.find(address);
    const auto finish = [this](std::function<void(int, std::uint32_t)> cb, int error,
                               std::uint32_t id) {
        world_.post(latency(), [cb = std::move(cb), error, id] { cb(error, id); });
    };
    if (found == bound_.end() || !listeners_[found->second].open) {
        ++stats_.refused;
        world_.tracer().record(world_.now_ns(), trace_kind::connect_failed, 0, ECONNREFUSED);
        finish(std::move(done), ECONNREFUSED, nil);
        return;
    }
    listener& l = listeners_[found->second];
    if (l.queue.size() > l.backlog) {
        if (config_.on_listen_overflow == listen_overflow::refuse) {
            ++stats_.refused;
            world_.tracer().record(world_.now_ns(), trace_kind::connect_failed, 0, ECONNREFUSED);
            finish(std::move(done), ECONNREFUSED, nil);
            return;
        }
        if (attempt >= config_.syn_retries_max) {
            ++stats_.timed_out;
            world_.tracer().record(world_.now_ns(), trace_kind::connect_failed, 0, ETIMEDOUT);
            finish(std::move(done), ETIMEDOUT, nil);
            return;
        }
        ++stats_.overflow_retries;
        world_.tracer().record(world_.now_ns(), trace_kind::connect_overflow, 0, attempt);
        const time_ns delay_ns = config_.syn_retry_initial_ns
                                 << std::min<std::uint32_t>(attempt, 20);
        world_.post(delay_ns, [this, address, attempt, done = std::move(done)]() mutable {
            attempt_connect(address, attempt + 1, std::move(done));
        });
        return;
    }
    const std::uint32_t client_number = next_client_++;
    const bool unix_socket =
        address.rfind("unix:", 0) == 0 || address.find(':') == std::string::npos;
    const std::string client_address =
        unix_socket ? std::string("(unnamed)")
                    : "10.0." + std::to_string((client_number >> 8) & 0xffU) + "." +
                          std::to_string(client_number & 0xffU) + ":" +
                          std::to_string(50000 + (client_number % 10000));
    const std::uint32_t client = new_endpoint(client_address);
    const std::uint32_t server_end = new_endpoint(l.address);
    endpoints_[client].peer = server_end;
    endpoints_[server_end].peer = client;
    l.queue.push_back(server_end);
    ++stats_.established;
    world_.tracer().record(world_.now_ns(), trace_kind::connect_queued, client, l.queue.size());
    wake(l.on_readable);
    finish(std::move(done), 0, client);
}

// --- Streams -----------------------------------------------------------------------

bool kernel::readable(std::uint32_t id) const {
    const endpoint& e = endpoints_[id];
    return e.closed || e.in.size() > 0 || e.in.eof || e.in.error != 0;
}

void kernel::after_read(std::uint32_t id) {
    endpoint& e = endpoints_[id];
    if (e.in.head > 4096 && e.in.head * 2 > e.in.bytes.size()) {
        e.in.bytes.erase(0, e.in.head);
        e.in.head = 0;
    }
    if (e.peer == nil) return;
    // Room freed: the peer's background send buffer moves on, its writer wakes.
    flush_outbox(e.peer);
    wake(endpoints_[e.peer].on_writable);
}

io_result kernel::read(std::uint32_t id, std::string& out, std::size_t max) {
    const std::size_t old_size = out.size();
    out.resize(old_size + std::min(max, endpoints_[id].in.size()));
    const io_result r =
        read_into(id, std::span<char>(out.data() + old_size, out.size() - old_size));
    out.resize(old_size + r.bytes);
    return r;
}

io_result kernel::read_into(std::uint32_t id, std::span<char> into) {
    endpoint& e = endpoints_[id];
    io_result r;
    if (e.closed) {
        r.error = EBADF;
        return r;
    }
    const std::size_t n = std::min(into.size(), e.in.size());
    if (n > 0) {
        std::memcpy(into.data(), e.in.bytes.data() + e.in.head, n);
        e.in.head += n;
        r.bytes = n;
        after_read(id);
        return r;
    }
    if (e.in.error != 0) {
        r.error = e.in.error;
    } else if (e.in.eof) {
        r.eof = true;
    } else {
        r.error = EAGAIN;
    }
    return r;
}

bool kernel::read_line(std::uint32_t id, std::string& line, io_result& status) {
    endpoint& e = endpoints_[id];
    status = io_result{};
    if (e.closed) {
        status.error = EBADF;
        return true;
    }
    const std::size_t newline = e.in.bytes.find('\n', e.in.head);
    if (newline != std::string::npos) {
        line.assign(e.in.bytes, e.in.head, newline - e.in.head);
        status.bytes = newline + 1 - e.in.head;
        e.in.head = newline + 1;
        after_read(id);
        return true;
    }
    if (e.in.error == 0 && !e.in.eof) return false;
    if (e.in.size() > 0) {  // the last line, cut short by the end of the stream
        line.assign(e.in.bytes, e.in.head, e.in.size());
        status.bytes = e.in.size();
        e.in.head = e.in.bytes.size();
        after_read(id);
        return true;
    }
    if (e.in.error != 0) {
        status.error = e.in.error;
    } else {
        status.eof = true;
    }
    return true;
}

io_result kernel::write(std::uint32_t id, std::string_view data) {
    endpoint& e = endpoints_[id];
    io_result r;
    if (e.closed) {
        r.error = EBADF;
        return r;
    }
    if (e.write_shut || e.peer == nil) {
        r.error = EPIPE;
        return r;
    }
    endpoint& p = endpoints_[e.peer];
    if (p.closed || p.in.error != 0) {
        r.error = e.in.error == ECONNRESET ? ECONNRESET : EPIPE;
        return r;
    }
    const std::size_t capacity = config_.socket_buffer_bytes;
    const std::size_t room = p.in.size() >= capacity ? 0 : capacity - p.in.size();
    std::size_t n = std::min(room, data.size());
    if (n == 0) {
        r.error = data.empty() ? 0 : EAGAIN;
        return r;
    }
    if (n > 1 && faults_.enabled && faults_.partial_write_per_million > 0 &&
        write_faults_.chance(faults_.partial_write_per_million)) {
        n = 1 + static_cast<std::size_t>(write_faults_.below(n - 1));  // 1 to n - 1 bytes
        ++stats_.partial_writes;
        world_.tracer().record(world_.now_ns(), trace_kind::fault, 2, n);
    }
    p.in.bytes.append(data.data(), n);
    r.bytes = n;
    wake(p.on_readable);
    return r;
}

void kernel::send(std::uint32_t id, std::string_view data) {
    endpoint& e = endpoints_[id];
    if (e.closed || e.write_shut) {
        e.send_error = e.closed ? EBADF : EPIPE;
        wake(e.on_outbox_empty);
        return;
    }
    e.outbox.append(data);
    flush_outbox(id);
}

// The send buffer drains into the peer as room appears; a shut-down end sends its
// end of stream once the buffer is empty, as a FIN follows the data.
void kernel::flush_outbox(std::uint32_t id) {
    endpoint& e = endpoints_[id];
    if (!e.outbox.empty() && e.peer != nil) {
        const bool shut = e.write_shut;
        const bool closed = e.closed;
        e.write_shut = false;  // bytes queued before the shutdown still go out
        e.closed = false;
        const io_result r = write(id, e.outbox.view());
        e.write_shut = shut;
        e.closed = closed;
        if (r.bytes > 0) e.outbox.consume(r.bytes);
        if (r.error != 0 && r.error != EAGAIN) {
            e.send_error = r.error;
            e.outbox.clear();
        }
    }
    if (!e.outbox.empty()) return;
    if (e.write_shut && !e.eof_sent && e.peer != nil) {
        e.eof_sent = true;
        endpoint& p = endpoints_[e.peer];
        p.in.eof = true;
        wake(p.on_readable);
    }
    wake(e.on_outbox_empty);
}

void kernel::notify_readable(std::uint32_t id, std::function<void()> fn, std::size_t seen_bytes) {
    endpoint& e = endpoints_[id];
    e.on_readable = std::move(fn);
    if (e.closed || e.in.eof || e.in.error != 0 || e.in.size() > seen_bytes) wake(e.on_readable);
}

void kernel::notify_writable(std::uint32_t id, std::function<void()> fn) {
    endpoint& e = endpoints_[id];
    e.on_writable = std::move(fn);
    const bool room = e.peer == nil || endpoints_[e.peer].in.size() < config_.socket_buffer_bytes;
    if (e.closed || room || endpoints_[e.peer].closed) wake(e.on_writable);
}

void kernel::notify_outbox_empty(std::uint32_t id, std::function<void()> fn) {
    endpoint& e = endpoints_[id];
    e.on_outbox_empty = std::move(fn);
    if (e.outbox.empty() || e.closed) wake(e.on_outbox_empty);
}

void kernel::shutdown_write(std::uint32_t id) {
    endpoint& e = endpoints_[id];
    if (e.closed || e.write_shut) return;
    e.write_shut = true;
    flush_outbox(id);
}

void kernel::close_endpoint(std::uint32_t id, bool abortive) {
    endpoint& e = endpoints_[id];
    if (e.closed) return;
    const bool reset = abortive || e.in.size() > 0;
    if (reset) {
        e.outbox.clear();
    }
    e.write_shut = true;
    if (!reset) flush_outbox(id);
    e.closed = true;
    e.in.bytes.clear();
    e.in.head = 0;
    if (e.peer != nil) {
        endpoint& p = endpoints_[e.peer];
        if (reset) {
            ++stats_.resets;
            p.in.error = ECONNRESET;
            p.outbox.clear();
            wake(p.on_outbox_empty);
        }
        wake(p.on_readable);
        wake(p.on_writable);
    }
    wake(e.on_readable);
    wake(e.on_writable);
    wake(e.on_outbox_empty);
}

}  // namespace berth::sim
