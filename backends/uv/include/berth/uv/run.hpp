/// @file
/// Where the `raise` policy and fatal accept errors come out on libuv. A libuv
/// callback must never throw (the exception would cross libuv's C frames), so a
/// server keeps the error with its loop and stops the loop; `run` rethrows it.
///
/// Two ways to receive errors, per loop:
///   - call berth::uv::run(loop) instead of uv_run(loop): it returns as uv_run
///     does, or throws the first error raised on that loop (call it again to go on);
///   - or, for an application that calls uv_run itself, set a loop-level error
///     callback with set_loop_error_handler: errors go to it (from a deferred
///     callback on the loop, never from inside a server call), and the loop is not
///     stopped.
///
/// Thread safety: the functions may be called from any thread, but errors of a
/// loop are raised on that loop's thread, and `run` must be called there.
#pragma once

#include <exception>
#include <functional>

#include <uv.h>

namespace berth::uv {

/// uv_run(loop, mode), then rethrows the first error a server raised on `loop`
/// during it (or before it, if none was collected yet). Errors pending on entry are
/// thrown at once, without running the loop. What it throws is what was raised on
/// `loop` first: a handler's error under `raise`, berth::accept_error, or what an
/// on_handler_error hook threw. Call it on the loop's thread.
/// @param loop the loop; its servers' errors are kept per loop.
/// @param mode as uv_run's.
/// @return uv_run's result.
int run(uv_loop_t* loop, uv_run_mode mode = UV_RUN_DEFAULT);

/// Sends the errors raised on `loop` to `handler` instead of keeping them for
/// `run`. An empty handler restores the default. If `handler` throws, that
/// exception is kept for `run` and the loop is stopped.
/// @param loop the loop.
/// @param handler kept until replaced or forget_loop(loop); called on the loop.
void set_loop_error_handler(uv_loop_t* loop, std::function<void(std::exception_ptr)> handler);

/// Whether errors raised on `loop` wait for `run`.
/// @param loop the loop.
/// @return true when `run` would throw at once.
[[nodiscard]] bool has_pending_error(uv_loop_t* loop);

/// Raises `error` on `loop` as a server does: to the loop's error handler, or kept
/// for `run` with the loop stopped. Must be called on the loop's thread, from a
/// libuv callback (not from inside a berth call that must return normally).
/// @param loop the loop.
/// @param error not null.
void raise_on_loop(uv_loop_t* loop, std::exception_ptr error);

/// Forgets everything kept for `loop` (call before freeing a loop whose pending
/// errors nobody will collect). Harmless when there is nothing.
/// @param loop the loop; not touched, only used as a key.
void forget_loop(uv_loop_t* loop);

}  // namespace berth::uv
