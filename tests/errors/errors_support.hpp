// What the tests of docs/errors.md share: creating a server on every backend of
// the build with a given listen spec, options and handler, and the checks every
// row makes (the exact message, the descriptor closed, the count unchanged).
#pragma once

#include <cerrno>
#include <cstddef>
#include <fcntl.h>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "berth/core/options.hpp"
#include "berth/handler.hpp"
#include "berth/posix/listen_spec.hpp"

namespace berth::errors_test {

/// Whether `fd` is closed: fcntl(F_GETFD) fails with EBADF.
inline bool closed_with_ebadf(int fd) {
    errno = 0;
    return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

/// The handler forms: the portable create and create_sock, and the backend's native
/// create_sock (an Asio awaitable, libuv callbacks).
enum class form { create, create_sock, native };

/// What a row creates a server with.
struct creation {
    creation(posix::listen_spec s, core::options o, bool handler = true,
             errors_test::form f = errors_test::form::create)
        : spec(std::move(s)), opts(o), with_handler(handler), form(f) {}
    posix::listen_spec spec;
    core::options opts;
    bool with_handler = true;
    errors_test::form form = errors_test::form::create;
    server_hooks hooks;
};

/// One backend of the build: `create` creates a server as `c` says and throws what
/// creation throws; a server it did create is closed and run down before it
/// returns, so a row that expected an error fails without leaving anything open.
/// `open_descriptors` counts the process's descriptors, without those a backend
/// keeps for the whole process (libuv's signal pipe).
struct backend {
    std::string name;
    std::function<void(const creation& c)> create;
    std::function<std::size_t()> open_descriptors;
};

/// Asio and libuv, those the build has.
[[nodiscard]] std::vector<backend> backends();

/// Options every backend accepts.
[[nodiscard]] core::options good_options();

/// One refused option: good_options() with one value out of range, and the
/// creation_error's whole message.
struct option_row {
    std::string option;
    core::options opts;
    std::string message;
};

/// Every rule of core::validate, each value just past its limit.
[[nodiscard]] std::vector<option_row> option_rows();

/// A TCP socket of this process, unbound (for use_socket) or bound to 127.0.0.1
/// and listening (for of_listening_socket).
[[nodiscard]] int unbound_tcp_socket();
[[nodiscard]] int listening_tcp_socket();

}  // namespace berth::errors_test
