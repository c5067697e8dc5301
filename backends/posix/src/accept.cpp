#include "berth/posix/accept.hpp"

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berth/core/accept_error.hpp"
#include "berth/core/detail/assert.hpp"

namespace berth::posix {

namespace {

// The connection a per-connection fault stands for: taken from the kernel's
// queue and closed with a reset (SO_LINGER 0), as a client that reset before the
// accept leaves it. Whether there was one.
bool take_and_reset_queued(int listen_fd) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return false;
    const linger abortive{1, 0};
    static_cast<void>(::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive)));
    static_cast<void>(::close(fd));
    return true;
}

}  // namespace

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

int accept_faults::next() const {
    BERTH_ASSERT(pending_ > 0 && runs_used_ > 0);
    return runs_[head_].error_value;
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

accepted accept_one(int listen_fd, accept_faults* faults) {
    BERTH_ASSERT(listen_fd >= 0);
    accepted out;
    if (faults != nullptr && faults->pending() > 0) {
        // A per-connection fault waits for a connection to stand for; until one
        // is queued, the accept finds what accept4 finds (EAGAIN).
        if (core::classify_accept_error(faults->next()) ==
                core::accept_error_class::per_connection &&
            !take_and_reset_queued(listen_fd)) {
            out.error_value = errno;
            return out;
        }
        out.error_value = faults->pop();
        return out;
    }
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    out.fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&storage), &length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (out.fd < 0) {
        out.error_value = errno;
        return out;
    }
    out.peer = socket_address(reinterpret_cast<const sockaddr*>(&storage),
                              length <= sizeof(storage) ? length : sizeof(storage));
    if (out.peer.is_inet()) {
        // Best effort: a peer that already reset the connection makes this fail,
        // and the handler will find out on its first read or write anyway.
        const int on = 1;
        static_cast<void>(::setsockopt(out.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)));
    }
    return out;
}

}  // namespace berth::posix
