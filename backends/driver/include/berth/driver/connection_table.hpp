// A driver's started connections by the core's connection index, and the peers of
// accepted sockets not yet started, by descriptor. Both stay allocation-free once
// the indices and descriptor numbers have peaked.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "berth/core/detail/assert.hpp"
#include "berth/core/types.hpp"
#include "berth/posix/accept_batch.hpp"
#include "berth/posix/socket_address.hpp"

namespace berth::driver {

template <typename Connection>
class connection_table {
public:
    /// Puts a started connection in its slot. Precondition: the slot is free.
    void place(core::connection_id id, std::shared_ptr<Connection> connection) {
        if (slots_.size() <= id.index) slots_.resize(std::size_t{id.index} + 1);
        BERTH_ASSERT(slots_[id.index] == nullptr);
        slots_[id.index] = std::move(connection);
    }

    /// The connection `id` names, or nullptr once it is released (or its slot is
    /// another generation's).
    [[nodiscard]] Connection* find(core::connection_id id) const {
        if (id.index >= slots_.size()) return nullptr;
        Connection* c = slots_[id.index].get();
        return c != nullptr && c->id == id ? c : nullptr;
    }

    /// The shared handle of a connection in the table, for work that must keep it.
    /// Precondition: `id` is in the table.
    [[nodiscard]] const std::shared_ptr<Connection>& shared(core::connection_id id) const {
        BERTH_ASSERT(find(id) != nullptr);
        return slots_[id.index];
    }

    /// Takes the connection out of its slot (release_connection). Precondition:
    /// `id` is in the table.
    [[nodiscard]] std::shared_ptr<Connection> take(core::connection_id id) {
        std::shared_ptr<Connection> c = std::move(slots_[id.index]);
        BERTH_ASSERT(c != nullptr && c->id == id);
        return c;
    }

    /// Slots in index order; released ones are null.
    [[nodiscard]] auto begin() const { return slots_.begin(); }
    [[nodiscard]] auto end() const { return slots_.end(); }

private:
    std::vector<std::shared_ptr<Connection>> slots_;
};

class pending_peers {
public:
    /// The accept batch's sink: records each accepted socket's peer here.
    [[nodiscard]] posix::peer_sink sink();
    /// The peer of `socket`, forgotten here; the empty address if none was recorded.
    [[nodiscard]] posix::socket_address take(core::socket_handle socket);

private:
    std::vector<posix::socket_address> by_fd_;
};

}  // namespace berth::driver
