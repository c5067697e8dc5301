// The accept fault seam (posix::accept_faults) and posix::accept_one with it: each
// attempt takes the next queued errno instead of calling accept4, in the order
// pushed; a per-connection errno takes and resets the first queued connection,
// the others leave the kernel's queue alone; once the queue is empty accept4 runs.
#include <cerrno>
#include <unistd.h>

#include "berth/posix/accept.hpp"
#include "berth/posix/close_socket.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

TEST_CASE("queued faults come out in the order they were pushed, and a full queue says so") {
    accept_faults faults;
    CHECK(faults.push(ECONNABORTED, 2));
    CHECK(faults.push(EMFILE, 1));
    CHECK(faults.push(EMFILE, 1));  // joins the run before it
    CHECK(faults.push(ECONNABORTED, 1));
    CHECK(faults.push(EPROTO, 0));  // nothing to queue
    CHECK(faults.pending() == 5);
    for (const int expected : {ECONNABORTED, ECONNABORTED, EMFILE, EMFILE, ECONNABORTED}) {
        CHECK(faults.pop() == expected);
    }
    CHECK(faults.pending() == 0);

    for (std::uint32_t i = 0; i < accept_faults::runs_max; ++i) {
        REQUIRE(faults.push(i % 2 == 0 ? EPROTO : EPERM, 1));
    }
    CHECK_FALSE(faults.push(ENOBUFS, 1));  // refused whole: nothing queued
    CHECK(faults.pending() == accept_faults::runs_max);
    CHECK(faults.push(EPERM, 3));  // the last run grows without a new entry
    CHECK(faults.pending() == accept_faults::runs_max + 3);
    faults.clear();
    CHECK(faults.pending() == 0);
    CHECK(faults.push(ENOBUFS, 1));
}

TEST_CASE(
    "accept_one takes queued faults first: a per-connection one takes and resets the "
    "queued connection, others leave the kernel's queue alone") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const listener l = listener::create(listen_spec::of_file(dir.file("s")));
    const int skipped = test::connect_to(test::unix_address(dir.file("s")));
    const int client = test::connect_to(test::unix_address(dir.file("s")));
    accept_faults faults(ECONNABORTED, 1);
    CHECK(faults.push(EMFILE, 2));
    for (const int expected : {ECONNABORTED, EMFILE, EMFILE}) {
        const accepted a = accept_one(l.fd(), &faults);
        CHECK(a.fd == -1);
        CHECK(a.error_value == expected);
    }
    CHECK(faults.pending() == 0);
    CHECK(test::peer_closed(skipped));  // the ECONNABORTED took it
    // EMFILE did not touch the second client: it is still queued, and accept4
    // takes it now.
    const accepted a = accept_one(l.fd(), &faults);
    REQUIRE(a.fd >= 0);
    CHECK(a.error_value == 0);
    CHECK(a.peer.to_address() == berth::address::unix_unnamed());
    close_connection_socket(a.fd);
    CHECK(test::peer_closed(client));
    // Nothing queued any more, in the kernel or the seam.
    CHECK(accept_one(l.fd(), &faults).error_value == EAGAIN);
    ::close(skipped);
    ::close(client);
}

}  // namespace
}  // namespace berth::posix
