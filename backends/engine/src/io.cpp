#include "berth/engine/io.hpp"

#include <string>

#include "berth/engine/connection.hpp"

namespace berth::engine {

void io::start_native_handler(connection& c) {
    contract_violation("connection " + std::to_string(c.id().index) +
                       ": this backend has no native handler form");
}

}  // namespace berth::engine
