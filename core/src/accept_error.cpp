#include "berth/core/accept_error.hpp"

#include <cerrno>

namespace berth::core {

accept_error_class classify_accept_error(int error_value) {
    switch (error_value) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
        case EINTR: return accept_error_class::nothing_there;
        // The connection died between the kernel queueing it and our accept, or a
        // firewall or the network refused it: the next one may be fine. Linux also
        // passes pending network errors of the new socket through accept (accept(2)).
        case ECONNABORTED:
        case EPROTO:
        case EPERM:
        case ENETDOWN:
        case ENOPROTOOPT:
        case EHOSTDOWN:
        case ENONET:
        case EHOSTUNREACH:
        case EOPNOTSUPP:
        case ENETUNREACH: return accept_error_class::per_connection;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM: return accept_error_class::out_of_resources;
        default:
            // EBADF, ENOTSOCK, EINVAL, EFAULT, and anything we do not know: retrying
            // cannot help, and looping on it would spin.
            return accept_error_class::fatal;
    }
}

const char* to_string(accept_error_class error_class) {
    switch (error_class) {
        case accept_error_class::nothing_there: return "nothing_there";
        case accept_error_class::per_connection: return "per_connection";
        case accept_error_class::out_of_resources: return "out_of_resources";
        case accept_error_class::fatal: return "fatal";
    }
    return "unknown";
}

}  // namespace berth::core
