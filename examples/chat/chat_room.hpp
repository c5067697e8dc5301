// berth-chat's room: the writers of the connections whose handlers are running,
// each under its name. A line is broadcast by writing it into every other member's
// writer, which returns at once: the broadcaster never waits for anybody. A member
// that does not read fills its writer; the write that would take it past
// buffer_limit_bytes fails that writer, the server closes that connection, and the
// broadcast goes on with the others. So a slow reader costs the server at most its
// writer's limit, and stalls nobody.
//
// Thread safety: none; the room lives on the server's loop, as the writers do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/writer.hpp"

namespace berth::chat {

class room;

/// A connection in the room, from join to the end of its handler: it lives in the
/// handler's frame, and its destructor leaves the room, so the room never holds the
/// writer of a handler that has ended.
class member {
public:
    member(room& r, writer& w, std::string name);
    member(const member&) = delete;
    member& operator=(const member&) = delete;
    ~member();

    [[nodiscard]] const std::string& name() const { return name_; }

private:
    friend class room;
    room* room_;
    writer* writer_;
    std::string name_;
    std::size_t index_ = 0;  // where the room holds it
};

class room {
public:
    /// `capacity`: the most members at once (the server's max_connections, which
    /// already bounds the handlers running). The room grows with its members: a
    /// large limit costs nothing until the clients come.
    explicit room(std::uint32_t capacity);
    room(const room&) = delete;
    room& operator=(const room&) = delete;

    /// Writes "<from>: <line>\n" to every member but `from`.
    void broadcast(const member& from, std::string_view line);
    /// Writes `text` to every member.
    void tell_everyone(std::string_view text);
    /// Whether `name` is a member's name.
    [[nodiscard]] bool name_taken(std::string_view name) const;
    /// Renames `m`; the caller checked that the name is free.
    void rename(member& m, std::string name);

    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] std::uint32_t capacity() const { return capacity_; }

private:
    friend class member;
    void join(member& m);
    void leave(member& m);
    // Writes `text` to every member except `skip` (may be null).
    void write_all(const member* skip, std::string_view text);

    std::uint32_t capacity_;
    std::vector<member*> members_;
    // A write can close its connection and end its handler inside the write (the
    // engine runs handlers inline): a member that leaves while write_all walks the
    // room leaves a hole, filled once the walk is over.
    int walking_ = 0;
    std::size_t holes_ = 0;
};

}  // namespace berth::chat
