// Replays the simulated-world fuzzer's corpus without libFuzzer (any compiler; gcc
// builds run it as a CTest test): every file of the given directories (or the given
// files) goes through the same entry point as sim_world_fuzz.cpp's
// LLVMFuzzerTestOneInput, and any failure fails the replay, naming the file, what
// failed and the input's plan. Then it checks that the corpus, taken together,
// still reaches what it was crafted to reach (partial writes, exhaustion windows,
// resets, clients that stop reading, ...), and fails naming what is missing.
//
//   berth_sim_world_fuzz_replay fuzz/corpus/sim_world          # the CTest test
//   berth_sim_world_fuzz_replay --plan crash-1234              # what an input decodes to
//   berth_sim_world_fuzz_replay --trace t.json crash-1234      # its Chrome trace (Perfetto)
//   berth_sim_world_fuzz_replay --craft fuzz/corpus/sim_world  # rewrites the crafted seeds
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/sim/fuzz.hpp"
#include "berth/sim/fuzz_replay.hpp"

namespace berth::sim::fuzz_echo {
const fuzz_target& target();  // sim_world_fuzz.cpp
}  // namespace berth::sim::fuzz_echo

namespace {

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;

// --- Crafted seeds -----------------------------------------------------------------------
//
// Written with the decoder's layout (decode_fuzz_plan in backends/sim/src/fuzz_world.cpp):
// a header, then records; a record is a client unless its first byte has both low
// bits set (a world event). The comments name what each seed is for.

struct header {
    std::uint32_t seed = 1;
    std::uint8_t fd = 20;      // fd_limit = 3 + fd % 46
    std::uint8_t buffer = 4;   // socket buffer = {16,37,256,1024,4096,16384,65536,200}[b & 7]
    std::uint8_t latency = 3;  // latency_max {0,0,1us,20us,200us,1ms,5ms,0}[l & 7]
    bool faults = false;
    std::uint8_t nothing_there = 0, per_connection = 0, out_of_resources = 0, fatal = 0,
                 spurious = 0;  // rates: (v - 128) * 2000 per million above 128; fatal: >= 250
    std::uint8_t partial = 0;   // partial writes: (v - 96) * 6000 per million above 96
    std::uint8_t form =
        0;  // bit 0: create_sock; bits 1-2: listen form; bit 3: liveness close_existing
    std::uint8_t max_connections = 4;  // % 9; 0: default
    std::uint8_t batch = 0;            // 1 + b % 4
    std::uint8_t backlog = 4;          // % 9
    std::uint8_t policy = 0;  // bits 0-2 == 7: drop; (>> 3) % 3: ignore, call, raise; bit 5: shed
    std::uint8_t writer =
        0;  // age {120s,unlimited,10ms,50ms,200ms,1s,60s,120s}[w & 7], flush [(w >> 3) & 7]
    std::uint8_t limit = 0;  // buffer_limit {1M,1M,unlimited,64,512,4096,65536,1M}[x & 7]
};

class seed_writer {
public:
    explicit seed_writer(const header& h) {
        for (int i = 0; i < 4; ++i)
            out_.push_back(static_cast<std::uint8_t>(h.seed >> (8 * i)));
        out_.insert(
            out_.end(),
            {h.fd, h.buffer, h.latency, static_cast<std::uint8_t>(h.faults ? 1 : 0),
             h.nothing_there, h.per_connection, h.out_of_resources, h.fatal, h.spurious, h.partial,
             h.form, h.max_connections, h.batch, h.backlog, h.policy, h.writer, h.limit});
    }

    // A client: start time code, read code ((r & 7) == 0: never reads; chunk
    // {16,64,128,512,1024,4096,16384,65536}[(r >> 3) & 7]), linger code ((l & 3) == 0:
    // none; else {100ms,500ms,1s,2s,5s,20ms}[(l >> 2) % 6]), then the actions.
    seed_writer& client(std::uint8_t start, std::uint8_t read, std::uint8_t linger,
                        const std::vector<bytes>& actions) {
        out_.insert(out_.end(),
                    {0, start, read, linger, static_cast<std::uint8_t>(actions.size())});
        for (const bytes& a : actions)
            out_.insert(out_.end(), a.begin(), a.end());
        return *this;
    }
    // A world event: time code, kind (% 8; bit 7 for drop off / faults on), parameters.
    seed_writer& event(std::uint8_t at, std::uint8_t kind, const bytes& parameters = {}) {
        out_.insert(out_.end(), {3, at, kind});
        out_.insert(out_.end(), parameters.begin(), parameters.end());
        return *this;
    }
    [[nodiscard]] const bytes& get() const { return out_; }

private:
    bytes out_;
};

// Actions.
bytes lines(std::uint8_t count, std::uint8_t length) {  // 1 to 4 plain lines, 1 to 80 bytes
    bytes a{static_cast<std::uint8_t>(((count - 1) << 4) | 0)};
    for (std::uint8_t i = 0; i < count; ++i)
        a.push_back(static_cast<std::uint8_t>(length - 1));
    return a;
}
bytes fragment(std::uint8_t length) {
    return {6, static_cast<std::uint8_t>(length - 1)};
}
bytes raw(std::string_view text) {  // at most 255 bytes
    bytes a{7, static_cast<std::uint8_t>(text.size())};
    // One by one: g++ 12 at -O3 misreads a range insert here as an overread.
    for (const char c : text)
        a.push_back(static_cast<std::uint8_t>(c));
    return a;
}
// A plain line of 1 to 24576 bytes; unterminated: the long start of a line.
bytes long_line(std::uint16_t length, bool terminated = true) {
    const auto n = static_cast<std::uint16_t>(length - 1);
    return {static_cast<std::uint8_t>(terminated ? 5 : 5 | 0x10),
            static_cast<std::uint8_t>(n & 0xff), static_cast<std::uint8_t>(n >> 8)};
}
// Commands: 0 quit, 1 fail, 2 sleep p%64, 3 read 1+(p&127)%48 (p&128: a newline inside),
// 4 flood p*64, 5 empty line, 6 CRLF line, 7 line with an inner CR, 8 flood 1 MiB,
// 9 sleep 60000, 10 near misses, 11 "quit" unterminated, 12 read N never sent, 13 sleep p.
bytes command(std::uint8_t c, std::uint8_t parameter = 0) {
    return c == 0 || c == 1 || c == 5 || c == 8 || c == 9 || c == 11 ? bytes{8, c}
                                                                     : bytes{8, c, parameter};
}
bytes pause(std::uint8_t time) {
    return {9, time};
}
const bytes stop_reading{10};
const bytes shutdown_write{11};
const bytes close_now{12};
const bytes reset_now{13};

// World events' kinds.
constexpr std::uint8_t ev_close = 0, ev_close_existing = 1, ev_drain = 2, ev_drop_on = 3,
                       ev_drop_off = 3 | 0x80, ev_accept_errors = 4, ev_exhaust = 5,
                       ev_faults_off = 6, ev_faults_on = 6 | 0x80, ev_exhaust_all = 7;

std::vector<std::pair<std::string, bytes>> crafted_seeds() {
    std::vector<std::pair<std::string, bytes>> seeds;
    const auto add = [&seeds](std::string name, const seed_writer& w) {
        seeds.emplace_back(std::move(name), w.get());
    };
    // Readers 4 KiB (r = 5 << 3 | 1), linger 1 s (l = 2 << 2 | 1).
    constexpr std::uint8_t reads = (5 << 3) | 1, small_reads = (0 << 3) | 1, never = 0;
    constexpr std::uint8_t linger = (2 << 2) | 1, long_linger = (4 << 2) | 1, no_linger = 0;
    {
        header h;
        add("echo-plain-create",
            seed_writer(h)
                .client(0, reads, linger, {lines(3, 20), pause(10), lines(1, 80)})
                .client(5, reads, linger, {lines(4, 60), lines(2, 5)}));
        h.form = 1;
        add("echo-plain-sock",
            seed_writer(h)
                .client(0, reads, linger, {lines(3, 20), pause(10), lines(1, 80)})
                .client(5, small_reads, linger, {lines(4, 60), lines(2, 5)}));
    }
    {
        header h;  // a one-byte-at-a-time world: 16-byte buffers, partial writes almost always
        h.buffer = 0;
        h.faults = true;
        h.partial = 250;
        add("partial-writes-create",
            seed_writer(h)
                .client(0, small_reads, long_linger,
                        {lines(4, 80), fragment(30), lines(1, 10), command(4, 40)})
                .client(1, reads, long_linger, {lines(4, 70), command(3, 130)}));
        h.form = 1;
        add("partial-writes-sock",
            seed_writer(h)
                .client(0, small_reads, long_linger,
                        {lines(4, 80), fragment(30), lines(1, 10), command(4, 40)})
                .client(1, reads, long_linger, {lines(4, 70), command(3, 130)}));
    }
    {
        header h;  // descriptor exhaustion windows with back-off, then shed
        h.fd = 5;  // fd_limit 8
        h.max_connections = 0;
        for (const std::uint8_t mode : {std::uint8_t{0}, std::uint8_t{1 << 5}}) {
            h.policy = mode;
            seed_writer w(h);
            w.event(0, ev_exhaust_all, {100}).event(150, ev_exhaust, {3, 200});
            for (std::uint8_t i = 0; i < 5; ++i)
                w.client(static_cast<std::uint8_t>(i * 8), reads, long_linger,
                         {lines(2, 30), pause(40), lines(1, 8)});
            add(mode == 0 ? "exhaustion-back-off" : "exhaustion-shed", w);
        }
    }
    {
        header h;      // clients that never read, or stop, against a writer with an age limit
        h.buffer = 1;  // 37 bytes
        h.writer = 2 | (5 << 3);  // age 10 ms, final flush 2 s
        h.policy = 1 << 3;        // call
        add("stop-reading-age-limit",
            seed_writer(h)
                .client(0, never, long_linger, {command(4, 200), lines(4, 80), pause(100)})
                .client(0, reads, long_linger,
                        {lines(2, 10), stop_reading, command(4, 255), pause(200)})
                .client(3, reads, linger, {lines(2, 40)}));
        h.form = 1;
        add("stop-reading-sock",
            seed_writer(h)
                .client(0, never, long_linger, {command(4, 200), lines(4, 80), pause(100)})
                .client(0, reads, long_linger,
                        {lines(2, 10), stop_reading, command(8), pause(200)}));
        h.form = 0;
        h.limit = 3;  // buffer_limit 64 bytes
        add("buffer-limit", seed_writer(h).client(0, reads, linger, {lines(4, 80), lines(4, 80)}));
    }
    {
        header h;           // resets and early closes, with unread data both ways
        h.policy = 2 << 3;  // raise
        add("resets-and-closes",
            seed_writer(h)
                .client(0, reads, linger, {lines(2, 30), reset_now})
                .client(0, never, linger, {lines(3, 40), pause(20), close_now})
                .client(2, reads, linger, {command(4, 100), pause(5), reset_now})
                .client(4, reads, linger, {lines(1, 10), command(1)})
                .client(6, reads, linger, {raw("hello\nfail\nworld\n")})
                .client(8, reads, no_linger, {lines(1, 10), command(0), lines(2, 10)}));
    }
    {
        header h;  // accept faults of every class, through the rates and the scripted seam
        h.faults = true;
        h.nothing_there = 200;
        h.per_connection = 220;
        h.out_of_resources = 200;
        h.spurious = 220;
        h.batch = 3;
        seed_writer w(h);
        w.event(1, ev_accept_errors, {2, 3})
            .event(20, ev_accept_errors, {8, 2})
            .event(40, ev_accept_errors, {0, 3})
            .event(60, ev_faults_off);
        for (std::uint8_t i = 0; i < 6; ++i)
            w.client(static_cast<std::uint8_t>(i * 4), reads, linger,
                     {lines(1, 20), pause(30), lines(1, 20)});
        add("accept-faults", w);
        header f;
        f.faults = true;
        f.fatal = 255;
        f.policy = 1 << 3;
        seed_writer fatal(f);
        fatal.event(10, ev_accept_errors, {11, 1});
        for (std::uint8_t i = 0; i < 3; ++i)
            fatal.client(static_cast<std::uint8_t>(i * 10), reads, linger, {lines(2, 20)});
        add("accept-fatal", fatal);
    }
    {
        header h;  // closes: with the existing connections, with a drain, and drop mode
        seed_writer a(h);
        a.event(30, ev_close_existing);
        for (std::uint8_t i = 0; i < 4; ++i)
            a.client(static_cast<std::uint8_t>(i * 6), reads, long_linger,
                     {lines(1, 20), command(2, 50), pause(40), lines(1, 20)});
        add("close-existing", a);
        seed_writer d(h);
        d.event(20, ev_drain, {40}).event(5, ev_drop_on).event(15, ev_drop_off);
        for (std::uint8_t i = 0; i < 4; ++i)
            d.client(static_cast<std::uint8_t>(i * 6), reads, long_linger,
                     {lines(1, 20), command(13, 90), lines(1, 20)});
        add("drain-and-drop", d);
        h.form = 1 | (3 << 1) | (1 << 3);  // create_sock, unix:@, liveness closes existing
        seed_writer u(h);
        u.event(35, ev_close);
        for (std::uint8_t i = 0; i < 3; ++i)
            u.client(static_cast<std::uint8_t>(i * 9), reads, linger, {lines(2, 20), command(9)});
        add("unix-close-sleepers", u);
    }
    {
        header h;  // the line protocol's commands and near misses, both forms
        for (const std::uint8_t form : {std::uint8_t{0}, std::uint8_t{1 | (2 << 1)}}) {
            h.form = form;
            add(form == 0 ? "commands-create" : "commands-sock-ipv6",
                seed_writer(h)
                    .client(
                        0, reads, long_linger,
                        {command(5), command(6, 10), command(7, 5), command(10, 0), command(10, 3),
                         command(3, 7), fragment(12), lines(1, 4), command(12, 9)})
                    .client(1, small_reads, long_linger,
                            {command(2, 20), command(4, 3), command(11)})
                    .client(2, reads, long_linger, {raw("read 5\nab\ncd"), lines(1, 9)}));
        }
    }
    {
        header h;      // long lines: the server's input buffer grows, moves its bytes, shrinks
        h.buffer = 2;  // 256 bytes
        h.faults = true;
        h.partial = 200;
        for (const std::uint8_t form : {std::uint8_t{0}, std::uint8_t{1}}) {
            h.form = form;
            add(form == 0 ? "long-lines-create" : "long-lines-sock",
                seed_writer(h)
                    .client(0, reads, long_linger,
                            {long_line(20000), long_line(9000, false), long_line(3000),
                             lines(4, 80), long_line(5000)})
                    .client(1, small_reads, long_linger,
                            {long_line(12000), command(3, 40), long_line(700)}));
        }
    }
    {
        header h;  // faults off at first, switched on by an event, then off again
        h.per_connection = 250;
        h.nothing_there = 250;
        h.partial = 230;
        seed_writer w(h);
        w.event(10, ev_faults_on).event(90, ev_faults_off);
        for (std::uint8_t i = 0; i < 8; ++i)
            w.client(static_cast<std::uint8_t>(12 + i * 2), reads, linger,
                     {lines(3, 30), pause(20), lines(1, 30)});
        add("faults-switched-on", w);
    }
    {
        header h;  // a full listen queue: refused, and retried until ETIMEDOUT
        h.max_connections = 1;
        h.backlog = 0;
        h.buffer = 0x10 | 0x08 | 4;  // refuse, 1 SYN retry
        seed_writer w(h);
        for (std::uint8_t i = 0; i < 5; ++i)
            w.client(0, reads, long_linger, {lines(1, 10), pause(200)});
        add("listen-queue-refuse", w);
        h.buffer = 0x20 | 4;       // retry, 2 SYN retries
        h.latency = 4 | (0 << 3);  // 200 us, SYN retry 10 ms
        seed_writer r(h);
        for (std::uint8_t i = 0; i < 5; ++i)
            r.client(0, reads, long_linger, {lines(1, 10), pause(120)});
        add("listen-queue-retry", r);
    }
    return seeds;
}

int craft(const fs::path& dir) {
    fs::create_directories(dir);
    for (const auto& [name, input] : crafted_seeds()) {
        std::ofstream out(dir / name, std::ios::binary);
        out.write(reinterpret_cast<const char*>(input.data()),
                  static_cast<std::streamsize>(input.size()));
        if (!out) {
            std::cerr << "cannot write " << (dir / name) << '\n';
            return 1;
        }
    }
    std::cout << "wrote " << crafted_seeds().size() << " seeds to " << dir << '\n';
    return 0;
}

// --- Replay ------------------------------------------------------------------------------

// What the corpus must reach, taken together.
struct reach {
    const char* what;
    std::uint64_t berth::sim::fuzz_counts::*count;
};
constexpr reach required[] = {
    {"an accepted connection", &berth::sim::fuzz_counts::accepted},
    {"a handler error", &berth::sim::fuzz_counts::handler_errors},
    {"a dropped, shed or closed-after-close socket", &berth::sim::fuzz_counts::dropped},
    {"an accept error", &berth::sim::fuzz_counts::accept_errors},
    {"EMFILE on accept", &berth::sim::fuzz_counts::emfile},
    {"a partial write", &berth::sim::fuzz_counts::partial_writes},
    {"a connection reset", &berth::sim::fuzz_counts::resets},
    {"a client that resets", &berth::sim::fuzz_counts::client_resets},
    {"a client that stops reading", &berth::sim::fuzz_counts::stopped_reading},
    {"a well-behaved client", &berth::sim::fuzz_counts::well_behaved},
    {"a descriptor-exhaustion window", &berth::sim::fuzz_counts::exhaustion_windows},
    {"an error raised out of the world", &berth::sim::fuzz_counts::raised},
    {"a writer failure", &berth::sim::fuzz_counts::writer_failures},
    {"a close of the existing connections", &berth::sim::fuzz_counts::closes_existing},
    {"a notice", &berth::sim::fuzz_counts::notices},
};

// The replay; main turns its refusals into messages and exit codes.
int replay(int argc, char** argv) {
    std::vector<fs::path> paths;
    std::string trace_path;
    bool plans = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg(argv[i]);
        if (arg == "--craft" && i + 1 < argc) return craft(argv[++i]);
        if (arg == "--trace" && i + 1 < argc) {
            trace_path = argv[++i];
            continue;
        }
        if (arg == "--plan") {
            plans = true;
            continue;
        }
        paths.emplace_back(arg);
    }
    const std::vector<fs::path> inputs = berth::sim::fuzz_replay_inputs(paths);
    if (inputs.empty()) {
        std::cerr << "usage: " << argv[0]
                  << " [--plan] [--trace FILE] <corpus dir or file>... | --craft DIR\n";
        return 2;
    }
    const berth::sim::fuzz_target& target = berth::sim::fuzz_echo::target();
    berth::sim::fuzz_run_options options;
    options.record_trace = !trace_path.empty();
    berth::sim::fuzz_counts total;
    std::uint64_t failures = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const fs::path& path : inputs) {
        const std::vector<std::uint8_t> input = berth::sim::read_fuzz_input(path);
        if (plans) {
            std::cout << "--- " << path.string() << ":\n"
                      << berth::sim::describe(berth::sim::decode_fuzz_plan(input, target));
        }
        const berth::sim::fuzz_result r = berth::sim::run_fuzzed_world(input, target, options);
        const berth::sim::fuzz_counts& c = r.counts;
        for (const reach& q : required)
            total.*q.count += c.*q.count;
        total.steps += c.steps;
        total.clients += c.clients;
        if (!r.ok()) {
            ++failures;
            std::cout << "FAILED " << path.string() << ":\n";
            berth::sim::print_failure(std::cout, r);
        }
        if (!trace_path.empty()) {
            std::ofstream out(trace_path);
            r.trace.write_chrome_json(out, 0);
            std::cout << "trace of " << path.string() << " written to " << trace_path << " ("
                      << r.trace.records().size() << " records)\n";
        }
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::cout << "replayed " << inputs.size() << " inputs in " << elapsed.count()
              << " ms: " << total.steps << " steps, " << total.clients << " clients\n";
    for (const reach& q : required)
        std::cout << "  " << q.what << ": " << total.*q.count << '\n';
    if (failures != 0) {
        std::cout << failures << " inputs FAILED\n";
        return 1;
    }
    if (inputs.size() < 2) return 0;  // one input: a replay, not the corpus
    bool complete = true;
    for (const reach& q : required) {
        if (total.*q.count == 0) {
            std::cout << "MISSING from the corpus: " << q.what << '\n';
            complete = false;
        }
    }
    if (!complete) return 1;
    std::cout << "the corpus reaches every fault it was crafted for\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return replay(argc, argv);
    } catch (const std::invalid_argument& e) {  // a path that is not there: usage
        std::cerr << argv[0] << ": " << e.what() << '\n';
        return 2;
    } catch (const std::runtime_error& e) {  // an input that cannot be read
        std::cerr << argv[0] << ": " << e.what() << '\n';
        return 1;
    }
}
