// The part of a harness that only asks the backend's server handle, written once:
// every backend's server offers the same API (berth::basic_server, the same handler
// forms and hooks, close / close_with_drain taking a callback), so creating the
// server with the portable line protocol handler, the hooks that record policy
// calls and notices, the forwarding, the watch on the two completions, closing,
// waiting for what clients receive, and the order of shutting down are all here.
// Each backend's harness adds its event loop (pump), its clients' non-blocking
// primitives, and the one call that creates its server.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "berth/address.hpp"
#include "berth/errors.hpp"
#include "berth/handler.hpp"
#include "berth/line_protocol.hpp"
#include "harness.hpp"

namespace berth::conformance {

template <typename Server>
class server_harness : public harness {
public:
    start_result start_server(const server_config& config) final {
        server_hooks hooks;
        hooks.on_handler_error = [this, raises = config.call_raises](const address& peer,
                                                                     std::exception_ptr error) {
            record_policy_call(peer, error, raises);
        };
        if (config.record_notices) {
            hooks.on_notice = [this](const core::actions::notice& n) { notices_.push_back(n); };
        }
        try {
            if (config.form == handler_form::sock) {
                adopt(create_server(config.listen, config.opts,
                                    closing_first(line_protocol_sock_handler(), config),
                                    std::move(hooks)));
            } else {
                adopt(create_server(config.listen, config.opts,
                                    closing_first(line_protocol_handler(), config),
                                    std::move(hooks)));
            }
        } catch (const listen_error& e) {
            return start_result{e.what()};
        } catch (const std::invalid_argument& e) {  // creation_error, a bad listen text
            return start_result{e.what()};
        }
        return {};
    }

    [[nodiscard]] std::string listening_on() const final {
        return server_->listening_on().to_string();
    }
    [[nodiscard]] std::optional<std::string> bound_address() const final {
        try {
            return server_->listening_on_address().to_string();
        } catch (const std::logic_error&) {
            return std::nullopt;
        }
    }

    std::optional<std::string> receive_line(client_id c, time_ns timeout_ns) final {
        std::optional<std::string> line;
        static_cast<void>(pump(
            [&] {
                line = take_line(c);
                return line.has_value() || stream_ended(c);
            },
            timeout_ns));
        return line;
    }
    std::size_t receive_bytes(client_id c, std::size_t count, time_ns timeout_ns) final {
        std::size_t received = 0;
        static_cast<void>(pump(
            [&] {
                received += discard_received(c);
                return received >= count || stream_ended(c);
            },
            timeout_ns));
        return received;
    }
    bool wait_peer_closed(client_id c, time_ns timeout_ns) final {
        return pump(
            [&] {
                static_cast<void>(discard_received(c));
                return stream_ended(c);
            },
            timeout_ns);
    }

    bool wait_until(const std::function<bool()>& condition, time_ns timeout_ns) final {
        return pump(condition, timeout_ns);
    }
    void advance(time_ns duration_ns) final {
        static_cast<void>(pump([] { return false; }, duration_ns));
    }

    void close(bool close_existing_connections) final {
        server_->close(close_existing_connections, [] {});
        advance(0);
    }
    void close_with_drain(std::chrono::nanoseconds drain) final {
        server_->close_with_drain(drain, [] {});
        advance(0);
    }
    [[nodiscard]] bool close_finished() const final { return close_finished_; }
    [[nodiscard]] bool handlers_finished() const final { return handlers_finished_; }
    [[nodiscard]] bool is_closed() const final { return server_->is_closed(); }
    [[nodiscard]] std::uint32_t num_connections() const final { return server_->num_connections(); }
    void set_drop_incoming_connections(bool drop) final {
        server_->set_drop_incoming_connections(drop);
    }
    [[nodiscard]] bool is_dropping_incoming_connections() const final {
        return server_->is_dropping_incoming_connections();
    }
    [[nodiscard]] bool invariant() const final { return server_->invariant(); }
    [[nodiscard]] core::statistics stats() const final { return server_->stats(); }
    [[nodiscard]] core::options server_options() const final { return server_->options(); }
    [[nodiscard]] std::string description_json() const final {
        std::ostringstream os;
        server_->write_json(os);
        return os.str();
    }
    [[nodiscard]] std::vector<std::string> policy_calls() const final { return calls_; }
    [[nodiscard]] std::vector<std::string> raised_errors() const final { return raised_; }
    [[nodiscard]] std::vector<core::notice_kind> notices() const final {
        std::vector<core::notice_kind> kinds;
        for (const core::actions::notice& n : notices_)
            kinds.push_back(n.kind);
        return kinds;
    }
    [[nodiscard]] std::vector<core::actions::notice> notice_records() const final {
        return notices_;
    }
    void inject_accept_errors(const std::vector<int>& errors) final {
        for (const int e : errors)
            server_->inject_accept_faults(e, 1);
    }

    // Clients first, then the server (closing its connections) until both its
    // completions fired, then whatever the backend's loop still holds.
    void shut_down() final {
        close_all_clients();
        if (server_) {
            try {
                server_->close(true, [] {});
            } catch (const std::exception& e) {
                raised_.emplace_back(e.what());
            }
            static_cast<void>(
                pump([this] { return close_finished_ && handlers_finished_; }, patience_ns));
            server_.reset();
        }
        release_backend();
    }

protected:
    /// Creates the server on the backend's loop (one overload per handler form);
    /// throws what the backend's create throws.
    virtual Server create_server(const std::string& listen, const core::options& opts,
                                 reader_writer_handler handler, server_hooks hooks) = 0;
    virtual Server create_server(const std::string& listen, const core::options& opts,
                                 stream_handler handler, server_hooks hooks) = 0;
    /// Runs the backend (and serves the clients) until `condition` holds or
    /// `timeout_ns` has passed; records errors raised out of its run in `raised_`.
    virtual bool pump(const std::function<bool()>& condition, time_ns timeout_ns) = 0;
    // The clients' side, none of which waits: the next whole line client `c` has
    // received (a last line cut short by the end is dropped), the bytes it has
    // received (discarded), whether its stream ended (the server's end or reset,
    // a refused connect, or closed by the scenario).
    virtual std::optional<std::string> take_line(client_id c) = 0;
    virtual std::size_t discard_received(client_id c) = 0;
    [[nodiscard]] virtual bool stream_ended(client_id c) const = 0;
    virtual void close_all_clients() = 0;
    /// After the server is gone: runs the loop until it holds nothing of it, and
    /// releases the occupied address and the scratch directory.
    virtual void release_backend() = 0;

    /// The address clients connect to, taken at creation.
    [[nodiscard]] const address& server_address() const { return address_; }
    void record_raised(const std::exception& e) { raised_.emplace_back(e.what()); }

private:
    // Takes the server just created and watches its two completions.
    void adopt(Server server) {
        server_.emplace(std::move(server));
        server_->close_finished([this] { close_finished_ = true; });
        server_->handlers_finished([this] { handlers_finished_ = true; });
        address_ = server_->listening_on_address();
    }

    // `handler`, or with server_config::first_handler_closes, `handler` after the
    // first start closes the server.
    template <typename Handler>
    Handler closing_first(Handler handler, const server_config& config) {
        if (!config.first_handler_closes) return handler;
        return [this, handler = std::move(handler)](const address& peer, auto&... io) {
            if (!handler_closed_) {
                handler_closed_ = true;
                server_->close(false, [] {});
            }
            return handler(peer, io...);
        };
    }

    // The `call` policy's function: records "PEER: MESSAGE", then throws when the
    // scenario asked for a raising `call`.
    void record_policy_call(const address& peer, const std::exception_ptr& error, bool raises) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            calls_.push_back(peer.to_string() + ": " + e.what());
        }
        if (raises) throw std::runtime_error("call raised after " + calls_.back());
    }

    std::optional<Server> server_;
    address address_;
    std::vector<std::string> calls_;   // "PEER: MESSAGE" of every `call`
    std::vector<std::string> raised_;  // errors that left the backend's run
    std::vector<core::actions::notice> notices_;
    bool handler_closed_ = false;
    bool close_finished_ = false;
    bool handlers_finished_ = false;
};

}  // namespace berth::conformance
