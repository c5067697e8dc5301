// The connection slots and the intrusive FIFO lists that thread through them.
//
// Pending actions are derived from slot states; the lists only remember the order
// in which slots entered a state (accept order for handler starts), so memory is
// bounded by the number of live connections and nothing is queued twice.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "berth/core/types.hpp"

namespace berth::core::detail {

inline constexpr std::uint32_t nil_index = std::numeric_limits<std::uint32_t>::max();

enum class handler_state : std::uint8_t {
    start_pending,  // admitted; start_handler not yet pulled
    running,        // start_handler pulled; the handler's code has not returned
    returned,       // the handler's code has returned (ok or failed)
    never_started,  // the server closed before the handler could start
};

enum class socket_state : std::uint8_t {
    open,
    close_pending,  // close_socket not yet pulled
    closing,        // close_socket pulled; socket_closed not yet reported
    closed,
};

enum class result_state : std::uint8_t {
    undecided,
    ok,
    error,
};

enum class late_write_state : std::uint8_t {
    none,     // no write after the result
    pending,  // a late write happened; its notice is owed (on the notice list)
    noticed,  // the notice was given: later late writes are only counted
};

enum class list_tag : std::uint8_t {
    none,
    start,    // waiting for start_handler to be pulled
    close,    // waiting for close_socket to be pulled
    release,  // waiting for release_connection to be pulled
    free,     // on the free list
};

struct slot {
    socket_handle socket = 0;
    std::uint32_t generation = 0;
    std::uint32_t next = nil_index;
    std::uint32_t notice_next = nil_index;  // the notice list (late_write pending)
    handler_state handler = handler_state::never_started;
    socket_state socket_status = socket_state::closed;
    result_state result = result_state::undecided;
    result_source decided_by = result_source::handler;
    late_write_state late_write = late_write_state::none;
    list_tag list = list_tag::free;
    bool in_use = false;
    /// Closed by the first `close` with close_existing_connections: its close
    /// holds back that close's completion.
    bool held_by_close = false;
    /// The handler returned after the result was decided: a notice is owed.
    bool late_notice_pending = false;
};

/// A FIFO of slot indices linked through `slot::next`. A slot is on at most one
/// list at a time; `slot::list` says which.
class slot_list {
public:
    [[nodiscard]] bool empty() const { return head_ == nil_index; }
    [[nodiscard]] std::uint32_t size() const { return size_; }
    [[nodiscard]] std::uint32_t front() const { return head_; }

    void push_back(std::vector<slot>& slots, std::uint32_t index, list_tag tag);
    std::uint32_t pop_front(std::vector<slot>& slots);

private:
    std::uint32_t head_ = nil_index;
    std::uint32_t tail_ = nil_index;
    std::uint32_t size_ = 0;
};

}  // namespace berth::core::detail
