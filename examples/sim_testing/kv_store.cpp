#include "kv_store.hpp"

#include <array>
#include <utility>
#include <vector>

namespace berth::examples::kv {

std::optional<std::string> store::get(const std::string& key) const {
    const auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

request parse_request(std::string_view line) {
    request r;
    const std::size_t verb_end = line.find(' ');
    const std::string_view verb = line.substr(0, verb_end);
    const std::string_view rest =
        verb_end == std::string_view::npos ? std::string_view() : line.substr(verb_end + 1);
    const std::size_t key_end = rest.find(' ');
    const std::string_view key = rest.substr(0, key_end);
    if (verb == "set") {
        if (key.empty() || key_end == std::string_view::npos) {
            r.value = "usage: set KEY VALUE";
            return r;
        }
        r.what = request::kind::set;
        r.key = key;
        r.value = rest.substr(key_end + 1);
        return r;
    }
    if (verb == "get") {
        if (key.empty() || key_end != std::string_view::npos) {
            r.value = "usage: get KEY";
            return r;
        }
        r.what = request::kind::get;
        r.key = key;
        return r;
    }
    r.value = "unknown command";
    return r;
}

namespace {

// The longest request line; a client cannot make the server's buffer grow without bound.
constexpr std::size_t line_bytes_max = 64 * 1024;

// Request lines, each ended by "\n" (a "\r" before it dropped). Not
// berth::reader::read_line: at the end of the stream it returns the unterminated
// rest as a line too, and a request cut off by a reset must not be applied (the
// seeded sweep found exactly that: "set k v2.0" stored as "v2.").
class request_reader {
public:
    explicit request_reader(reader& r) : reader_(&r) {}

    /// The next complete line; nothing at the end of the stream (an unterminated
    /// rest is dropped) or past line_bytes_max bytes without a newline.
    task<std::optional<std::string>> next() {
        // Bounded by the client: every turn takes bytes, or the stream has ended.
        for (;;) {
            const std::size_t newline = buffer_.find('\n', scanned_);
            if (newline != std::string::npos) {
                std::string line = buffer_.substr(0, newline);
                buffer_.erase(0, newline + 1);
                scanned_ = 0;
                if (!line.empty() && line.back() == '\r') line.pop_back();
                co_return line;
            }
            scanned_ = buffer_.size();
            if (buffer_.size() > line_bytes_max) {
                too_long_ = true;
                co_return std::nullopt;
            }
            const std::size_t n = co_await reader_->read_some(chunk_);
            if (n == 0) co_return std::nullopt;
            buffer_.append(chunk_.data(), n);
        }
    }
    [[nodiscard]] bool too_long() const { return too_long_; }

private:
    reader* reader_;
    std::string buffer_;
    std::size_t scanned_ = 0;  // bytes of buffer_ known to hold no newline
    std::array<char, 4096> chunk_{};
    bool too_long_ = false;
};

std::string answer_get(const std::optional<std::string>& value) {
    return value ? "value " + *value + "\n" : std::string("missing\n");
}

// A line too long ends the connection with an error reply.
task<> refuse_long_line(writer& w) {
    w.write("error line longer than " + std::to_string(line_bytes_max) + " bytes\n");
    static_cast<void>(co_await w.flushed());
}

task<> serve(store& s, reader& r, writer& w) {
    request_reader requests(r);
    // Bounded by the client: every turn consumes one line, or the stream has ended.
    while (std::optional<std::string> line = co_await requests.next()) {
        const request q = parse_request(*line);
        switch (q.what) {
            case request::kind::set:
                s.set(q.key, q.value);  // applied before it is acknowledged
                w.write("ok\n");
                break;
            case request::kind::get: w.write(answer_get(s.get(q.key))); break;
            case request::kind::invalid: w.write("error " + q.value + "\n"); break;
        }
        if (!co_await w.flushed()) co_return;  // the client left before the answer
    }
    if (requests.too_long()) co_await refuse_long_line(w);
}

task<> serve_buggy(store& s, reader& r, writer& w) {
    std::vector<std::pair<std::string, std::string>> pending;
    const auto apply = [&s, &pending] {
        for (auto& [key, value] : pending)
            s.set(key, std::move(value));
        pending.clear();
    };
    request_reader requests(r);
    while (std::optional<std::string> line = co_await requests.next()) {
        const request q = parse_request(*line);
        switch (q.what) {
            case request::kind::set:
                pending.emplace_back(q.key, q.value);
                w.write("ok\n");  // acknowledged before it is in the store
                break;
            case request::kind::get: {
                // Reads its own pending writes first, so a client alone sees nothing wrong.
                std::optional<std::string> value = s.get(q.key);
                for (const auto& [key, v] : pending)
                    if (key == q.key) value = v;
                w.write(answer_get(value));
                break;
            }
            case request::kind::invalid: w.write("error " + q.value + "\n"); break;
        }
        if (pending.size() >= 4) apply();
        if (!co_await w.flushed()) co_return;  // the bug: `pending` is dropped here
    }
    apply();
    if (requests.too_long()) co_await refuse_long_line(w);
}

}  // namespace

reader_writer_handler handler(store& s) {
    return [&s](address /*peer*/, reader& r, writer& w) { return serve(s, r, w); };
}

reader_writer_handler buggy_handler(store& s) {
    return [&s](address /*peer*/, reader& r, writer& w) { return serve_buggy(s, r, w); };
}

}  // namespace berth::examples::kv
