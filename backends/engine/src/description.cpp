// The description of a server (SEMANTICS.md section 9, Async's sexp_of_t): where it
// listens, which backend drives it, the core's own description, and the peer of
// every live connection. Text for people, JSON for tools; the same on every backend.
#include <ostream>
#include <string_view>

#include "berth/engine/server.hpp"

namespace berth::engine {

namespace {

void write_json_string(std::ostream& os, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    os << '"';
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            os << '\\' << c;
        } else if (byte < 0x20) {
            os << "\\u00" << hex[byte >> 4] << hex[byte & 0xf];
        } else {
            os << c;
        }
    }
    os << '"';
}

}  // namespace

void server::describe(std::ostream& os, bool json) const {
    if (!json) {
        os << "listening_on: " << listening_on_.to_string() << " (" << backend_name_ << ")\n"
           << core_ << "\npeers:";
        bool any = false;
        for (const std::unique_ptr<connection>& c : connections_) {
            if (c == nullptr) continue;
            os << "\n  " << c->id().index << '.' << c->id().generation << ' ' << c->peer();
            any = true;
        }
        if (!any) os << " none";
        return;
    }
    os << "{\"listening_on\":";
    write_json_string(os, listening_on_.to_string());
    os << ",\"backend\":";
    write_json_string(os, backend_name_);
    os << ",\"core\":";
    core_.write_json(os);
    os << ",\"peers\":[";
    bool first = true;
    for (const std::unique_ptr<connection>& c : connections_) {
        if (c == nullptr) continue;
        os << (first ? "" : ",") << "{\"index\":" << c->id().index
           << ",\"generation\":" << c->id().generation << ",\"peer\":";
        write_json_string(os, c->peer().to_string());
        os << '}';
        first = false;
    }
    os << "]}";
}

}  // namespace berth::engine
