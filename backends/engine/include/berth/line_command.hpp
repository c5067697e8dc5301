/// @file
/// The commands of the line protocol served by the echo server (berth-echo), the
/// conformance scenarios and the benchmarks, whichever backend runs them. The
/// client drives it, so that "a blocked handler", "finish" and "fail" are the
/// client's choice:
///
/// @verbatim
///   any line   -> echoed back
///   quit       -> replies "bye", the handler finishes normally
///   fail       -> the handler fails with the error "fail requested"
///   flood N    -> writes N bytes of 'x' (at most flood_bytes_max), a chunk at a
///                 time, waiting for each chunk to reach the kernel
///   sleep MS   -> pauses MS milliseconds (at most sleep_ms_max), then echoes
///   read N     -> reads exactly N bytes (1 to read_bytes_max, newlines included:
///                 the reader's read-exactly in the create form), then answers
///                 "got N:<the bytes>"; the end of the stream first finishes it
/// @endverbatim
///
/// This is the parsing; berth/line_protocol.hpp serves the commands, on every backend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace berth {

/// The longest "sleep MS" a line may ask for, in milliseconds.
inline constexpr std::int64_t sleep_ms_max = 60'000;
/// The most a "flood N" line may ask for.
inline constexpr std::uint64_t flood_bytes_max = 1ULL << 30;
/// The most a "read N" line may ask for: the bytes are held whole before the answer.
inline constexpr std::uint64_t read_bytes_max = 64 * 1024;
/// Bytes per write of a flood: one buffer of 'x' serves any size.
inline constexpr std::size_t flood_chunk_bytes = 64 * 1024;
/// The error a "fail" line fails the handler with.
inline constexpr const char* fail_requested = "fail requested";

/// Which command a line is; see the table above.
enum class line_command_kind : std::uint8_t { echo, quit, fail, flood, sleep, read };

/// One parsed line.
struct line_command {
    line_command_kind kind = line_command_kind::echo;  ///< echo for any other line
    /// flood, read: the bytes asked for; sleep: the milliseconds; else 0.
    std::uint64_t amount = 0;
};

/// What `line` (without its newline) asks for. A malformed or out-of-range
/// "flood"/"sleep"/"read" is an ordinary line, echoed. Pure; any thread.
/// @param line the line, not kept.
/// @return the command and its amount.
[[nodiscard]] line_command parse_line_command(std::string_view line);

/// @param line a line without its newline.
/// @return the milliseconds asked for by a "sleep MS" line, or -1 if the line is
///   not one.
[[nodiscard]] std::int64_t sleep_request_ms(std::string_view line);
/// @param line a line without its newline.
/// @return the bytes asked for by a "flood N" line, or -1 if the line is not one.
[[nodiscard]] std::int64_t flood_request_bytes(std::string_view line);
/// @param line a line without its newline.
/// @return the bytes asked for by a "read N" line (N >= 1), or -1 if the line is
///   not one.
[[nodiscard]] std::int64_t read_request_bytes(std::string_view line);

}  // namespace berth
