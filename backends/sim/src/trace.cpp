#include "berth/sim/trace.hpp"

#include <iomanip>
#include <ostream>

namespace berth::sim {

const char* to_string(trace_kind kind) {
    switch (kind) {
        case trace_kind::step: return "step";
        case trace_kind::connect: return "connect";
        case trace_kind::connect_queued: return "connect_queued";
        case trace_kind::connect_overflow: return "connect_overflow";
        case trace_kind::connect_failed: return "connect_failed";
        case trace_kind::listener_readable: return "listener_readable";
        case trace_kind::accept_batch: return "accept_batch";
        case trace_kind::accepted: return "accepted";
        case trace_kind::accept_error: return "accept_error";
        case trace_kind::batch_done: return "batch_done";
        case trace_kind::handler_start: return "handler_start";
        case trace_kind::handler_end: return "handler_end";
        case trace_kind::socket_close: return "socket_close";
        case trace_kind::socket_closed: return "socket_closed";
        case trace_kind::dropped_close: return "dropped_close";
        case trace_kind::listener_close: return "listener_close";
        case trace_kind::listener_closed: return "listener_closed";
        case trace_kind::release: return "release";
        case trace_kind::notice: return "notice";
        case trace_kind::raised: return "raised";
        case trace_kind::close_called: return "close_called";
        case trace_kind::drop_set: return "drop_set";
        case trace_kind::complete_close: return "complete_close";
        case trace_kind::complete_handlers: return "complete_handlers";
        case trace_kind::listener_wait: return "listener_wait";
        case trace_kind::shed: return "shed";
        case trace_kind::buffered: return "buffered";
        case trace_kind::flushed: return "flushed";
        case trace_kind::write_failed: return "write_failed";
        case trace_kind::extra_completion: return "extra_completion";
        case trace_kind::timer_fired: return "timer_fired";
        case trace_kind::reserve: return "reserve";
        case trace_kind::counters: return "counters";
        case trace_kind::client_done: return "client_done";
        case trace_kind::fault: return "fault";
    }
    return "unknown";
}

namespace {

// Microseconds with three decimals, in integer arithmetic (no floating point in
// anything a run produces).
void write_us(std::ostream& os, time_ns at_ns) {
    os << at_ns / 1000 << '.' << std::setw(3) << std::setfill('0') << at_ns % 1000
       << std::setfill(' ');
}

std::string connection_name(std::uint64_t key) {
    return std::to_string(key & 0xffffffffU) + "." + std::to_string(key >> 32);
}

}  // namespace

void write_record_text(std::ostream& os, const trace_record& r) {
    write_us(os, r.at_ns);
    os << " us " << to_string(r.kind) << " a=" << r.a << " b=" << r.b << " c=" << r.c;
}

void trace::write_text(std::ostream& os) const {
    for (const trace_record& r : records_) {
        write_record_text(os, r);
        os << '\n';
    }
}

// Handlers are async spans keyed by connection (one row each in Perfetto), the
// server's counters a counter track, everything else instant events.
void trace::write_chrome_json(std::ostream& os, std::uint64_t seed) const {
    os << "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"seed\":\"" << seed
       << "\"},\"traceEvents\":[\n";
    os << "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"berth-sim seed "
       << seed << "\"}}";
    for (const trace_record& r : records_) {
        if (r.kind == trace_kind::step) continue;
        os << ",\n{\"pid\":1,\"tid\":1,\"ts\":";
        write_us(os, r.at_ns);
        switch (r.kind) {
            case trace_kind::handler_start:
                os << ",\"ph\":\"b\",\"cat\":\"handler\",\"id\":" << r.a << ",\"name\":\"handler "
                   << connection_name(r.a) << "\"}";
                break;
            case trace_kind::handler_end:
                os << ",\"ph\":\"e\",\"cat\":\"handler\",\"id\":" << r.a << ",\"name\":\"handler "
                   << connection_name(r.a) << "\",\"args\":{\"failed\":" << r.b << "}}";
                break;
            case trace_kind::counters:
                os << ",\"ph\":\"C\",\"name\":\"server\",\"args\":{\"num_connections\":" << r.a
                   << ",\"descriptors\":" << r.b << ",\"listen_queue\":" << r.c << "}}";
                break;
            default:
                os << ",\"ph\":\"i\",\"s\":\"g\",\"name\":\"" << to_string(r.kind)
                   << "\",\"args\":{\"a\":" << r.a << ",\"b\":" << r.b << ",\"c\":" << r.c << "}}";
                break;
        }
    }
    os << "\n]}\n";
}

}  // namespace berth::sim
