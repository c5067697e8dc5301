#include "berth/posix/close_socket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include "berth/core/detail/assert.hpp"
#include "berth/posix/descriptor_reserve.hpp"

namespace berth::posix {

void close_connection_socket(int fd) {
    BERTH_ASSERT(fd >= 0);
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
}

void close_dropped_socket(int fd, descriptor_reserve* reserve) {
    BERTH_ASSERT(fd >= 0);
    ::close(fd);
    if (reserve != nullptr) reserve->restore();
}

}  // namespace berth::posix
