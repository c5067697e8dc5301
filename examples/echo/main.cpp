// berth-echo: a line-protocol echo server, the project's main job. Its behaviour
// is specified in docs/asio.md and checked by tests/echo, which drive this binary
// on every backend of the build. The handler is the portable line protocol of
// berth::engine, the very function every backend serves.
#include "berth/line_protocol.hpp"
#include "example_main.hpp"

int main(int argc, char** argv) {
    return berth::echo::run_example("berth-echo", berth::line_protocol_handler(), argc, argv);
}
