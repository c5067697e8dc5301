#include "berth/core/options.hpp"

#include <string>

namespace berth::core {

namespace {

option_error refuse(const char* option, std::string message) {
    return option_error{option, std::string(option) + " " + std::move(message)};
}

}  // namespace

std::optional<option_error> validate(const options& opts) {
    if (opts.max_connections == max_connections_unset) {
        return refuse("max_connections",
                      "is unset: a backend fills in its default (90% of the descriptor "
                      "limit) before the core sees it");
    }
    if (opts.max_connections < 1) {
        return refuse("max_connections",
                      "must be at least 1 (got " + std::to_string(opts.max_connections) + ")");
    }
    if (opts.max_connections > max_connections_limit) {
        return refuse("max_connections", "must be at most " +
                                             std::to_string(max_connections_limit) + " (got " +
                                             std::to_string(opts.max_connections) + ")");
    }
    if (opts.max_accepts_per_batch < 1) {
        return refuse(
            "max_accepts_per_batch",
            "must be at least 1 (got " + std::to_string(opts.max_accepts_per_batch) + ")");
    }
    if (opts.max_accepts_per_batch > max_accepts_per_batch_limit) {
        return refuse("max_accepts_per_batch",
                      "must be at most " + std::to_string(max_accepts_per_batch_limit) + " (got " +
                          std::to_string(opts.max_accepts_per_batch) + ")");
    }
    if (opts.backlog < 0) {
        return refuse("backlog", "must be at least 0 (got " + std::to_string(opts.backlog) + ")");
    }
    if (opts.backlog > backlog_limit) {
        return refuse("backlog", "must be at most " + std::to_string(backlog_limit) + " (got " +
                                     std::to_string(opts.backlog) + ")");
    }
    if (opts.on_handler_error == error_policy::unset) {
        return refuse("on_handler_error", "is required: choose raise, ignore or call");
    }
    if (opts.buffer_age_limit_ns != unlimited_age_ns &&
        (opts.buffer_age_limit_ns <= 0 || opts.buffer_age_limit_ns > buffer_age_limit_max_ns)) {
        return refuse("buffer_age_limit",
                      "must be positive and at most 24 hours, or unlimited (got " +
                          std::to_string(opts.buffer_age_limit_ns) + " ns)");
    }
    if (opts.buffer_limit_bytes < 1) {
        return refuse("buffer_limit_bytes", "must be at least 1, or unlimited (got 0)");
    }
    if (opts.final_flush_timeout_ns < 0 ||
        opts.final_flush_timeout_ns > final_flush_timeout_max_ns) {
        return refuse("final_flush_timeout", "must be between 0 and 1 hour (got " +
                                                 std::to_string(opts.final_flush_timeout_ns) +
                                                 " ns)");
    }
    return std::nullopt;
}

const char* to_string(error_policy policy) {
    switch (policy) {
        case error_policy::unset: return "unset";
        case error_policy::raise: return "raise";
        case error_policy::ignore: return "ignore";
        case error_policy::call: return "call";
    }
    return "unknown";
}

const char* to_string(exhaustion_mode mode) {
    switch (mode) {
        case exhaustion_mode::back_off: return "back_off";
        case exhaustion_mode::shed: return "shed";
    }
    return "unknown";
}

}  // namespace berth::core
