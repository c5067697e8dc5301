#include "berth/posix/accept_batch.hpp"

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berth/core/detail/assert.hpp"
#include "berth/posix/descriptor_reserve.hpp"

namespace berth::posix {

accept_faults::accept_faults(int error_value, std::uint32_t count) {
    const bool queued = push(error_value, count);
    BERTH_ASSERT(queued);
}

bool accept_faults::push(int error_value, std::uint32_t count) {
    if (count == 0) return true;
    if (runs_used_ > 0) {
        run& last = runs_[(head_ + runs_used_ - 1) % runs_max];
        if (last.error_value == error_value) {
            last.count += count;
            pending_ += count;
            return true;
        }
    }
    if (runs_used_ == runs_max) return false;
    runs_[(head_ + runs_used_) % runs_max] = run{error_value, count};
    ++runs_used_;
    pending_ += count;
    return true;
}

int accept_faults::pop() {
    BERTH_ASSERT(pending_ > 0 && runs_used_ > 0);
    run& first = runs_[head_];
    const int error_value = first.error_value;
    --pending_;
    if (--first.count == 0) {
        head_ = (head_ + 1) % runs_max;
        --runs_used_;
    }
    return error_value;
}

void accept_faults::clear() {
    head_ = 0;
    runs_used_ = 0;
    pending_ = 0;
}

namespace {

// Returns the new socket, or -1 with `error_value` set.
int accept_one(const accept_context& context, socket_address& peer, int& error_value) {
    if (context.faults != nullptr && context.faults->pending() > 0) {
        error_value = context.faults->pop();
        return -1;
    }
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    const int fd = ::accept4(context.listen_fd, reinterpret_cast<sockaddr*>(&storage), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        error_value = errno;
        return -1;
    }
    peer = socket_address(reinterpret_cast<const sockaddr*>(&storage),
                          length <= sizeof(storage) ? length : sizeof(storage));
    return fd;
}

void report(core::server& server, const core::event& event, core::time_ns now_ns) {
    const core::event_error error = server.handle(event, now_ns);
    BERTH_ASSERT(error == core::event_error::none);
}

}  // namespace

accept_batch_result run_accept_batch(const accept_context& context, core::server& server,
                                     const core::actions::accept_batch& batch,
                                     core::time_ns now_ns) {
    BERTH_ASSERT(context.listen_fd >= 0);
    BERTH_ASSERT(batch.max_sockets >= 1);
    accept_batch_result result;
    if (context.reserve != nullptr) {
        if (batch.shed) {
            context.reserve->release();
        } else {
            context.reserve->restore();  // a previous shed may not have got it back
        }
    }
    for (std::uint32_t i = 0; i < batch.max_sockets && server.accept_batch_wants_more(); ++i) {
        socket_address peer;
        int error_value = 0;
        const int fd = accept_one(context, peer, error_value);
        if (fd < 0) {
            ++result.failed;
            result.last_error_value = error_value;
            report(server, core::events::accept_failed{error_value}, now_ns);
            continue;
        }
        ++result.accepted;
        if (batch.shed) {
            // Closed before the next accept, so the one descriptor the reserve gave
            // back serves the whole batch.
            ::close(fd);
            report(server, core::events::socket_shed{}, now_ns);
            continue;
        }
        if (peer.is_inet()) {
            // Best effort: a peer that already reset the connection makes this fail,
            // and the handler will find out on its first read or write anyway.
            const int on = 1;
            static_cast<void>(::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)));
        }
        if (context.sink.on_accepted != nullptr) {
            context.sink.on_accepted(context.sink.context, fd, peer);
        }
        report(server, core::events::socket_accepted{static_cast<core::socket_handle>(fd)}, now_ns);
    }
    report(server, core::events::batch_done{}, now_ns);
    if (context.reserve != nullptr && batch.shed) context.reserve->restore();
    return result;
}

}  // namespace berth::posix
