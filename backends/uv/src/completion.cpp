#include "berth/uv/completion.hpp"

#include <stdexcept>

#include "server_impl.hpp"

namespace berth::uv {

void completion::finish() const {
    owner_->handler_done(*connection_, nullptr);
}

void completion::fail(std::exception_ptr error) const {
    if (error == nullptr) {
        error = std::make_exception_ptr(std::runtime_error("handler failed without an error"));
    }
    owner_->handler_done(*connection_, std::move(error));
}

void completion::fail(const std::string& message) const {
    fail(std::make_exception_ptr(std::runtime_error(message)));
}

bool completion::is_done() const {
    return connection_->handler_returned;
}

}  // namespace berth::uv
