// The portable handler API (berth::task handlers over reader/writer or stream) on
// libuv, with real loopback sockets: the scenarios of tests/posix/portable_scenarios.hpp.
#include "portable_scenarios.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

TEST_CASE("a flood to a peer that never reads stays within buffer_limit_bytes, echo stays fast") {
    test::flood_to_a_peer_that_never_reads_stays_within_the_writer_limit<harness>();
}

TEST_CASE("a write beyond buffer_limit_bytes fails the connection with writer_error for call") {
    test::a_write_beyond_the_buffer_limit_fails_the_connection_with_writer_error<harness>();
}

TEST_CASE("one write larger than buffer_limit_bytes is refused even with nothing held") {
    test::a_single_write_larger_than_the_limit_is_refused_with_nothing_held<harness>();
}

TEST_CASE("flushed() resumes true only once a slow peer has read most of a large write") {
    test::flushed_resumes_once_a_slow_peer_has_read<harness>();
}

TEST_CASE("flushed() yields false when the peer goes away and when close(true) closes it") {
    test::flushed_yields_false_when_the_writer_stops<harness>();
}

TEST_CASE("the reader reads exactly, lines (CRLF, view, unterminated rest), some, then the end") {
    test::the_reader_reads_exactly_lines_and_some_then_reports_the_end<harness>();
}

TEST_CASE("read_line_for, read_some_for and read_exactly_for time out and lose nothing later") {
    test::timed_reads_time_out_and_lose_nothing_that_arrives_later<harness>();
}

TEST_CASE("stream read_some, write, shutdown, close, peer and native_handle on a real socket") {
    test::stream_operations_work_on_the_accepted_socket<harness>();
}

TEST_CASE("the stream's end_reason tells a clean end from a reset and from close(true)") {
    test::the_stream_end_reason_tells_a_clean_end_from_a_reset_and_a_close<harness>();
}

TEST_CASE(
    "a finished handler's final flush to a peer that does not read ends at final_flush_timeout") {
    test::the_final_flush_of_a_finished_handler_is_bounded_by_final_flush_timeout<harness>();
}

TEST_CASE("bytes older than buffer_age_limit fail the connection with writer_error for call") {
    test::bytes_older_than_buffer_age_limit_fail_the_connection_with_writer_error<harness>();
}

TEST_CASE("sleep_for suspends one handler for at least its time while others are served") {
    test::sleep_for_suspends_one_handler_while_others_are_served<harness>();
}

}  // namespace berth::uv_test
