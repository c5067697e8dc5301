#include "echo_report.hpp"

#include <iostream>
#include <sstream>

namespace berth::echo {

namespace {

const char* program_name = "berth-echo";

std::string error_text(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace

std::string statistics_line(const core::statistics& st, std::uint32_t num_connections,
                            bool dropping, bool closed) {
    using core::accept_error_class;
    std::ostringstream os;
    os << "{\"num_connections\":" << num_connections << ",\"accepted\":" << st.accepted
       << ",\"handlers_started\":" << st.handlers_started << ",\"dropped\":" << st.dropped
       << ",\"shed\":" << st.shed << ",\"closed_after_close\":" << st.closed_after_close
       << ",\"handler_ok\":" << st.handler_ok << ",\"handler_errors\":" << st.handler_errors
       << ",\"late_handler_results\":" << st.late_handler_results
       << ",\"accept_errors_per_connection\":"
       << st.accept_errors_of(accept_error_class::per_connection)
       << ",\"accept_errors_out_of_resources\":"
       << st.accept_errors_of(accept_error_class::out_of_resources)
       << ",\"accept_errors_fatal\":" << st.accept_errors_of(accept_error_class::fatal)
       << ",\"back_off_pauses\":" << st.back_off_pauses
       << ",\"times_at_limit\":" << st.times_at_limit
       << ",\"dropping\":" << (dropping ? "true" : "false")
       << ",\"closed\":" << (closed ? "true" : "false") << "}\n";
    return os.str();
}

void print_line_to_stdout(const std::string& line) {
    std::cout << line << std::flush;
}

void set_program_name(const char* name) {
    program_name = name;
}

void print_handler_error(const address& peer, const std::exception_ptr& error) {
    // One write, so that lines from different connections never interleave.
    std::cerr << std::string(program_name) + ": handler error from " + peer.to_string() + ": " +
                     error_text(error) + "\n"
              << std::flush;
}

void print_error(const std::string& message) {
    std::cerr << std::string(program_name) + ": " + message + "\n" << std::flush;
}

}  // namespace berth::echo
