#include "berth/posix/close_socket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include "berth/core/detail/assert.hpp"

namespace berth::posix {

void close_connection_socket(int fd) {
    BERTH_ASSERT(fd >= 0);
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
}

}  // namespace berth::posix
