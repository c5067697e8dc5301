// The simulator's primitives for the engine (berth/engine/io.hpp): the simulated
// kernel's listener, accepts and byte streams, the world's clock, event queue and
// error propagation. Private to the sim backend.
#pragma once

#include <cstdint>
#include <string>

#include "berth/engine/io.hpp"
#include "berth/engine/server.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

class sim_io final : public engine::io, public checked {
public:
    sim_io(world& w, socket_handle listener, std::string bound_address);

    [[nodiscard]] socket_handle listener() const { return listener_; }
    [[nodiscard]] std::uint64_t close_calls() const { return close_calls_; }

    core::time_ns now_ns() override { return world_.now_ns(); }
    void post(std::function<void()> fn) override { world_.post(0, std::move(fn)); }
    void arm_timer(core::time_ns deadline_ns) override;
    void raise(std::exception_ptr error) override { world_.raise(std::move(error)); }
    void contract_violation(const std::string& what) override { world_.fail(what); }

    void wait_readable() override;
    engine::accept_result accept_one() override;
    void close_listener() override;
    bool hold_reserve() override;
    void release_reserve() override;
    void close_socket_now(core::socket_handle socket) override { world_.net().close(socket); }
    address listening_on_address() const override;
    void inject_accept_faults(int error_value, std::uint32_t count) override;
    std::unique_ptr<engine::stream_io> adopt(engine::connection& c,
                                             core::socket_handle socket) override;

    void observe(const core::event& ev) override;
    void observe(const core::action& a) override;
    void check_after_step() override;

private:
    void trace_counters();

    world& world_;
    socket_handle listener_;
    socket_handle reserve_ = 0;
    std::string bound_address_;
    world::event_ticket timer_;
    std::uint64_t readable_epoch_ = 0;
    std::uint64_t close_calls_ = 0;
    bool close_called_ = false;  // a handler starting now is a bug (SEMANTICS.md 8)
    std::uint64_t last_counters_ = ~0ULL;
};

}  // namespace berth::sim
