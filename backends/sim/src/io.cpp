// The simulator's primitives (io.hpp). Every completion is a world event, so the
// engine's "never inside the call" holds, and the order of events is a function of
// the seed. Callbacks that may outlive what they name check the endpoint's
// operation sequence first: endpoints live as long as the world, connections do not.
#include "io.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <utility>

#include "berth/engine/connection.hpp"

namespace berth::sim {

namespace {

address address_of(const std::string& text) {
    if (text == "(unnamed)") return address::unix_unnamed();
    return address::parse(text).value_or(address());
}

class sim_stream final : public engine::stream_io {
public:
    sim_stream(world& w, engine::connection& c, socket_handle handle, std::uint32_t endpoint)
        : world_(&w), connection_(&c), handle_(handle), endpoint_(endpoint) {}

    void read(std::span<char> into) override { arm_read(world_, endpoint_, connection_, into); }

    // The kernel takes what fits now; the report is a later event either way.
    void write(std::span<const char> from) override {
        world* w = world_;
        const std::uint32_t id = endpoint_;
        const std::uint64_t sequence = w->net().ep(id).op_sequence;
        engine::connection* c = connection_;
        const io_result r = w->net().write(id, std::string_view(from.data(), from.size()));
        if (r.error != EAGAIN) {
            w->post(0, [w, id, sequence, c, r] {
                if (w->net().ep(id).op_sequence == sequence) c->on_written(r.bytes, r.error);
            });
            return;
        }
        w->net().notify_writable(id, [this, w, id, sequence, from] {
            if (w->net().ep(id).op_sequence == sequence) write(from);  // *this lives until closed
        });
    }

    void shutdown(engine::shutdown_how) override { world_->net().shutdown_write(endpoint_); }

    void close() override {
        endpoint& e = world_->net().ep(endpoint_);
        ++e.op_sequence;  // every pending callback of this stream is void
        e.on_readable = nullptr;
        e.on_writable = nullptr;
        world_->net().close(handle_);
        engine::connection* c = connection_;
        world_->post(0, [c] { c->on_closed(); });
    }

    [[nodiscard]] native_handle_type native_handle() const override { return -1; }

private:
    // A wake-up only comes once the endpoint is readable (bytes, its end, a reset);
    // the peer's reads never take from this end, so the read finds what woke it.
    static void arm_read(world* w, std::uint32_t id, engine::connection* c, std::span<char> into) {
        const std::uint64_t sequence = w->net().ep(id).op_sequence;
        w->net().notify_readable(id, [w, id, sequence, c, into] {
            if (w->net().ep(id).op_sequence != sequence) return;  // closed meanwhile
            const io_result r = w->net().read_into(id, into);
            if (r.error == EAGAIN) {
                arm_read(w, id, c, into);
                return;
            }
            c->on_read(r.bytes, r.bytes > 0 || r.eof ? 0 : r.error);
        });
    }

    world* world_;
    engine::connection* connection_;
    socket_handle handle_;
    std::uint32_t endpoint_;
};

}  // namespace

sim_io::sim_io(world& w, socket_handle listener, std::string bound_address)
    : world_(w), listener_(listener), bound_address_(std::move(bound_address)) {}

// A timer re-armed or disarmed takes its old event out of the world, so that an
// idle world's clock does not run on to deadlines nobody waits for.
void sim_io::arm_timer(core::time_ns deadline_ns) {
    world_.cancel(timer_);
    timer_ = {};
    if (deadline_ns == core::no_deadline_ns) return;
    timer_ = world_.post_at(std::max(deadline_ns, world_.now_ns()), [this] {
        timer_ = {};
        engine().on_timer();
    });
}

void sim_io::wait_readable() {
    const std::uint64_t epoch = ++readable_epoch_;
    world_.net().wait_readable(listener_, [this, epoch] {
        if (epoch == readable_epoch_) engine().on_listener_readable();
    });
}

engine::accept_result sim_io::accept_one() {
    const kernel::accept_result r = world_.net().accept(listener_);
    engine::accept_result out;
    out.error_value = r.error;
    if (r.error == 0) {
        out.socket = r.handle;
        const endpoint& e = world_.net().ep(world_.net().endpoint_of(r.handle));
        out.peer = e.peer == nil ? address() : address_of(world_.net().ep(e.peer).address);
    }
    return out;
}

void sim_io::close_listener() {
    ++readable_epoch_;
    world_.net().close(listener_);
    listener_ = 0;
    world_.post(0, [this] { engine().on_listener_closed(); });
}

bool sim_io::hold_reserve() {
    if (reserve_ == 0) reserve_ = world_.net().open_reserve();
    return reserve_ != 0;
}

void sim_io::release_reserve() {
    if (reserve_ != 0) world_.net().close(std::exchange(reserve_, 0));
}

address sim_io::listening_on_address() const {
    if (listener_ == 0) throw std::logic_error("listening_on_address: the listener is closed");
    return address_of(bound_address_);
}

void sim_io::inject_accept_faults(int error_value, std::uint32_t count) {
    world_.net().inject_accept_errors(std::vector<int>(count, error_value));
}

std::unique_ptr<engine::stream_io> sim_io::adopt(engine::connection& c,
                                                 core::socket_handle socket) {
    const std::uint32_t endpoint = world_.net().endpoint_of(socket);
    if (endpoint == nil) {
        throw std::system_error(EBADF, std::generic_category(), "the accepted socket is gone");
    }
    return std::make_unique<sim_stream>(world_, c, socket, endpoint);
}

void sim_io::check_after_step() {
    if (const char* broken = engine().check_invariant()) {
        world_.fail(std::string("server invariant: ") + broken);
    }
}

}  // namespace berth::sim
