// berth-http: a small HTTP/1.1 keep-alive server answering every request with
// "hello\n" (http_handler.hpp), one portable handler served on Asio or libuv
// (--backend asio|uv), with the example servers' flags, output, signals and exit
// codes (docs/asio.md). Loaded with wrk in bench/run; tested with curl in tests/http.
#include "example_main.hpp"
#include "http_handler.hpp"

int main(int argc, char** argv) {
    return berth::echo::run_example("berth-http", berth::http_example::serve_hello, argc, argv);
}
