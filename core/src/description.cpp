// The server's description (SEMANTICS.md section 9, the analogue of Async's
// sexp_of_t): stable field order, one form for people and one for machines.
#include <ostream>

#include "berth/core/server.hpp"

namespace berth::core {

using detail::handler_state;
using detail::socket_state;

namespace {

const char* connection_state(const detail::slot& s) {
    switch (s.handler) {
        case handler_state::start_pending: return "starting";
        case handler_state::never_started: return "closing_without_handler";
        case handler_state::running:
            return s.socket_status == socket_state::open ? "running" : "running_socket_closed";
        case handler_state::returned:
            return s.socket_status == socket_state::open ? "flushing" : "finishing";
    }
    return "unknown";
}

template <typename Emit>
void each_statistic(const statistics& st, Emit&& emit) {
    emit("accepted", st.accepted);
    emit("handlers_started", st.handlers_started);
    emit("dropped", st.dropped);
    emit("shed", st.shed);
    emit("closed_after_close", st.closed_after_close);
    emit("handler_ok", st.handler_ok);
    emit("handler_errors", st.handler_errors);
    emit("late_handler_results", st.late_handler_results);
    emit("late_writes", st.late_writes);
    emit("extra_completions", st.extra_completions);
    emit("writer_failures", st.writer_failures);
    emit("accept_errors_nothing_there", st.accept_errors_of(accept_error_class::nothing_there));
    emit("accept_errors_per_connection", st.accept_errors_of(accept_error_class::per_connection));
    emit("accept_errors_out_of_resources",
         st.accept_errors_of(accept_error_class::out_of_resources));
    emit("accept_errors_fatal", st.accept_errors_of(accept_error_class::fatal));
    emit("back_off_pauses", st.back_off_pauses);
    emit("times_at_limit", st.times_at_limit);
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const server& s) {
    const options& o = s.opts_;
    os << "server {\n"
       << "  max_connections: " << o.max_connections << '\n'
       << "  max_accepts_per_batch: " << o.max_accepts_per_batch << '\n'
       << "  backlog: " << o.backlog << '\n'
       << "  on_handler_error: " << to_string(o.on_handler_error) << '\n'
       << "  on_accept_exhaustion: " << to_string(o.on_accept_exhaustion) << '\n'
       << "  form: " << to_string(s.form_) << '\n'
       << "  drop_incoming_connections: " << (s.drop_mode_ ? "true" : "false") << '\n'
       << "  closed: " << (s.closed_ ? "true" : "false") << '\n'
       << "  listener: " << to_string(s.listener_) << '\n'
       << "  accept_step: " << to_string(s.phase_) << '\n'
       << "  num_connections: " << s.num_connections_ << '\n'
       << "  connections:";
    if (s.num_connections_ == 0) os << " none";
    os << '\n';
    for (std::uint32_t i = 0; i < s.slots_.size(); ++i) {
        const detail::slot& slot = s.slots_[i];
        if (!slot.in_use) continue;
        os << "    " << i << '.' << slot.generation << ' ' << connection_state(slot) << '\n';
    }
    os << "  statistics:\n";
    each_statistic(s.stats_, [&os](const char* name, std::uint64_t value) {
        os << "    " << name << ": " << value << '\n';
    });
    return os << '}';
}

void server::write_json(std::ostream& os) const {
    const auto boolean = [](bool b) { return b ? "true" : "false"; };
    os << "{\"max_connections\":" << opts_.max_connections
       << ",\"max_accepts_per_batch\":" << opts_.max_accepts_per_batch
       << ",\"backlog\":" << opts_.backlog << ",\"on_handler_error\":\""
       << to_string(opts_.on_handler_error) << "\",\"on_accept_exhaustion\":\""
       << to_string(opts_.on_accept_exhaustion) << "\",\"form\":\"" << to_string(form_)
       << "\",\"drop_incoming_connections\":" << boolean(drop_mode_)
       << ",\"closed\":" << boolean(closed_) << ",\"listener\":\"" << to_string(listener_)
       << "\",\"accept_step\":\"" << to_string(phase_)
       << "\",\"num_connections\":" << num_connections_ << ",\"connections\":[";
    bool first = true;
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
        const detail::slot& slot = slots_[i];
        if (!slot.in_use) continue;
        os << (first ? "" : ",") << "{\"index\":" << i << ",\"generation\":" << slot.generation
           << ",\"state\":\"" << connection_state(slot) << "\"}";
        first = false;
    }
    os << "],\"statistics\":{";
    first = true;
    each_statistic(stats_, [&os, &first](const char* name, std::uint64_t value) {
        os << (first ? "" : ",") << '"' << name << "\":" << value;
        first = false;
    });
    os << "}}";
}

}  // namespace berth::core
