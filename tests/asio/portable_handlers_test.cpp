// The portable handler API (berth::task handlers over reader/writer or stream) on
// Asio, with real loopback sockets: the scenarios of tests/posix/portable_scenarios.hpp.
#include "asio_test_support.hpp"
#include "portable_scenarios.hpp"
#include "read_completion_scenarios.hpp"

namespace berth::asio_test {

#include "portable_handler_cases.inc"  // NOLINT(bugprone-suspicious-include)

}  // namespace berth::asio_test
