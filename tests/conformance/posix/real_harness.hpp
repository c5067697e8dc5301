// The harness of both real backends (Asio, libuv), written once over
// server_harness: real loopback clients (real_sockets.hpp), real time, the process's
// descriptor table, a real occupied port and scratch directory. A backend adds
// only its loop: how to run it for a moment, and how to let it finish at the end.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/resource.h>

#include <doctest/doctest.h>

#include "berth/posix/socket_address.hpp"
#include "harness.hpp"
#include "posix/real_sockets.hpp"
#include "server_harness.hpp"

namespace berth::conformance {

template <typename Server>
class real_harness : public server_harness<Server> {
public:
    [[nodiscard]] backend_facts facts() const final { return {}; }

    [[nodiscard]] std::string occupied_address() final { return occupied_.take(); }
    [[nodiscard]] std::string scratch_directory() final { return scratch_.path(); }

    client_id connect() final {
        return clients_.connect(posix::socket_address(this->server_address()));
    }
    void send(client_id c, std::string_view data) final { clients_.send(c, data); }
    void close_client(client_id c) final { clients_.close(c); }

    [[nodiscard]] time_ns now_ns() const final { return posix_support::steady_now_ns(); }
    [[nodiscard]] std::size_t open_descriptors() const final {
        return posix_support::process_descriptors();
    }
    [[nodiscard]] std::uint64_t descriptor_limit() const final {
        rlimit limit{};
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
        return limit.rlim_cur;
    }

protected:
    /// Runs the backend's loop for about a millisecond at most; records what its
    /// run raises (record_raised).
    virtual void run_briefly() = 0;
    /// Runs the loop until the closed server's last handles are released.
    virtual void settle() = 0;

    bool pump(const std::function<bool()>& condition, time_ns timeout_ns) final {
        const time_ns until_ns = now_ns() + timeout_ns;
        // Bounded by the clock; the count guards against a clock that stands still.
        for (int i = 0; i < 10'000'000; ++i) {
            clients_.serve();
            if (condition()) return true;
            if (now_ns() >= until_ns) return false;
            run_briefly();
        }
        return condition();
    }

    std::optional<std::string> take_line(client_id c) final { return clients_.take_line(c); }
    std::size_t discard_received(client_id c) final { return clients_.discard(c); }
    [[nodiscard]] bool stream_ended(client_id c) const final { return clients_.ended(c); }
    void close_all_clients() final { clients_.close_all(); }
    void release_backend() final {
        settle();
        occupied_.release();
        scratch_.release();
    }

private:
    posix_support::clients clients_;
    posix_support::occupied_port occupied_;
    posix_support::scratch_directory scratch_;
};

}  // namespace berth::conformance
