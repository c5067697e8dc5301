#include "action_text.hpp"

namespace berth::test::text {

namespace {

std::string socket_name(socket_handle socket) {
    return socket == 0 ? std::string("-") : "s" + std::to_string(socket);
}

const char* outcome_name(core::outcome result) {
    return result == core::outcome::ok ? "ok" : "error";
}

}  // namespace

std::string wait_readable() {
    return "wait_readable";
}

std::string hold_reserve() {
    return "hold_reserve";
}

std::string release_reserve() {
    return "release_reserve";
}

std::string accept_batch(std::uint32_t max_sockets, bool shed) {
    return "accept_batch(" + std::to_string(max_sockets) + (shed ? ", shed)" : ")");
}

std::string start_handler(socket_handle socket) {
    return "start_handler(" + socket_name(socket) + ")";
}

std::string close_socket(socket_handle socket, bool handler_started) {
    return "close_socket(" + socket_name(socket) + (handler_started ? ")" : ", no handler)");
}

std::string close_dropped_socket(socket_handle socket) {
    return "close_dropped_socket(" + socket_name(socket) + ")";
}

std::string close_listener() {
    return "close_listener";
}

std::string writer_failure(const core::writer_failure& f) {
    if (f.status == core::writer_status::open) return {};
    return std::string(core::to_string(f.status)) + " age " + std::to_string(f.age_ns) + " held " +
           std::to_string(f.bytes_held) + " refused " + std::to_string(f.bytes_refused) +
           " limit " + std::to_string(f.limit_bytes) + "/" + std::to_string(f.limit_ns) +
           " errno " + std::to_string(f.error_value);
}

std::string release_connection(socket_handle socket, core::outcome result,
                               core::policy_action policy, core::result_source decided_by,
                               const core::writer_failure& failure) {
    const std::string why = writer_failure(failure);
    return "release_connection(" + socket_name(socket) + ", " + outcome_name(result) + ", " +
           core::to_string(policy) + ", by " + core::to_string(decided_by) +
           (why.empty() ? std::string() : ", " + why) + ")";
}

std::string notice(core::notice_kind kind, socket_handle socket, int error_value) {
    return std::string("notice(") + core::to_string(kind) + ", " + socket_name(socket) + ", " +
           std::to_string(error_value) + ")";
}

std::string raise_accept_error(int error_value) {
    return "raise_accept_error(" + std::to_string(error_value) + ")";
}

std::string complete_close() {
    return "complete_close";
}

std::string complete_handlers_finished() {
    return "complete_handlers_finished";
}

std::string refusal(core::event_error error) {
    return error == core::event_error::none ? std::string("accepted")
                                            : std::string("refused: ") + core::to_string(error);
}

}  // namespace berth::test::text
