// The portable handler API (berth::task handlers over reader/writer or stream) on
// libuv, with real loopback sockets: the scenarios of tests/posix/portable_scenarios.hpp.
#include "portable_scenarios.hpp"
#include "read_completion_scenarios.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

#include "portable_handler_cases.inc"  // NOLINT(bugprone-suspicious-include)

}  // namespace berth::uv_test
