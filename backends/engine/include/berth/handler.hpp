/// @file
/// What a user gives a server, the same on every backend: the handler, in one of
/// two forms (SEMANTICS.md section 1), and the hooks.
///
/// @code{.cpp}
///   berth::task<> echo(berth::address peer, berth::reader& r, berth::writer& w);  // create
///   berth::task<> raw(berth::address peer, berth::stream& s);                       // create_sock
/// @endcode
///
/// The same function goes to asio::server::create, uv::server::create and
/// sim::server::create. A handler ends by returning (ok) or by throwing (an error:
/// the exception is what on_handler_error sees).
#pragma once

#include <exception>
#include <functional>

#include "berth/address.hpp"
#include "berth/core/action.hpp"
#include "berth/reader.hpp"
#include "berth/stream.hpp"
#include "berth/task.hpp"
#include "berth/writer.hpp"

namespace berth {

/// The `create` form: a buffered reader and writer over the connection.
using reader_writer_handler = std::function<task<>(address peer, reader& r, writer& w)>;
/// The `create_sock` form: the connection's byte stream.
using stream_handler = std::function<task<>(address peer, stream& s)>;

/// The user's functions besides the handler. The server keeps its own copy (a
/// move) for its whole life; each function runs posted on the server's loop, never
/// inside a call of the user's.
struct server_hooks {
    /// The `call` policy's function (required with error_policy::call). It runs on
    /// the server's loop, later, after the connection's slot is free. If it throws,
    /// the server starts closing (without closing existing connections) and the
    /// exception propagates out of the backend's run.
    std::function<void(const address& peer, std::exception_ptr error)> on_handler_error;
    /// Operator notices: at limit, out of descriptors, late results and writes,
    /// extra completions, a drain's deadline. Runs later on the server's loop.
    std::function<void(const core::actions::notice&)> on_notice;
};

}  // namespace berth
