#include "chat_room.hpp"

#include <stdexcept>
#include <utility>

namespace berth::chat {

member::member(room& r, writer& w, std::string name)
    : room_(&r), writer_(&w), name_(std::move(name)) {
    room_->join(*this);
}

member::~member() {
    room_->leave(*this);
}

room::room(std::uint32_t capacity) : capacity_(capacity) {}

void room::join(member& m) {
    // The server admits at most max_connections handlers, and every member is one:
    // more would be a bug of the server, not a client's doing.
    if (size() >= capacity_) throw std::logic_error("chat room: more members than max_connections");
    m.index_ = members_.size();
    members_.push_back(&m);
}

void room::leave(member& m) {
    if (walking_ > 0) {
        members_[m.index_] = nullptr;
        ++holes_;
        return;
    }
    // Constant time: the last member takes the leaver's place.
    member* last = members_.back();
    members_[m.index_] = last;
    last->index_ = m.index_;
    members_.pop_back();
}

std::size_t room::size() const {
    return members_.size() - holes_;
}

void room::write_all(const member* skip, std::string_view text) {
    ++walking_;
    // Bounded by the members present at the start. Indexes, not iterators: one that
    // joined during the walk (none can: joining needs a handler start, which a write
    // never causes) could move the vector.
    const std::size_t n = members_.size();
    for (std::size_t i = 0; i < n; ++i) {
        member* m = members_[i];
        if (m == nullptr || m == skip) continue;
        // A writer that already failed or found its peer gone takes nothing; asking
        // first keeps the server from counting a late write for it.
        if (m->writer_->accepts_writes()) m->writer_->write(text);
    }
    if (--walking_ > 0 || holes_ == 0) return;
    std::size_t kept = 0;
    for (member* m : members_) {
        if (m == nullptr) continue;
        m->index_ = kept;
        members_[kept++] = m;
    }
    members_.resize(kept);
    holes_ = 0;
}

void room::broadcast(const member& from, std::string_view line) {
    std::string text;
    text.reserve(from.name().size() + line.size() + 3);
    text.append(from.name()).append(": ").append(line).push_back('\n');
    write_all(&from, text);
}

void room::tell_everyone(std::string_view text) {
    write_all(nullptr, text);
}

bool room::name_taken(std::string_view name) const {
    for (const member* m : members_)
        if (m != nullptr && m->name() == name) return true;
    return false;
}

void room::rename(member& m, std::string name) {
    m.name_ = std::move(name);
}

}  // namespace berth::chat
