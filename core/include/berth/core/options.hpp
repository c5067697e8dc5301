/// @file
/// The options of one server (SEMANTICS.md section 2) and their validation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "berth/core/types.hpp"

namespace berth::core {

/// What happens to a handler's error once its connection has been released.
/// `unset` exists only so that forgetting to choose is caught: the option is
/// required, as in Async.
enum class error_policy : std::uint8_t {
    unset,   ///< not chosen: validate() refuses it
    raise,   ///< the error propagates out of the backend's run; the server closes first
    ignore,  ///< nothing
    call,    ///< the backend calls the user's function with the peer and the error
};

/// What the accept loop does when accept fails for lack of descriptors or memory.
enum class exhaustion_mode : std::uint8_t {
    back_off,  ///< pause accepting, 5 ms doubling to 1 s, resume early when a slot frees
    shed,      ///< free a reserved descriptor, accept and close what is queued, restore it
};

/// `buffer_age_limit_ns` value that turns the writer's age check off.
inline constexpr time_ns unlimited_age_ns = no_deadline_ns;
/// `buffer_limit_bytes` value that lets a writer hold any number of bytes.
inline constexpr std::uint64_t unlimited_bytes = UINT64_MAX;

// Limits on everything: a value beyond these is refused at creation, so the core's
// arithmetic and memory stay bounded whatever the caller passes.

/// The most `options::max_connections` may be.
inline constexpr std::uint32_t max_connections_limit = 1U << 24;

/// `options::max_connections` when the caller leaves it out: each backend replaces
/// it with its default (90% of the soft descriptor limit) before validating. It is
/// a value no caller can mean, so an explicit 0 is still refused.
inline constexpr std::uint32_t max_connections_unset = UINT32_MAX;
/// The most `options::max_accepts_per_batch` may be.
inline constexpr std::uint32_t max_accepts_per_batch_limit = 4096;
/// The most `options::backlog` may be.
inline constexpr std::int32_t backlog_limit = 1 << 20;
/// The longest finite `options::buffer_age_limit_ns`: 24 hours.
inline constexpr time_ns buffer_age_limit_max_ns = 24LL * 3600 * ns_per_s;
/// The longest `options::final_flush_timeout_ns`: 1 hour.
inline constexpr time_ns final_flush_timeout_max_ns = 3600 * ns_per_s;

/// How one server behaves (SEMANTICS.md section 2), the same on every backend. A
/// plain value: the server keeps its own copy, made at creation.
struct options {
    /// Connections served at once. Left unset, the backends default it to 90% of
    /// the soft descriptor limit; the core itself needs it spelled out.
    std::uint32_t max_connections = max_connections_unset;
    /// Sockets taken from the kernel in one accept step.
    std::uint32_t max_accepts_per_batch = 1;
    /// Passed to listen(2); the kernel may queue more or fewer than asked.
    std::int32_t backlog = 64;
    /// Start in drop mode: close every accepted socket at once, starting no handler.
    bool drop_incoming_connections = false;
    /// Required: what a handler's error leads to.
    error_policy on_handler_error = error_policy::unset;
    /// What accepting does when descriptors or memory run out.
    exhaustion_mode on_accept_exhaustion = exhaustion_mode::back_off;
    /// `create` only: how long bytes may wait in a writer's buffer.
    time_ns buffer_age_limit_ns = 120 * ns_per_s;
    /// `create` only: the most bytes a writer may hold (written and not yet taken by
    /// the kernel). A write that would exceed it fails the connection, so that a
    /// peer that never reads costs the server this much, not more. Write large
    /// bodies in pieces, awaiting the writer's `flushed()` in between.
    std::uint64_t buffer_limit_bytes = 1 << 20;
    /// `create` only: how long a finished connection's writer may flush.
    time_ns final_flush_timeout_ns = 30 * ns_per_s;
};

/// Why a set of options was refused: the option's name and a sentence naming the
/// value and the rule it broke.
struct option_error {
    std::string option;   ///< the option's name, as in the options struct: "backlog"
    std::string message;  ///< "must be at most 1048576 (got 2000000)"
};

/// Checks every rule of SEMANTICS.md section 2 that does not need the operating
/// system. Backends call it before they create any socket, so a bad option never
/// leaves a descriptor behind. Pure; any thread.
/// @param opts the options to check; `max_connections` must have been filled in
///   (max_connections_unset is refused).
/// @return nothing when every rule holds, else the first rule broken, in the order
///   of the struct's fields.
[[nodiscard]] std::optional<option_error> validate(const options& opts);

/// The enumerator's name ("raise"); "unknown" for a value out of range.
/// @param policy the policy to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(error_policy policy);
/// The enumerator's name ("back_off"); "unknown" for a value out of range.
/// @param mode the mode to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(exhaustion_mode mode);

}  // namespace berth::core
