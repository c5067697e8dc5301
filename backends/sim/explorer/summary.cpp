#include "summary.hpp"

#include <cstdio>
#include <iomanip>
#include <ostream>

#include "berth/core/accept_error.hpp"

namespace berth::sim::explorer {

namespace {

// Rates for the report only: nothing in a run depends on them.
std::uint64_t per_second(std::uint64_t count, std::chrono::nanoseconds elapsed) {
    const auto us = static_cast<std::uint64_t>(elapsed.count()) / 1000;
    if (us == 0) return 0;
    return count * 1'000'000U / us;  // exact enough, and overflows only past 1.8e13 events
}

}  // namespace

void print_summary(std::ostream& os, std::uint64_t runs, std::uint64_t failures, const run_stats& t,
                   std::chrono::nanoseconds elapsed, std::chrono::nanoseconds cpu) {
    const auto row = [&os](const char* name, std::uint64_t value) {
        os << "  " << std::left << std::setw(34) << name << std::right << std::setw(14) << value
           << '\n';
    };
    os << "summary:\n";
    row("runs", runs);
    row("failed runs", failures);
    row("clients", t.clients);
    row("steps (world events)", t.steps);
    row("events (handled by the core)", t.events);
    row("accepts", t.accepted);
    row("drops (drop mode, shed, after close)", t.dropped);
    row("handlers ok", t.handler_ok);
    row("handler errors", t.handler_errors);
    for (int c = 0; c < core::accept_error_class_count; ++c) {
        const std::string name = std::string("accept errors: ") +
                                 core::to_string(static_cast<core::accept_error_class>(c));
        row(name.c_str(), t.accept_errors[static_cast<std::size_t>(c)]);
    }
    row("back-off pauses", t.back_off_pauses);
    row("closes", t.closes);
    row("errors raised out of run", t.raised);
    row("connects that failed", t.connects_failed);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    row("elapsed (ms)", static_cast<std::uint64_t>(ms));
    row("events per second", per_second(t.events, elapsed));
    row("steps per second", per_second(t.steps, elapsed));
    row("seeds per second", per_second(runs, elapsed));
    row("cpu time (ms)", static_cast<std::uint64_t>(
                             std::chrono::duration_cast<std::chrono::milliseconds>(cpu).count()));
    row("events per cpu second", per_second(t.events, cpu));
    row("steps per cpu second", per_second(t.steps, cpu));
    row("seeds per cpu second", per_second(runs, cpu));
}

progress::progress(std::uint64_t total, bool enabled)
    : total_(total), enabled_(enabled), start_(std::chrono::steady_clock::now()), last_(start_) {}

void progress::update(std::uint64_t done) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(200)) {
        return;
    }
    last_ = now;
    drawn_ = true;
    constexpr std::uint64_t width = 40;
    const std::uint64_t filled = total_ == 0 ? width : done * width / total_;
    std::fprintf(stderr, "\r[");
    for (std::uint64_t i = 0; i < width; ++i)
        std::fputc(i < filled ? '#' : ' ', stderr);
    std::fprintf(stderr, "] %llu/%llu seeds", static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total_));
    std::fflush(stderr);
}

void progress::finish() {
    if (drawn_) std::fprintf(stderr, "\n");
}

}  // namespace berth::sim::explorer
