#include "berth/posix/descriptor_reserve.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <utility>

namespace berth::posix {

descriptor_reserve::~descriptor_reserve() {
    release();
}

void descriptor_reserve::release() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

bool descriptor_reserve::restore() {
    if (fd_ < 0) fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd_ >= 0;
}

}  // namespace berth::posix
