// berth-tls-echo's command line: parsed into options, or refused with a message
// naming the flag (and the file) and what is wrong.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "berth/posix/listen_spec.hpp"

namespace berth::tls_echo {

inline constexpr const char* usage_flags =
    " --cert FILE --key FILE [--listen ADDR] [--handshake-timeout SECONDS]\n"
    "    [--backend asio]\n"
    "--cert: the certificate chain (PEM); --key: its private key (PEM, unencrypted).\n"
    "ADDR: HOST:PORT (IPv4, or [IPv6]:PORT; port 0 lets the OS choose), unix:PATH, or\n"
    "unix:@NAME (abstract). Default 127.0.0.1:7443.\n"
    "--handshake-timeout: how long a client has to complete the TLS handshake, and\n"
    "the TLS shutdown, before its connection is closed (default 10).\n"
    "--backend: asio only (Asio's SSL stream needs Asio's socket); accepted so that\n"
    "the examples share one command line.\n";

struct tls_echo_options {
    posix::listen_spec listen = posix::listen_spec::of_port(7443);
    std::string cert_file;
    std::string key_file;
    std::chrono::milliseconds handshake_timeout{10'000};
    bool help = false;
};

/// The options, or throws std::invalid_argument with a message naming the flag
/// and what is wrong. `args` excludes the program name. Files are not opened here.
[[nodiscard]] tls_echo_options parse_tls_echo_options(const std::vector<std::string>& args);

}  // namespace berth::tls_echo
