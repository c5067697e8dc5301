// The command line shared by the benchmarks' hand-written servers:
//   NAME [--listen HOST:PORT] [--backlog N] [extra flags]
// HOST is a numeric IPv4 address; port 0 lets the OS choose. Bad flags end the
// program with a message naming the flag and exit status 2. Once listening, each
// server prints `listening on HOST:PORT` (the port it got) on stdout.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace berth::bench {

struct int_flag {
    const char* name;  // "--max-threads"
    int* value;
    int min;
    int max;
};

struct server_args {
    std::string host = "127.0.0.1";
    std::uint16_t port = 7000;
    int backlog = 1024;
};

[[noreturn]] inline void refuse(const char* program, const std::string& message) {
    std::fprintf(stderr,
                 "%s: %s\nusage: %s [--listen HOST:PORT] [--backlog N] (HOST: IPv4, port 0 "
                 "lets the OS choose; default 127.0.0.1:7000, backlog 1024)\n",
                 program, message.c_str(), program);
    std::exit(2);
}

inline int whole_number(const char* program, const std::string& flag, const std::string& text,
                        int min, int max) {
    int value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || stop != end || value < min || value > max) {
        refuse(program, flag + " must be a whole number from " + std::to_string(min) + " to " +
                            std::to_string(max) + " (got '" + text + "')");
    }
    return value;
}

inline server_args parse_server_args(int argc, char** argv,
                                     const std::vector<int_flag>& extra = {}) {
    const char* program = argc > 0 ? argv[0] : "server";
    if (const char* slash = std::strrchr(program, '/')) program = slash + 1;
    server_args args;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            std::printf("usage: %s [--listen HOST:PORT] [--backlog N]", program);
            for (const int_flag& f : extra)
                std::printf(" [%s N]", f.name);
            std::printf("\n");
            std::exit(0);
        }
        if (i + 1 >= argc) refuse(program, flag + " needs a value");
        const std::string value = argv[++i];
        if (flag == "--listen") {
            const std::size_t colon = value.rfind(':');
            if (colon == std::string::npos || colon == 0) {
                refuse(program, "--listen must be HOST:PORT (got '" + value + "')");
            }
            args.host = value.substr(0, colon);
            args.port = static_cast<std::uint16_t>(
                whole_number(program, "--listen port", value.substr(colon + 1), 0, 65535));
            continue;
        }
        if (flag == "--backlog") {
            args.backlog = whole_number(program, flag, value, 1, 65535);
            continue;
        }
        bool known = false;
        for (const int_flag& f : extra) {
            if (flag == f.name) {
                *f.value = whole_number(program, flag, value, f.min, f.max);
                known = true;
            }
        }
        if (!known) refuse(program, "unknown flag '" + flag + "'");
    }
    return args;
}

/// The line the benchmark driver waits for, flushed at once.
inline void print_listening(const std::string& host, unsigned port) {
    std::printf("listening on %s:%u\n", host.c_str(), port);
    std::fflush(stdout);
}

}  // namespace berth::bench
