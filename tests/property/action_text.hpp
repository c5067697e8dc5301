// The canonical text of an action, with connections named by their socket handle
// instead of their id. The reference model predicts actions in this form and the
// harness translates what the core emitted into it, so the two compare as strings
// and a disagreement prints as something a person can read.
#pragma once

#include <string>

#include "berth/core/action.hpp"
#include "berth/core/event_error.hpp"
#include "berth/core/types.hpp"

namespace berth::test::text {

using core::socket_handle;

std::string wait_readable();
std::string hold_reserve();
std::string release_reserve();
std::string accept_batch(std::uint32_t max_sockets, bool shed);
std::string start_handler(socket_handle socket);
std::string close_socket(socket_handle socket, bool handler_started);
std::string close_dropped_socket(socket_handle socket);
std::string close_listener();
/// Names the source that decided, and the writer's failure when it decided one.
std::string release_connection(socket_handle socket, core::outcome result,
                               core::policy_action policy, core::result_source decided_by,
                               const core::writer_failure& failure);
/// "" when `failure` describes no failure (status open).
std::string writer_failure(const core::writer_failure& failure);
/// `socket` is 0 for notices that name no connection.
std::string notice(core::notice_kind kind, socket_handle socket, int error_value);
std::string raise_accept_error(int error_value);
std::string complete_close();
std::string complete_handlers_finished();

std::string refusal(core::event_error error);

}  // namespace berth::test::text
