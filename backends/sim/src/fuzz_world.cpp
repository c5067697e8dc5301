// A simulated world built from a fuzzer's bytes (berth/sim/fuzz.hpp): the decoder,
// the clients, the world events, the two phases and the checks.
#include <algorithm>
#include <array>
#include <cerrno>
#include <coroutine>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include "berth/errors.hpp"
#include "berth/sim/fuzz.hpp"
#include "berth/sim/kernel.hpp"

namespace berth::sim {

namespace {

constexpr time_ns ms = core::ns_per_ms;

// --- The decoder ---------------------------------------------------------------------
//
// Reads the bytes front to back; past the end every byte reads as 0, so any input is
// a plan, and a shorter input is a smaller world.
class byte_source {
public:
    explicit byte_source(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    [[nodiscard]] bool exhausted() const { return position_ >= bytes_.size(); }
    std::uint8_t u8() { return exhausted() ? 0 : bytes_[position_++]; }
    std::uint32_t u16() {
        const std::uint32_t low = u8();
        const std::uint32_t high = u8();
        return low | (high << 8);
    }
    std::uint32_t u32() {
        const std::uint32_t low = u16();
        const std::uint32_t high = u16();
        return low | (high << 16);
    }
    /// In [0, n); n >= 1.
    std::uint32_t below(std::uint32_t n) { return n <= 256 ? u8() % n : u16() % n; }
    /// Up to `n` bytes as they are (fewer at the end of the input).
    std::string take(std::size_t n) {
        const std::size_t k = std::min(n, bytes_.size() - std::min(position_, bytes_.size()));
        std::string out(reinterpret_cast<const char*>(bytes_.data() + position_), k);
        position_ += k;
        return out;
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t position_ = 0;
};

// 0 to 31 ms by 1, to 279 ms by 8, to 3.45 s by 50 ms, to 19 s by 250 ms, to 83 s by
// 1 s: short times are common, long ones possible.
time_ns decode_time(std::uint8_t v, time_ns max_ns) {
    time_ns t = 0;
    if (v < 32) {
        t = v * ms;
    } else if (v < 64) {
        t = (32 + (v - 32) * 8) * ms;
    } else if (v < 128) {
        t = (300 + (v - 64) * 50) * ms;
    } else if (v < 192) {
        t = 3'500 * ms + (v - 128) * 250 * ms;
    } else {
        t = 20 * core::ns_per_s + (v - 192) * core::ns_per_s;
    }
    return std::min(t, max_ns);
}

std::uint32_t decode_rate(std::uint8_t v) {
    return v < 128 ? 0 : static_cast<std::uint32_t>(v - 128) * 2'000U;  // 0 to 25.4%
}

// The accept errors a world event may script: every class of SEMANTICS.md section 6,
// and one value nobody knows (fatal).
constexpr std::array<int, 16> scripted_errors = {
    EAGAIN, EINTR,   ECONNABORTED, EPROTO, EPERM,    ENETDOWN, EHOSTUNREACH, EMFILE,
    ENFILE, ENOBUFS, ENOMEM,       EBADF,  ENOTSOCK, EINVAL,   EFAULT,       4242,
};

// A plain line's text: never one of the line protocol's commands (it starts with
// 'c' and a digit), different for every client and action, `length` bytes long.
std::string plain_text(std::size_t client, std::size_t action, std::size_t piece,
                       std::size_t length) {
    std::string s = "c" + std::to_string(client) + "." + std::to_string(action) + "." +
                    std::to_string(piece) + ":";
    for (std::size_t i = 0; s.size() < length; ++i)
        s.push_back(static_cast<char>('a' + (client * 7 + action * 3 + i) % 26));
    s.resize(std::max<std::size_t>(length, 1));
    return s;
}

// A line of the line protocol, or a near miss of one, chosen by `c`.
std::string decode_command(byte_source& in, std::size_t client, std::size_t action) {
    const std::uint8_t c = in.u8();
    switch (c % 14) {
        case 0: return "quit\n";
        case 1: return "fail\n";
        case 2: return "sleep " + std::to_string(in.u8() % 64) + "\n";
        case 3: {
            const std::uint8_t v = in.u8();
            const std::uint32_t n = 1 + (v & 0x7fU) % 48U;
            std::string payload = plain_text(client, action, 0, n);
            if ((v & 0x80) != 0) payload[n / 2] = '\n';  // newlines are bytes like others
            return "read " + std::to_string(n) + "\n" + payload;
        }
        case 4: return "flood " + std::to_string(in.u8() * 64U) + "\n";
        case 5: return "\n";
        case 6: return plain_text(client, action, 0, 1 + in.u8() % 40U) + "\r\n";
        case 7: return plain_text(client, action, 0, 1 + in.u8() % 20U) + "\rx\n";
        case 8: return "flood 1048576\n";  // more than a client reads
        case 9: return "sleep 60000\n";    // the longest sleep
        case 10: {
            static constexpr std::array<const char*, 6> near_misses = {
                "flood x\n", "sleep -1\n", "read 0\n", "read 99999999\n", "quit \n", "fail\r\r\n"};
            return near_misses[in.u8() % near_misses.size()];
        }
        case 11: return "quit";  // a command only once the stream ends
        case 12:
            return "read " + std::to_string(1 + in.u8() % 64U) + "\n";  // its bytes may never come
        default: return "sleep " + std::to_string(in.u8()) + "\n";
    }
}

fuzz_client_plan decode_client(byte_source& in, const fuzz_limits& limits, std::size_t number) {
    fuzz_client_plan c;
    c.start_ns = decode_time(in.u8(), limits.client_start_max_ns);
    const std::uint8_t r = in.u8();
    static constexpr std::array<std::uint32_t, 8> chunks = {16,   64,   128,   512,
                                                            1024, 4096, 16384, 65536};
    c.read_chunk_bytes = (r & 7) == 0 ? 0 : chunks[(r >> 3) & 7];
    const std::uint8_t l = in.u8();
    static constexpr std::array<time_ns, 6> lingers = {100 * ms,   500 * ms,   1'000 * ms,
                                                       2'000 * ms, 5'000 * ms, 20 * ms};
    c.linger_ns = (l & 3) == 0
                      ? -1
                      : std::min(lingers[(l >> 2) % lingers.size()], limits.client_linger_max_ns);
    const std::uint32_t actions = in.below(limits.actions_per_client_max + 1);
    std::size_t bytes_left = limits.client_bytes_max;
    const auto send = [&](std::string bytes) {
        bytes.resize(std::min({bytes.size(), bytes_left, std::size_t{limits.send_bytes_max}}));
        if (bytes.empty()) return;
        bytes_left -= bytes.size();
        c.actions.push_back(fuzz_client_action{fuzz_client_op::send, 0, std::move(bytes)});
    };
    for (std::uint32_t i = 0; i < actions && !in.exhausted(); ++i) {
        const std::uint8_t a = in.u8();
        switch (a % 16) {
            case 9:
                c.actions.push_back(fuzz_client_action{
                    fuzz_client_op::pause,
                    static_cast<std::uint32_t>(decode_time(in.u8(), limits.client_pause_max_ns) /
                                               ms),
                    {}});
                break;
            case 10: c.actions.push_back({fuzz_client_op::stop_reading, 0, {}}); break;
            case 11: c.actions.push_back({fuzz_client_op::shutdown_write, 0, {}}); break;
            case 12: c.actions.push_back({fuzz_client_op::close, 0, {}}); break;
            case 13: c.actions.push_back({fuzz_client_op::reset, 0, {}}); break;
            case 8:
            case 15: send(decode_command(in, number, i)); break;
            case 7: send(in.take(in.u8())); break;  // raw bytes of the input
            case 6: send(plain_text(number, i, 0, 1 + in.u8() % 40U)); break;  // a line's start
            case 5: {  // a long line (or, with bit 4, the long start of one): buffers grow
                const std::uint32_t length =
                    1 + in.u16() % std::max<std::uint32_t>(limits.send_bytes_max, 1);
                std::string line = plain_text(number, i, 0, length);
                if ((a & 0x10) == 0) line.back() = '\n';
                send(std::move(line));
                break;
            }
            default: {  // plain lines, one to four in one send
                std::string lines;
                const std::uint32_t count = 1 + (a >> 4) % 4U;
                for (std::uint32_t k = 0; k < count; ++k)
                    lines += plain_text(number, i, k, 1 + in.u8() % 80U) + "\n";
                send(std::move(lines));
                break;
            }
        }
    }
    return c;
}

fuzz_world_event decode_event(byte_source& in, const fuzz_limits& limits, std::uint32_t fd_limit) {
    fuzz_world_event e;
    e.at_ns = decode_time(in.u8(), limits.event_time_max_ns);
    const std::uint8_t kind = in.u8();
    switch (kind % 8) {
        case 0: e.op = fuzz_world_op::close; break;
        case 1: e.op = fuzz_world_op::close_existing; break;
        case 2:
            e.op = fuzz_world_op::close_with_drain;
            e.ms = static_cast<std::uint32_t>(decode_time(in.u8(), 10 * core::ns_per_s) / ms);
            break;
        case 3:
            e.op = fuzz_world_op::drop;
            e.on = (kind & 0x80) == 0;
            break;
        case 4:
            e.op = fuzz_world_op::accept_errors;
            e.error_value = scripted_errors[in.u8() % scripted_errors.size()];
            e.count = 1 + in.u8() % 4U;
            break;
        case 5:
        case 7:
            e.op = fuzz_world_op::exhaust_descriptors;
            e.count = kind % 8 == 7 ? fd_limit : 1 + in.below(fd_limit);
            e.ms = static_cast<std::uint32_t>(decode_time(in.u8(), 10 * core::ns_per_s) / ms);
            break;
        default:
            e.op = fuzz_world_op::faults;
            e.on = (kind & 0x80) != 0;
            break;
    }
    return e;
}

}  // namespace

fuzz_plan decode_fuzz_plan(std::span<const std::uint8_t> bytes, const fuzz_target& t) {
    const fuzz_limits& limits = t.limits;
    byte_source in(bytes);
    fuzz_plan p;
    p.seed = in.u32();

    kernel_config& k = p.world.kernel;
    k.fd_limit = 3 + in.below(std::max<std::uint32_t>(limits.fd_limit_max, 3) - 2);
    const std::uint8_t b = in.u8();
    static constexpr std::array<std::uint32_t, 8> buffers = {16,   37,    256,   1024,
                                                             4096, 16384, 65536, 200};
    k.socket_buffer_bytes = buffers[b & 7];
    k.on_listen_overflow = ((b >> 3) & 1) != 0 ? listen_overflow::refuse : listen_overflow::retry;
    k.syn_retries_max = static_cast<std::uint32_t>((b >> 4) % 7);
    const std::uint8_t l = in.u8();
    static constexpr std::array<time_ns, 8> latencies = {0,       0,         1'000,     20'000,
                                                         200'000, 1'000'000, 5'000'000, 0};
    k.latency_max_ns = latencies[l & 7];
    static constexpr std::array<time_ns, 4> syn_retries = {10 * ms, 100 * ms, 1'000 * ms, 50 * ms};
    k.syn_retry_initial_ns = syn_retries[(l >> 3) & 3];

    fault_config& f = p.world.faults;
    f.enabled = (in.u8() & 1) != 0;
    f.accept_nothing_there_per_million = decode_rate(in.u8());
    f.accept_per_connection_per_million = decode_rate(in.u8());
    f.accept_out_of_resources_per_million = decode_rate(in.u8());
    f.accept_fatal_per_million = in.u8() >= 250 ? 20'000 : 0;
    f.spurious_wakeup_per_million = decode_rate(in.u8());
    const std::uint8_t pw = in.u8();
    f.partial_write_per_million = pw < 96 ? 0 : static_cast<std::uint32_t>(pw - 96) * 6'000U;

    const std::uint8_t g = in.u8();
    if (t.create && t.create_sock) {
        p.form = (g & 1) != 0 ? fuzz_form::create_sock : fuzz_form::create;
    } else {
        p.form = t.create_sock ? fuzz_form::create_sock : fuzz_form::create;
    }
    static constexpr std::array<const char*, 4> listens = {"127.0.0.1:0", "127.0.0.1:0", "[::1]:0",
                                                           "unix:@berth-fuzz"};
    p.listen = listens[(g >> 1) & 3];
    p.liveness_close_existing = ((g >> 3) & 1) != 0;

    core::options& o = p.opts;
    o = t.options;
    if (t.fuzz_options) {
        const std::uint32_t m = in.below(limits.max_connections_max + 1);
        o.max_connections = m == 0 ? core::max_connections_unset : m;
        o.max_accepts_per_batch = 1 + in.u8() % 4U;
        o.backlog = static_cast<std::int32_t>(in.u8() % 9);
        const std::uint8_t q = in.u8();
        o.drop_incoming_connections = (q & 7) == 7;
        static constexpr std::array<core::error_policy, 3> policies = {
            core::error_policy::ignore, core::error_policy::call, core::error_policy::raise};
        o.on_handler_error = policies[(q >> 3) % 3];
        o.on_accept_exhaustion =
            ((q >> 5) & 1) != 0 ? core::exhaustion_mode::shed : core::exhaustion_mode::back_off;
        const std::uint8_t w = in.u8();
        static constexpr std::array<time_ns, 8> ages = {
            120 * core::ns_per_s, core::unlimited_age_ns, 10 * ms, 50 * ms, 200 * ms, 1'000 * ms,
            60 * core::ns_per_s,  120 * core::ns_per_s};
        static constexpr std::array<time_ns, 8> flushes = {
            30 * core::ns_per_s, 0, 1 * ms, 20 * ms, 200 * ms, 2'000 * ms, 30 * core::ns_per_s,
            60 * core::ns_per_s};
        o.buffer_age_limit_ns = ages[w & 7];
        o.final_flush_timeout_ns = flushes[(w >> 3) & 7];
        static constexpr std::array<std::uint64_t, 8> limits_bytes = {
            1 << 20, 1 << 20, core::unlimited_bytes, 64, 512, 4096, 65536, 1 << 20};
        o.buffer_limit_bytes = limits_bytes[in.u8() & 7];
    } else if (o.on_handler_error == core::error_policy::unset) {
        o.on_handler_error = core::error_policy::ignore;
    }

    while (!in.exhausted()) {
        const std::uint8_t op = in.u8();
        const bool event_room = p.events.size() < limits.world_events_max;
        const bool client_room = p.clients.size() < limits.clients_max;
        if (!event_room && !client_room) break;
        if (((op & 3) == 3 && event_room) || !client_room) {
            p.events.push_back(decode_event(in, limits, k.fd_limit));
        } else {
            p.clients.push_back(decode_client(in, limits, p.clients.size()));
        }
    }
    return p;
}

// --- Describing a plan ---------------------------------------------------------------

namespace {

std::string time_text(time_ns t) {
    if (t < 0) return "never";
    if (t % core::ns_per_s == 0) return std::to_string(t / core::ns_per_s) + "s";
    if (t % ms == 0) return std::to_string(t / ms) + "ms";
    if (t % 1'000 == 0) return std::to_string(t / 1'000) + "us";
    return std::to_string(t) + "ns";
}

std::string quoted(std::string_view bytes, std::size_t max_shown = 72) {
    std::string out = "\"";
    static constexpr char hex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < bytes.size() && i < max_shown; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        switch (c) {
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            default:
                if (c < 0x20 || c >= 0x7f) {
                    out += "\\x";
                    out.push_back(hex[c >> 4]);
                    out.push_back(hex[c & 15]);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    out += bytes.size() > max_shown ? "\"..." : "\"";
    return out + " (" + std::to_string(bytes.size()) + " bytes)";
}

const char* to_string(fuzz_world_op op) {
    switch (op) {
        case fuzz_world_op::close: return "close";
        case fuzz_world_op::close_existing: return "close_existing";
        case fuzz_world_op::close_with_drain: return "close_with_drain";
        case fuzz_world_op::drop: return "drop";
        case fuzz_world_op::accept_errors: return "accept_errors";
        case fuzz_world_op::exhaust_descriptors: return "exhaust_descriptors";
        case fuzz_world_op::faults: return "faults";
    }
    return "unknown";
}

std::string bytes_text(std::uint64_t n) {
    return n == core::unlimited_bytes ? std::string("unlimited") : std::to_string(n);
}

}  // namespace

std::string describe(const fuzz_plan& p) {
    std::ostringstream os;
    const kernel_config& k = p.world.kernel;
    const fault_config& f = p.world.faults;
    const core::options& o = p.opts;
    os << "seed=" << p.seed << " fd_limit=" << k.fd_limit
       << " socket_buffer=" << k.socket_buffer_bytes
       << " overflow=" << (k.on_listen_overflow == listen_overflow::retry ? "retry" : "refuse")
       << " syn_retry=" << time_text(k.syn_retry_initial_ns) << "x" << k.syn_retries_max
       << " latency_max=" << time_text(k.latency_max_ns) << "\n";
    os << "faults=" << (f.enabled ? "on" : "off")
       << " (per million) nothing_there=" << f.accept_nothing_there_per_million
       << " per_connection=" << f.accept_per_connection_per_million
       << " out_of_resources=" << f.accept_out_of_resources_per_million
       << " fatal=" << f.accept_fatal_per_million << " spurious=" << f.spurious_wakeup_per_million
       << " partial_write=" << f.partial_write_per_million << "\n";
    os << "server: form=" << (p.form == fuzz_form::create ? "create" : "create_sock")
       << " listen=" << p.listen << " max_connections="
       << (o.max_connections == core::max_connections_unset ? std::string("default")
                                                            : std::to_string(o.max_connections))
       << " batch=" << o.max_accepts_per_batch << " backlog=" << o.backlog
       << " drop=" << (o.drop_incoming_connections ? "on" : "off")
       << " policy=" << core::to_string(o.on_handler_error)
       << " exhaustion=" << core::to_string(o.on_accept_exhaustion) << " buffer_age_limit="
       << (o.buffer_age_limit_ns == core::unlimited_age_ns ? std::string("unlimited")
                                                           : time_text(o.buffer_age_limit_ns))
       << " final_flush=" << time_text(o.final_flush_timeout_ns)
       << " buffer_limit=" << bytes_text(o.buffer_limit_bytes)
       << " liveness_close_existing=" << (p.liveness_close_existing ? "yes" : "no") << "\n";
    for (const fuzz_world_event& e : p.events) {
        os << "event at " << time_text(e.at_ns) << ": " << to_string(e.op);
        switch (e.op) {
            case fuzz_world_op::close_with_drain: os << " " << e.ms << "ms"; break;
            case fuzz_world_op::drop:
            case fuzz_world_op::faults: os << (e.on ? " on" : " off"); break;
            case fuzz_world_op::accept_errors:
                os << " " << describe_errno(e.error_value) << " x" << e.count;
                break;
            case fuzz_world_op::exhaust_descriptors:
                os << " " << e.count << " for " << e.ms << "ms";
                break;
            default: break;
        }
        os << "\n";
    }
    for (std::size_t i = 0; i < p.clients.size(); ++i) {
        const fuzz_client_plan& c = p.clients[i];
        os << "client " << i << ": start=" << time_text(c.start_ns) << " reads="
           << (c.read_chunk_bytes == 0 ? std::string("never")
                                       : std::to_string(c.read_chunk_bytes) + "B")
           << " linger=" << (c.linger_ns < 0 ? std::string("none") : time_text(c.linger_ns)) << ":";
        for (const fuzz_client_action& a : c.actions) {
            switch (a.op) {
                case fuzz_client_op::send: os << " send " << quoted(a.bytes) << ";"; break;
                case fuzz_client_op::pause: os << " pause " << a.ms << "ms;"; break;
                case fuzz_client_op::stop_reading: os << " stop_reading;"; break;
                case fuzz_client_op::shutdown_write: os << " shutdown_write;"; break;
                case fuzz_client_op::close: os << " close;"; break;
                case fuzz_client_op::reset: os << " reset;"; break;
            }
        }
        os << "\n";
    }
    return os.str();
}

// --- Reports ---------------------------------------------------------------------------

bool fuzz_client_report::read_throughout() const {
    return plan != nullptr && plan->read_chunk_bytes > 0 && !stopped_reading && !truncated;
}

bool fuzz_client_report::well_behaved() const {
    return connected && read_throughout() && !reset && !closed_early && shut_down_write &&
           end == fuzz_client_end::eof;
}

bool fuzz_report::may_have_cut(const fuzz_client_report& c, std::uint64_t reply_bytes) const {
    const time_ns until_ns = c.end_ns >= 0 ? c.end_ns : w.now_ns();
    for (const fuzz_event_run& e : events_run) {
        if (e.at_ns > until_ns) break;
        if (e.event->op == fuzz_world_op::close_existing ||
            e.event->op == fuzz_world_op::close_with_drain) {
            return true;
        }
    }
    if (plan.form != fuzz_form::create) return false;
    const core::options& o = plan.opts;
    return (o.buffer_age_limit_ns != core::unlimited_age_ns &&
            o.buffer_age_limit_ns < 60 * core::ns_per_s) ||
           o.final_flush_timeout_ns < 30 * core::ns_per_s || o.buffer_limit_bytes < reply_bytes;
}

const char* to_string(fuzz_failure f) {
    switch (f) {
        case fuzz_failure::none: return "none";
        case fuzz_failure::world_check: return "world check";
        case fuzz_failure::stuck: return "stuck";
        case fuzz_failure::descriptor_leak: return "descriptor leak";
        case fuzz_failure::books: return "server books";
        case fuzz_failure::unexpected_error: return "unexpected error";
        case fuzz_failure::reply_check: return "reply check";
        case fuzz_failure::predicate: return "predicate";
    }
    return "unknown";
}

// --- Running ---------------------------------------------------------------------------

namespace {

std::string what_of(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "(an exception not derived from std::exception)";
    }
}

struct failed_run {
    fuzz_failure kind;
    std::string message;
};

// A client's side that is not part of its report.
struct client_runtime {
    bool stop_reading = false;
    bool reader_done = true;
    std::coroutine_handle<> waiter;  // the script, lingering until the reader is done
    std::uint64_t wait_epoch = 0;
};

struct exhaustion_window {
    std::vector<socket_handle> files;
    bool open = true;
};

struct run_state {
    run_state(const fuzz_plan& p, const fuzz_target& t) : plan(p), target(t) {}

    const fuzz_plan& plan;
    const fuzz_target& target;
    world* w = nullptr;
    std::optional<server> srv;
    address listen_address;
    std::vector<fuzz_client_report> reports;  // sized once: tasks hold references
    std::vector<client_runtime> runtime;
    std::vector<fuzz_event_run> events_run;
    std::size_t events_pending = 0;
    std::vector<std::unique_ptr<exhaustion_window>> windows;
    std::vector<std::string> raised;
    std::vector<std::string> handler_errors;
    std::uint64_t notices = 0;
    std::uint64_t closes_existing = 0;
    std::optional<failed_run> failure;

    void fail(fuzz_failure kind, std::string message) {
        if (!failure) {
            failure =
                failed_run{kind, std::move(message) + " (at step " + std::to_string(w->steps()) +
                                     ", virtual time " + std::to_string(w->now_ns()) + " ns)"};
        }
    }
};

void wake_waiter(run_state& rs, client_runtime& c) {
    if (!c.waiter) return;
    std::coroutine_handle<> h = std::exchange(c.waiter, {});
    ++c.wait_epoch;
    rs.w->post(0, [h] { h.resume(); });
}

// The script's wait for its reader to see the server's end, bounded by `timeout_ns`.
struct reader_done_awaitable {
    run_state* rs;
    client_runtime* c;
    time_ns timeout_ns;
    [[nodiscard]] bool await_ready() const noexcept { return c->reader_done || timeout_ns <= 0; }
    void await_suspend(std::coroutine_handle<> h) const {
        c->waiter = h;
        const std::uint64_t epoch = ++c->wait_epoch;
        client_runtime* runtime = c;
        rs->w->post(timeout_ns, [runtime, epoch] {
            if (runtime->wait_epoch != epoch || !runtime->waiter) return;
            std::coroutine_handle<> waiting = std::exchange(runtime->waiter, {});
            ++runtime->wait_epoch;
            waiting.resume();
        });
    }
    void await_resume() const noexcept {}
};

task<> client_reader(run_state* rs, std::size_t i, socket s) {
    fuzz_client_report& r = rs->reports[i];
    client_runtime& c = rs->runtime[i];
    const std::uint32_t limit = rs->target.limits.receive_bytes_max;
    for (;;) {
        if (c.stop_reading || rs->failure) break;
        if (r.received.size() >= limit) {
            r.truncated = true;
            break;
        }
        const std::size_t want =
            std::min<std::size_t>(r.plan->read_chunk_bytes, limit - r.received.size());
        read_result got = co_await s.read_some(want);
        if (!got.data.empty()) {
            r.received += got.data;
            if (rs->target.check_reply) {
                std::string broken;
                try {
                    broken = rs->target.check_reply(r, got.data);
                } catch (...) {
                    broken = "check_reply threw: " + what_of(std::current_exception());
                }
                if (!broken.empty()) {
                    rs->fail(fuzz_failure::reply_check,
                             "client " + std::to_string(i) + ": " + broken);
                    break;
                }
            }
            continue;
        }
        r.end_ns = rs->w->now_ns();
        if (got.eof) {
            r.end = fuzz_client_end::eof;
        } else if (got.error == EBADF) {
            r.end = fuzz_client_end::closed;
        } else {
            r.end = fuzz_client_end::error;
            r.end_error = got.error;
        }
        break;
    }
    c.reader_done = true;
    wake_waiter(*rs, c);
}

task<> client_script(run_state* rs, std::size_t i) {
    world& w = *rs->w;
    fuzz_client_report& r = rs->reports[i];
    client_runtime& c = rs->runtime[i];
    const fuzz_client_plan& p = *r.plan;
    co_await w.sleep_for(p.start_ns);
    connect_result connected = co_await w.connect(rs->listen_address);
    if (!connected.sock) {
        r.connect_error = connected.error;
        r.done_ns = w.now_ns();
        co_return;
    }
    socket s = *connected.sock;
    r.connected = true;
    r.connected_ns = w.now_ns();
    r.address = s.local_address();
    if (p.read_chunk_bytes > 0) {
        c.reader_done = false;
        w.spawn(client_reader(rs, i, s));
    }
    bool over = false;
    for (const fuzz_client_action& a : p.actions) {
        if (rs->failure) break;
        switch (a.op) {
            case fuzz_client_op::send:
                if (!r.shut_down_write) {
                    r.sent += a.bytes;
                    s.send(a.bytes);
                }
                break;
            case fuzz_client_op::pause: co_await w.sleep_for(a.ms * ms); break;
            case fuzz_client_op::stop_reading:
                c.stop_reading = true;
                r.stopped_reading = true;
                break;
            case fuzz_client_op::shutdown_write:
                s.shutdown_write();
                r.shut_down_write = true;
                break;
            case fuzz_client_op::close:
                r.closed_with_unread = s.bytes_available() > 0;
                s.close();
                r.closed_early = true;
                over = true;
                break;
            case fuzz_client_op::reset:
                s.reset();
                r.reset = true;
                over = true;
                break;
        }
        if (over) break;
    }
    if (!over) {
        if (p.linger_ns >= 0 && !rs->failure) {
            if (!r.shut_down_write) {
                s.shutdown_write();
                r.shut_down_write = true;
            }
            if (!c.reader_done) {
                co_await reader_done_awaitable{rs, &c, p.linger_ns};
            } else if (r.end == fuzz_client_end::none) {
                co_await w.sleep_for(p.linger_ns);  // not reading: it holds the connection
            }
        }
        r.closed_with_unread = s.bytes_available() > 0;
        s.close();
    }
    r.done_ns = w.now_ns();
}

void run_event(run_state& rs, const fuzz_world_event& e) {
    --rs.events_pending;
    rs.events_run.push_back(fuzz_event_run{&e, rs.w->now_ns()});
    server& s = *rs.srv;
    switch (e.op) {
        case fuzz_world_op::close: s.close(false); break;
        case fuzz_world_op::close_existing:
            ++rs.closes_existing;
            s.close(true);
            break;
        case fuzz_world_op::close_with_drain:
            ++rs.closes_existing;
            s.close_with_drain(std::chrono::milliseconds(e.ms));
            break;
        case fuzz_world_op::drop: s.set_drop_incoming_connections(e.on); break;
        case fuzz_world_op::accept_errors: s.inject_accept_faults(e.error_value, e.count); break;
        case fuzz_world_op::exhaust_descriptors: {
            auto window = std::make_unique<exhaustion_window>();
            for (std::uint32_t k = 0; k < e.count; ++k) {
                const socket_handle h = rs.w->net().open_file();
                if (h == 0) break;
                window->files.push_back(h);
            }
            exhaustion_window* raw = window.get();
            rs.windows.push_back(std::move(window));
            run_state* state = &rs;
            rs.w->post(e.ms * ms, [state, raw] {
                if (!raw->open) return;
                raw->open = false;
                for (const socket_handle h : raw->files)
                    state->w->net().close(h);
            });
            break;
        }
        case fuzz_world_op::faults: rs.w->net().faults().enabled = e.on; break;
    }
}

bool is_step_cap(const check_failure& e) {
    return std::string_view(e.what()).starts_with("run_until: no end within");
}

// Runs the world until `done` (true), or until `limit_ns` of virtual time passed
// (false). Errors that propagate out of the world are recorded; those the policy
// does not explain fail the run. Throws check_failure for a failed world check, and
// failed_run when the steps run out.
bool run_phase(run_state& rs, const std::function<bool()>& done, time_ns limit_ns) {
    world& w = *rs.w;
    const std::uint64_t steps_max = rs.target.limits.steps_max;
    const time_ns until_ns = w.now_ns() + limit_ns;
    const auto finished = [&] { return rs.failure.has_value() || done(); };
    for (;;) {
        if (w.steps() >= steps_max) {
            throw failed_run{fuzz_failure::stuck,
                             "the run took more than " + std::to_string(steps_max) + " steps"};
        }
        try {
            return w.run_until(finished, until_ns - w.now_ns(), steps_max - w.steps());
        } catch (const check_failure& e) {
            if (is_step_cap(e)) {
                throw failed_run{fuzz_failure::stuck,
                                 "the run took more than " + std::to_string(steps_max) + " steps"};
            }
            throw;
        } catch (...) {
            const std::exception_ptr error = std::current_exception();
            const std::string what = what_of(error);
            rs.raised.push_back(what);
            bool explained = rs.plan.opts.on_handler_error == core::error_policy::raise;
            try {
                std::rethrow_exception(error);
            } catch (const accept_error&) {
                explained = true;  // a fatal accept error, raised as SEMANTICS.md 6 says
            } catch (...) {
            }
            if (rs.plan.opts.on_handler_error == core::error_policy::call &&
                rs.target.hooks.on_handler_error) {
                explained = true;  // the user's hook may throw
            }
            if (!explained) {
                rs.fail(fuzz_failure::unexpected_error,
                        "an error propagated out of the world with the " +
                            std::string(core::to_string(rs.plan.opts.on_handler_error)) +
                            " policy: " + what);
            }
        }
    }
}

std::string wind_down_state(run_state& rs) {
    const server& s = *rs.srv;
    std::ostringstream os;
    os << "close_completed=" << s.close_completed()
       << " handlers_finished=" << s.all_handlers_finished()
       << " num_connections=" << s.num_connections()
       << " client_tasks_running=" << rs.w->tasks_running()
       << " descriptors_open=" << rs.w->net().fds_in_use() << " idle=" << rs.w->idle();
    return os.str();
}

// The server's statistics must add up once everything has wound down.
std::optional<std::string> check_books(run_state& rs) {
    const core::statistics& st = rs.srv->stats();
    const kernel_stats& ks = rs.w->net().stats();
    std::ostringstream os;
    if (st.accepted != ks.accepts) {
        os << "the server counted " << st.accepted << " accepted sockets, the kernel " << ks.accepts
           << " accepts";
    } else if (st.accepted != st.handlers_started + st.dropped + st.shed + st.closed_after_close) {
        os << "accepted " << st.accepted << " != handlers_started " << st.handlers_started
           << " + dropped " << st.dropped << " + shed " << st.shed << " + closed_after_close "
           << st.closed_after_close;
    } else if (st.handlers_started != st.handler_ok + st.handler_errors) {
        os << "handlers_started " << st.handlers_started << " != handler_ok " << st.handler_ok
           << " + handler_errors " << st.handler_errors;
    } else {
        return std::nullopt;
    }
    return os.str();
}

void fill_counts(run_state& rs, fuzz_counts& n) {
    world& w = *rs.w;
    n.steps = w.steps();
    n.clients = rs.reports.size();
    for (const fuzz_client_report& r : rs.reports) {
        n.connected += r.connected ? 1U : 0U;
        n.client_resets += r.reset ? 1U : 0U;
        n.stopped_reading += r.connected && !r.read_throughout() ? 1U : 0U;
        n.well_behaved += r.well_behaved() ? 1U : 0U;
    }
    const kernel_stats& ks = w.net().stats();
    n.emfile = ks.emfile;
    n.partial_writes = ks.partial_writes;
    n.resets = ks.resets;
    n.exhaustion_windows = rs.windows.size();
    n.raised = rs.raised.size();
    n.closes_existing = rs.closes_existing;
    n.notices = rs.notices;
    if (!rs.srv) return;
    const core::statistics& st = rs.srv->stats();
    n.accepted = st.accepted;
    n.handlers_started = st.handlers_started;
    n.handler_errors = st.handler_errors;
    n.dropped = st.dropped + st.shed + st.closed_after_close;
    n.writer_failures = st.writer_failures;
    for (const std::uint64_t e : st.accept_errors)
        n.accept_errors += e;
    n.accept_errors -= st.accept_errors_of(core::accept_error_class::nothing_there);
}

server make_server(run_state& rs, world& w) {
    const fuzz_plan& p = rs.plan;
    const fuzz_target& t = rs.target;
    server_hooks hooks = t.hooks;
    run_state* state = &rs;
    if (p.opts.on_handler_error == core::error_policy::call) {
        auto user = t.hooks.on_handler_error;
        hooks.on_handler_error = [state, user](const address& peer, std::exception_ptr error) {
            state->handler_errors.push_back(peer.to_string() + ": " + what_of(error));
            if (user) user(peer, error);
        };
    }
    auto user_notice = t.hooks.on_notice;
    hooks.on_notice = [state, user_notice](const core::actions::notice& n) {
        ++state->notices;
        if (user_notice) user_notice(n);
    };
    if (p.form == fuzz_form::create) {
        return server::create(w, p.listen, p.opts, t.create, std::move(hooks));
    }
    return server::create_sock(w, p.listen, p.opts, t.create_sock, std::move(hooks));
}

void run_world(run_state& rs, world& w) {
    const fuzz_plan& p = rs.plan;
    const fuzz_limits& limits = rs.target.limits;
    rs.srv.emplace(make_server(rs, w));
    server& s = *rs.srv;
    rs.listen_address = s.listening_on_address();
    for (std::size_t i = 0; i < p.clients.size(); ++i)
        w.spawn(client_script(&rs, i));
    rs.events_pending = p.events.size();
    for (const fuzz_world_event& e : p.events) {
        run_state* state = &rs;
        w.post_at(e.at_ns, [state, &e] { run_event(*state, e); });
    }

    // Active: every client's script and every world event.
    const bool active_done = run_phase(
        rs, [&] { return w.tasks_running() == 0 && rs.events_pending == 0; },
        limits.active_phase_max_ns);
    if (rs.failure) return;
    if (!active_done) {
        rs.fail(fuzz_failure::stuck,
                "the clients did not finish within the active phase (" + wind_down_state(rs) + ")");
        return;
    }

    // Liveness: no faults, no exhaustion, the server closed; everything winds down.
    w.net().faults().enabled = false;
    for (const std::unique_ptr<exhaustion_window>& window : rs.windows) {
        if (!window->open) continue;
        window->open = false;
        for (const socket_handle h : window->files)
            w.net().close(h);
    }
    s.close(p.liveness_close_existing);
    const auto wound_down = [&] {
        return s.close_completed() && s.all_handlers_finished() && s.num_connections() == 0 &&
               w.tasks_running() == 0 && w.net().fds_in_use() == 0;
    };
    const bool down = run_phase(rs, wound_down, limits.liveness_phase_max_ns);
    if (rs.failure) return;
    if (!down) {
        const bool only_descriptors = s.close_completed() && s.all_handlers_finished() &&
                                      s.num_connections() == 0 && w.tasks_running() == 0;
        std::ostringstream os;
        os << (only_descriptors ? "descriptors still open after everything wound down"
                                : "liveness: the world did not wind down")
           << " (" << wind_down_state(rs) << ")\n"
           << s;
        rs.fail(only_descriptors ? fuzz_failure::descriptor_leak : fuzz_failure::stuck, os.str());
        return;
    }
    // What is still scheduled must be finite and harmless.
    static_cast<void>(run_phase(
        rs, [&] { return w.idle(); }, limits.liveness_phase_max_ns));
    if (rs.failure) return;
    if (!w.idle()) {
        rs.fail(fuzz_failure::stuck,
                "events still scheduled after the world wound down (" + wind_down_state(rs) + ")");
        return;
    }
    if (w.net().fds_in_use() != 0) {
        rs.fail(fuzz_failure::descriptor_leak,
                std::to_string(w.net().fds_in_use()) + " descriptors open at the end");
        return;
    }
    if (const std::optional<std::string> broken = check_books(rs)) {
        rs.fail(fuzz_failure::books, *broken);
        return;
    }
    if (rs.target.check) {
        const fuzz_report report{
            p, w, s, rs.reports, rs.events_run, rs.raised, rs.handler_errors, rs.notices};
        std::string broken;
        try {
            broken = rs.target.check(report);
        } catch (...) {
            broken = "check threw: " + what_of(std::current_exception());
        }
        if (!broken.empty()) rs.fail(fuzz_failure::predicate, broken);
    }
}

}  // namespace

fuzz_result run_fuzz_plan(const fuzz_plan& plan, const fuzz_target& t,
                          const fuzz_run_options& options) {
    fuzz_result result;
    run_state rs(plan, t);
    rs.reports.resize(plan.clients.size());
    rs.runtime.resize(plan.clients.size());
    for (std::size_t i = 0; i < plan.clients.size(); ++i) {
        rs.reports[i].number = static_cast<std::uint32_t>(i);
        rs.reports[i].plan = &plan.clients[i];
    }
    {
        world w(plan.seed, plan.world);
        rs.w = &w;
        w.tracer().set_recording(options.record_trace);
        try {
            run_world(rs, w);
        } catch (const check_failure& e) {
            rs.fail(fuzz_failure::world_check, e.what());
        } catch (const failed_run& e) {
            rs.fail(e.kind, e.message);
        } catch (const creation_error& e) {
            rs.fail(fuzz_failure::unexpected_error,
                    std::string("creating the server failed: ") + e.what());
        } catch (const listen_error& e) {
            rs.fail(fuzz_failure::unexpected_error,
                    std::string("creating the server failed: ") + e.what());
        } catch (...) {
            rs.fail(fuzz_failure::unexpected_error,
                    "unexpected exception: " + what_of(std::current_exception()));
        }
        fill_counts(rs, result.counts);
        result.trace_hash = w.tracer().hash();
        result.trace = std::move(w.tracer());
        rs.srv.reset();
    }
    if (rs.failure) {
        result.failure = rs.failure->kind;
        result.message = std::move(rs.failure->message);
        result.plan = describe(plan);
    }
    return result;
}

fuzz_result run_fuzzed_world(std::span<const std::uint8_t> bytes, const fuzz_target& t,
                             const fuzz_run_options& options) {
    return run_fuzz_plan(decode_fuzz_plan(bytes, t), t, options);
}

void print_failure(std::ostream& os, const fuzz_result& r) {
    os << "berth::sim fuzzed world FAILED (" << to_string(r.failure) << "): " << r.message
       << "\nplan:\n"
       << r.plan;
}

void run_fuzzed_world_or_abort(std::span<const std::uint8_t> bytes, const fuzz_target& t) {
    const fuzz_result r = run_fuzzed_world(bytes, t);
    if (r.ok()) return;
    print_failure(std::cerr, r);
    std::cerr.flush();
    std::abort();
}

}  // namespace berth::sim
