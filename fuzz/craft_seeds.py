#!/usr/bin/env python3
"""Writes the hand-made seeds of the core fuzzer's corpus (fuzz/corpus/core/seed-*).

The fuzzer finds most of the core's behaviour by itself; these seeds make sure the
rare paths are in the corpus from the start: a fatal accept error, a graceful
drain's deadline, a shed batch and the reserve around it, a failed reserve, a
back-off, late handler results, every error policy, a handler that closes the
server before the rest of its batch starts, and for `create` servers every way a
writer decides (too old, too full, failed, peer gone), the final flush and its
timeout, late writes, extra completions, and the new refusals.

FuzzedDataProvider hands out integers from the END of the input, one byte for each
small range, so a seed is its list of decisions, reversed. The decisions follow
core_fuzz.cpp: options first, then the form and how the final close is asked, then
one op code (0..22) and its arguments per event.
Usage: craft_seeds.py <output dir>
"""
import pathlib
import sys

# Op codes, in the order of core_fuzz.cpp's `op` enum.
READABLE, ACCEPT, ACCEPT_AGAIN, ACCEPT_ERROR, BATCH_DONE, HANDLER_RETURNED = range(6)
BYTES_BUFFERED, BYTES_FLUSHED, SOCKET_CLOSED, LISTENER_CLOSED, CLOSE, SET_DROP = range(6, 12)
TIME_PASSES, EVENT_IN_THE_PAST, ANY_SOCKET_CLOSED, ANY_HANDLER_RETURNED = range(12, 16)
NEXT, CLOSE_IN_NEXT_HANDLER, SHED, WRITE_FAILED, EXTRA_COMPLETION = range(16, 21)
RESERVE_HELD, ANY_WRITER_EVENT = 21, 22

# Indices into core_fuzz.cpp's accept_errors table.
EAGAIN, ECONNABORTED, EMFILE, EBADF = 0, 3, 13, 17
# Indices into its write_errors table.
EPIPE, ECONNRESET, EIO = 0, 1, 6
POLICY = {"raise": 0, "ignore": 1, "call": 2}
# decode_options' choices.
LIMIT = {100: 0, 1000: 1, "1MiB": 2, "unlimited": 3}
AGE = {"unlimited": 0, "10ms": 1, "1s": 2, "120s": 3}
FLUSH = {0: 0, "5ms": 1, "1s": 2, "30s": 3}
# decode_bytes' choices.
BYTES_0, BYTES_1, BYTES_100, BYTES_999, BYTES_1000 = range(5)
# decode_flushed's choices.
FLUSH_ALL, FLUSH_HALF, FLUSH_NONE, FLUSH_ONE_TOO_MANY = range(4)
# decode_drain_timeout's choices.
DRAIN_0, DRAIN_1MS, DRAIN_1S, DRAIN_60S, DRAIN_NEGATIVE, DRAIN_HUGE = range(6)
DRAIN_NONE = 7
# decode_delay's choices.
DELAY_TO_TIMER = 7


def options(max_connections, batch, policy, shed=False, drop=False, close_existing=False,
            create=False, limit=1000, age="120s", flush="30s"):
    return [max_connections - 1, batch - 1, POLICY[policy], int(shed), int(drop), LIMIT[limit],
            AGE[age], FLUSH[flush], int(create), int(close_existing)]


def first(which=0):
    """The argument that picks a connection: 4 bytes, `which`-th candidate."""
    return [0, 0, 0, which]


# Three natural steps: readable, one accept (a batch of one), batch_done.
ONE_CONNECTION = [NEXT, NEXT, NEXT]

SEEDS = {
    # A fatal accept error closes the server and is raised once the listener closes.
    "seed-fatal-accept-error": options(2, 2, "raise") + [
        NEXT, ACCEPT, ACCEPT_ERROR, EBADF, BATCH_DONE, NEXT, NEXT],
    # close with a 1 ms drain timeout; 1 ms later the open connection is closed.
    "seed-drain-deadline": options(3, 1, "ignore") + ONE_CONNECTION + [
        CLOSE, 0, DRAIN_1MS, TIME_PASSES, 2, NEXT, NEXT, NEXT, NEXT],
    # EMFILE in shed mode: the reserve held at start is released for the next batch,
    # a shed batch whose sockets the driver closes at once, and held again after.
    "seed-shed-batch": options(2, 3, "call", shed=True) + [
        NEXT, NEXT, ACCEPT, ACCEPT_ERROR, EMFILE, BATCH_DONE, NEXT, SHED, SHED, ACCEPT_ERROR,
        EAGAIN, BATCH_DONE, NEXT, NEXT, NEXT, NEXT],
    # A reserve that cannot be held is asked again at the next step; close gives a
    # held one back; a drain timeout too large to add means no deadline.
    "seed-reserve-failed-hold": options(2, 1, "ignore", shed=True) + [
        RESERVE_HELD, 0, NEXT, NEXT, NEXT, RESERVE_HELD, 1, RESERVE_HELD, 1,
        CLOSE, 0, DRAIN_HUGE, NEXT, NEXT, NEXT],
    # EMFILE in back-off mode: accepting pauses until the timer or a closed socket.
    "seed-back-off": options(2, 1, "ignore") + [
        NEXT, ACCEPT_ERROR, EMFILE, BATCH_DONE, TIME_PASSES, 3, NEXT, NEXT, NEXT],
    # The writer fails first, the handler's own result comes late.
    "seed-late-handler-result": options(1, 1, "call", create=True) + ONE_CONNECTION + [
        WRITE_FAILED] + first() + [EIO, NEXT, NEXT, NEXT],
    # Handler errors under each policy.
    "seed-policy-raise": options(2, 2, "raise") + [
        NEXT, NEXT, NEXT, NEXT, HANDLER_RETURNED] + first() + [1, NEXT, NEXT, NEXT],
    "seed-policy-ignore": options(2, 2, "ignore") + [
        NEXT, NEXT, NEXT, NEXT, HANDLER_RETURNED] + first() + [1, NEXT, NEXT],
    "seed-policy-call": options(2, 2, "call") + [
        NEXT, NEXT, NEXT, NEXT, HANDLER_RETURNED] + first() + [1, NEXT, NEXT],
    # The first handler of a batch of three closes the server: the other two never start.
    "seed-close-in-handler": options(4, 3, "ignore") + [
        NEXT, ACCEPT, ACCEPT, ACCEPT, CLOSE_IN_NEXT_HANDLER, 0, BATCH_DONE, NEXT, NEXT, NEXT],
    # A full server in drop mode, the peer leaving, and a per-connection error.
    "seed-at-limit-drop": options(1, 2, "ignore", close_existing=True, create=True) + [
        NEXT, ACCEPT_ERROR, ECONNABORTED, NEXT, BATCH_DONE, SET_DROP, 1, WRITE_FAILED] + first() + [
        EPIPE, NEXT, SET_DROP, 0, NEXT, NEXT, NEXT, NEXT],
    # Bytes older than a 10 ms age limit: the timer the core asked for fails the writer.
    "seed-writer-too-old": options(2, 1, "call", create=True, age="10ms") + ONE_CONNECTION + [
        BYTES_BUFFERED] + first() + [BYTES_100, TIME_PASSES, DELAY_TO_TIMER, NEXT, NEXT, NEXT],
    # A write beyond a 100-byte limit fails the writer; the next write is late.
    "seed-writer-too-full": options(2, 1, "raise", create=True, limit=100) + ONE_CONNECTION + [
        BYTES_BUFFERED] + first() + [BYTES_1000, NEXT, BYTES_BUFFERED] + first() + [
        BYTES_1, BYTES_BUFFERED] + first() + [BYTES_1, NEXT, NEXT, NEXT],
    # The peer leaves while the writer holds bytes: an ok result, decided by the writer.
    "seed-writer-peer-gone": options(2, 1, "raise", create=True) + ONE_CONNECTION + [
        BYTES_BUFFERED] + first() + [BYTES_100, WRITE_FAILED] + first() + [
        ECONNRESET, NEXT, NEXT, NEXT],
    # A final flush that ends with the last bytes flushed, then one that runs out of
    # time (5 ms) with bytes still held.
    "seed-final-flush": options(3, 1, "ignore", create=True, age="unlimited",
                                flush="5ms") + ONE_CONNECTION + [
        BYTES_BUFFERED] + first() + [BYTES_100, HANDLER_RETURNED] + first() + [0, BYTES_FLUSHED] +
        first() + [FLUSH_HALF, BYTES_FLUSHED] + first() + [FLUSH_ALL, NEXT, NEXT, NEXT, NEXT,
        BYTES_BUFFERED] + first() + [BYTES_999, HANDLER_RETURNED] + first() + [1, TIME_PASSES,
        DELAY_TO_TIMER, NEXT, NEXT],
    # A handler completing twice, while live and once released; close with
    # close_existing_connections during a final flush.
    "seed-extra-completion": options(2, 1, "ignore", create=True) + ONE_CONNECTION + [
        EXTRA_COMPLETION] + first() + [HANDLER_RETURNED] + first() + [0, NEXT,
        EXTRA_COMPLETION] + first() + [NEXT, NEXT, NEXT, BYTES_BUFFERED] + first() + [BYTES_100,
        HANDLER_RETURNED] + first() + [0, CLOSE, 1, DRAIN_NONE, NEXT, NEXT, NEXT],
    # The refusals of writer events on a server without writers, of a reserve never
    # asked for, and of a negative drain timeout.
    "seed-refusals-socket-form": options(2, 1, "ignore") + ONE_CONNECTION + [
        BYTES_BUFFERED] + first() + [BYTES_1, ANY_WRITER_EVENT] + first() + [1, RESERVE_HELD, 1,
        CLOSE, 0, DRAIN_NEGATIVE, NEXT, NEXT],
    # A flush of one byte more than the writer holds is refused.
    "seed-refusals-create-form": options(2, 1, "ignore", create=True) + ONE_CONNECTION + [
        BYTES_BUFFERED] + first() + [BYTES_100, BYTES_FLUSHED] + first() + [
        FLUSH_ONE_TOO_MANY, ANY_WRITER_EVENT] + first(7) + [2, NEXT, NEXT],
}


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, decisions in SEEDS.items():
        (out / name).write_bytes(bytes(reversed(decisions)))


if __name__ == "__main__":
    main()
