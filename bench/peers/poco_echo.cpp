// poco-echo: the line echo server on Poco::Net::TCPServer, the way Poco means it to
// be used: a TCPServerConnection per client, run to its end on a thread of the
// server's pool with blocking reads and writes. That is Poco's model (a thread per
// live connection), not one event loop: the pool must hold a thread for every
// connection a benchmark keeps open (--max-threads, default 2048), each with a
// 256 KiB stack. Every complete line read is written back; a partial line waits.
#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <set>
#include <vector>

#include "../baselines/server_args.hpp"

namespace {

constexpr std::size_t initial_buffer = 16 * 1024;
constexpr std::size_t max_line = 4 * 1024 * 1024;

// Live connections, so that a signal can end them: shutdown() makes their blocking
// receive return.
std::mutex live_mutex;
std::set<Poco::Net::StreamSocket*> live;
bool stopping = false;

class echo_connection : public Poco::Net::TCPServerConnection {
public:
    using Poco::Net::TCPServerConnection::TCPServerConnection;

    void run() override {
        Poco::Net::StreamSocket& s = socket();
        {
            const std::lock_guard lock(live_mutex);
            if (stopping) return;
            live.insert(&s);
        }
        try {
            s.setNoDelay(true);
            serve(s);
        } catch (const Poco::Exception&) {
            // The peer went away: the connection ends.
        }
        const std::lock_guard lock(live_mutex);
        live.erase(&s);
    }

private:
    static void serve(Poco::Net::StreamSocket& s) {
        std::vector<char> buffer(initial_buffer);
        std::size_t length = 0;
        for (;;) {
            if (length == buffer.size()) {
                if (buffer.size() >= max_line) return;
                buffer.resize(buffer.size() * 2);
            }
            const int n =
                s.receiveBytes(buffer.data() + length, static_cast<int>(buffer.size() - length));
            if (n <= 0) return;
            const std::size_t old = length;
            length += static_cast<std::size_t>(n);
            const void* last = ::memrchr(buffer.data() + old, '\n', length - old);
            if (last == nullptr) continue;
            const auto lines =
                static_cast<std::size_t>(static_cast<const char*>(last) - buffer.data()) + 1;
            std::size_t sent = 0;
            while (sent < lines) {
                const int m = s.sendBytes(buffer.data() + sent, static_cast<int>(lines - sent));
                if (m <= 0) return;
                sent += static_cast<std::size_t>(m);
            }
            length -= lines;
            if (length > 0) std::memmove(buffer.data(), buffer.data() + lines, length);
        }
    }
};

}  // namespace

int main(int argc, char** argv) {
    int max_threads = 2048;
    const berth::bench::server_args args =
        berth::bench::parse_server_args(argc, argv, {{"--max-threads", &max_threads, 1, 20000}});

    // The signals go to this thread's sigwait, not to the pool's threads.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));

    try {
        Poco::Net::ServerSocket listener;
        listener.bind(Poco::Net::SocketAddress(args.host, args.port), true);
        listener.listen(args.backlog);
        Poco::ThreadPool pool(2, max_threads, 60, 256 * 1024);
        auto* params = new Poco::Net::TCPServerParams;  // the server owns it
        params->setMaxThreads(max_threads);
        params->setMaxQueued(args.backlog);
        // A pool thread that starts waiting for work just after stop() has woken the
        // waiters sleeps this long before it sees the stop: keep it short.
        params->setThreadIdleTime(Poco::Timespan(0, 100 * 1000));
        Poco::Net::TCPServer server(new Poco::Net::TCPServerConnectionFactoryImpl<echo_connection>,
                                    pool, listener, params);
        server.start();
        berth::bench::print_listening(args.host, listener.address().port());

        int signal = 0;
        sigwait(&signals, &signal);
        server.stop();
        {
            const std::lock_guard lock(live_mutex);
            stopping = true;
            for (Poco::Net::StreamSocket* s : live) {
                try {
                    s->shutdown();
                } catch (const Poco::Exception&) {
                }
            }
        }
        pool.joinAll();
    } catch (const Poco::Exception& e) {
        std::fprintf(stderr, "poco-echo: cannot listen on %s:%u: %s\n", args.host.c_str(),
                     static_cast<unsigned>(args.port), e.displayText().c_str());
        return 1;
    }
    return 0;
}
