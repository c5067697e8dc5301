// remove_stale_socket_file on Asio, with a real stale socket file, a live server's
// file and a regular file at the path (tests/support/unix_socket_file_scenarios.hpp).
#include "asio_test_support.hpp"
#include "unix_socket_file_scenarios.hpp"

namespace berth::asio_test {

TEST_CASE("a stale socket file (bound, closed, never unlinked) is removed and the server listens") {
    test::a_stale_socket_file_is_removed_and_the_server_listens_there<harness>();
}

TEST_CASE("a live server's socket file is not removed: creation fails saying a server listens") {
    test::a_live_servers_socket_file_is_not_removed<harness>();
}

TEST_CASE("a regular file at the socket path is not removed: creation fails saying so") {
    test::a_regular_file_at_the_path_is_not_removed<harness>();
}

}  // namespace berth::asio_test
