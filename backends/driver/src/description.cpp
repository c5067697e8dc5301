#include "berth/driver/description.hpp"

#include <ostream>
#include <string>

namespace berth::driver {

namespace {

void write_json_string(std::ostream& os, const std::string& text) {
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

void write_text(std::ostream& os, const description& d) {
    os << "listening_on: " << d.listening_on.to_string() << " (" << d.backend << ")\n"
       << d.core << "\npeers:";
    for (const described_peer& p : d.peers)
        os << "\n  " << p.id.index << '.' << p.id.generation << ' ' << *p.peer;
    if (d.peers.empty()) os << " none";
}

void write_json(std::ostream& os, const description& d) {
    os << "{\"listening_on\":";
    write_json_string(os, d.listening_on.to_string());
    os << ",\"backend\":\"" << d.backend << "\",\"core\":";
    d.core.write_json(os);
    os << ",\"peers\":[";
    bool first = true;
    for (const described_peer& p : d.peers) {
        os << (first ? "" : ",") << "{\"index\":" << p.id.index
           << ",\"generation\":" << p.id.generation << ",\"peer\":";
        write_json_string(os, p.peer->to_string());
        os << '}';
        first = false;
    }
    os << "]}";
}

}  // namespace berth::driver
