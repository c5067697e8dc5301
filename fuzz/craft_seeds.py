#!/usr/bin/env python3
"""Writes the hand-made seeds of the core fuzzer's corpus (fuzz/corpus/core/seed-*).

The fuzzer finds most of the core's behaviour by itself; these seeds make sure the
rare paths are in the corpus from the start: a fatal accept error, a graceful
drain's deadline, a shed batch, a back-off, late handler results, every error policy,
and a handler that closes the server before the rest of its batch starts.

FuzzedDataProvider hands out integers from the END of the input, one byte for each
small range, so a seed is its list of decisions, reversed. The decisions follow
core_fuzz.cpp: options first, then one op code (0..18) and its arguments per event.
Usage: craft_seeds.py <output dir>
"""
import pathlib
import sys

# Op codes, in the order of core_fuzz.cpp's `op` enum.
READABLE, ACCEPT, ACCEPT_AGAIN, ACCEPT_ERROR, BATCH_DONE, HANDLER_RETURNED = range(6)
WRITER_FAILED, PEER_GONE, SOCKET_CLOSED, LISTENER_CLOSED, CLOSE, SET_DROP = range(6, 12)
TIME_PASSES, EVENT_IN_THE_PAST, ANY_SOCKET_CLOSED, ANY_HANDLER_RETURNED = range(12, 16)
NEXT, CLOSE_IN_NEXT_HANDLER, SHED = 16, 17, 18

# Indices into core_fuzz.cpp's accept_errors table.
EAGAIN, ECONNABORTED, EMFILE, EBADF = 0, 3, 13, 17
POLICY = {"raise": 0, "ignore": 1, "call": 2}


def options(max_connections, batch, policy, shed=False, drop=False, close_existing=False):
    return [max_connections - 1, batch - 1, POLICY[policy], int(shed), int(drop),
            int(close_existing)]


def first(which=0):
    """The argument that picks a connection: 4 bytes, `which`-th candidate."""
    return [0, 0, 0, which]


SEEDS = {
    # A fatal accept error closes the server and is raised once the listener closes.
    "seed-fatal-accept-error": options(2, 2, "raise") + [
        NEXT, ACCEPT, ACCEPT_ERROR, EBADF, BATCH_DONE, NEXT, NEXT],
    # close with a 1 ms drain deadline; 1 ms later the open connection is closed.
    "seed-drain-deadline": options(3, 1, "ignore") + [
        NEXT, NEXT, NEXT, CLOSE, 0, 1, TIME_PASSES, 2, NEXT, NEXT, NEXT, NEXT],
    # EMFILE in shed mode: the next batch is a shed batch, whose sockets the driver
    # closes at once; the one after is an ordinary batch again.
    "seed-shed-batch": options(2, 3, "call", shed=True) + [
        NEXT, ACCEPT, ACCEPT_ERROR, EMFILE, BATCH_DONE, NEXT, SHED, SHED, ACCEPT_ERROR,
        EAGAIN, BATCH_DONE, NEXT, NEXT, NEXT],
    # EMFILE in back-off mode: accepting pauses until the timer or a closed socket.
    "seed-back-off": options(2, 1, "ignore") + [
        NEXT, ACCEPT_ERROR, EMFILE, BATCH_DONE, TIME_PASSES, 3, NEXT, NEXT, NEXT],
    # The writer fails first, the handler's own result comes late.
    "seed-late-handler-result": options(1, 1, "call") + [
        NEXT, NEXT, NEXT, WRITER_FAILED] + first() + [NEXT, NEXT, NEXT],
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
    "seed-at-limit-drop": options(1, 2, "ignore", close_existing=True) + [
        NEXT, ACCEPT_ERROR, ECONNABORTED, NEXT, BATCH_DONE, SET_DROP, 1, PEER_GONE] + first() + [
        NEXT, SET_DROP, 0, NEXT, NEXT, NEXT, NEXT],
}


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, decisions in SEEDS.items():
        (out / name).write_bytes(bytes(reversed(decisions)))


if __name__ == "__main__":
    main()
