// "The user's" handler of this example: a tiny key-value store over a line
// protocol, written once in berth's portable form (berth/handler.hpp), so the
// very function tested here in the simulator is the one Asio or libuv would serve.
//
//   set KEY VALUE   ->  ok                 (KEY: no spaces; VALUE: the rest of the line)
//   get KEY         ->  value VALUE | missing
//   anything else   ->  error ...
//
// Its promise, checked by the seeded simulator runs (kv_sim_test.cpp) and the fuzz
// target (fuzz_handler.cpp): a `set` answered `ok` is in the store, so a later `get`
// from any client sees it (or a later value), and each request gets exactly one
// reply, in order.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "berth/handler.hpp"

namespace berth::examples::kv {

/// The store every connection of one server shares. The server's handlers all run
/// on its loop, so no lock is needed.
class store {
public:
    void set(const std::string& key, std::string value) { values_[key] = std::move(value); }
    [[nodiscard]] std::optional<std::string> get(const std::string& key) const;
    [[nodiscard]] std::size_t size() const { return values_.size(); }

private:
    std::map<std::string, std::string, std::less<>> values_;
};

/// One request line, parsed.
struct request {
    enum class kind : std::uint8_t { set, get, invalid } what = kind::invalid;
    std::string key;
    std::string value;  // set: the value; invalid: why
};
[[nodiscard]] request parse_request(std::string_view line);

/// The handler, over `s` (which must outlive the server). Reads lines until the
/// client leaves, answers each, and waits for each answer to reach the kernel
/// before reading on (a client that does not read is held back by its socket).
/// Only lines ended by "\n" are requests: an unterminated rest at the end of the
/// stream (a client cut off mid-request) is dropped. A line over 64 KiB gets
/// `error line longer than 65536 bytes` and ends the connection.
[[nodiscard]] reader_writer_handler handler(store& s);

/// The same protocol with a bug a user could well write: a write-behind buffer that
/// answers `ok` at once and applies the sets to the store in batches of four, or
/// when the client ends the stream. When the client leaves while an answer is
/// being written, the early return skips the batch, and acknowledged sets are lost.
/// Only the seeded runs' faults (a client resetting mid-pipeline) reach that path.
[[nodiscard]] reader_writer_handler buggy_handler(store& s);

}  // namespace berth::examples::kv
