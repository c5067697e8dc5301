#include "command_line.hpp"

#include <charconv>
#include <stdexcept>

#include "berth/posix/parse_listen_spec.hpp"

namespace berth::echo {

namespace {

#ifdef BERTH_EXAMPLE_HAVE_ASIO
constexpr bool asio_built = true;
#else
constexpr bool asio_built = false;
#endif
#ifdef BERTH_EXAMPLE_HAVE_UV
constexpr bool uv_built = true;
#else
constexpr bool uv_built = false;
#endif

bool backend_built(echo_backend backend) {
    return backend == echo_backend::asio ? asio_built : uv_built;
}

std::string built_backends() {
    std::string names;
    if (backend_built(echo_backend::asio)) names += "asio";
    if (backend_built(echo_backend::uv)) names += names.empty() ? "uv" : ", uv";
    return names;
}

}  // namespace

void refuse_value(const std::string& flag, const std::string& value, const std::string& rule) {
    throw std::invalid_argument(flag + ": invalid value '" + value + "': " + rule);
}

std::int64_t parse_integer(const std::string& flag, const std::string& value, std::int64_t min,
                           std::int64_t max) {
    std::int64_t n = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || error != std::errc() || end != value.data() + value.size()) {
        refuse_value(flag, value, "expected an integer");
    }
    if (n < min || n > max) {
        refuse_value(flag, value,
                     "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return n;
}

echo_backend parse_backend(const std::string& flag, const std::string& value) {
    if (value == "asio" && backend_built(echo_backend::asio)) return echo_backend::asio;
    if (value == "uv" && backend_built(echo_backend::uv)) return echo_backend::uv;
    refuse_value(flag, value, "this build's backends are: " + built_backends());
}

posix::listen_spec parse_listen(const std::string& flag, const std::string& value) {
    try {
        return posix::parse_listen_spec(value);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(flag + ": " + e.what());
    }
}

bool flag_walk::next() {
    if (next_ >= args_.size()) return false;
    at_ = next_++;
    flag_ = args_[at_];
    inline_value_.reset();
    if (const std::size_t eq = flag_.find('=');
        flag_.rfind("--", 0) == 0 && eq != std::string::npos) {
        inline_value_ = flag_.substr(eq + 1);
        flag_.resize(eq);
    }
    return true;
}

std::string flag_walk::value() {
    if (inline_value_) return *inline_value_;
    if (next_ >= args_.size()) throw std::invalid_argument(flag_ + ": missing value");
    return args_[next_++];
}

void flag_walk::no_value() const {
    if (inline_value_) throw std::invalid_argument(flag_ + ": takes no value");
}

}  // namespace berth::echo
