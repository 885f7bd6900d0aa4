// The admin socket: its wire format, and a server that must keep serving
// whatever a client sends, sends too much of, or fails to send.
#include "node/admin_socket.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "tests/test_util.h"

namespace allmenning::testing {
namespace {

using namespace std::chrono_literals;

// ---- Wire format -------------------------------------------------------------

AdminRequest sampleRequest() {
  return AdminRequest{{"case", "put", "-"}, "/tmp/somewhere", std::string("{\"id\":\"x\"}")};
}

std::string u32(uint32_t v) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  return out;
}

// A header and body built by hand, for requests encodeRequest never makes.
std::string rawRequest(const std::string& body) { return "ALM1" + u32(body.size()) + body; }

Result<AdminRequest> decodeWhole(const std::string& bytes, const AdminLimits& limits = {}) {
  auto length = decodeRequestHeader(std::string_view(bytes).substr(0, kRequestHeaderBytes), limits);
  if (!length.isOk()) return length.status();
  return decodeRequestBody(std::string_view(bytes).substr(kRequestHeaderBytes), limits);
}

TEST(AdminWire, RequestRoundTrips) {
  auto back = decodeWhole(encodeRequest(sampleRequest()));
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(back->argv, sampleRequest().argv);
  EXPECT_EQ(back->cwd, "/tmp/somewhere");
  EXPECT_EQ(back->stdinData, sampleRequest().stdinData);

  AdminRequest noStdin{{"search"}, "/", std::nullopt};
  auto plain = decodeWhole(encodeRequest(noStdin));
  ASSERT_TRUE(plain.isOk()) << plain.status().message();
  EXPECT_FALSE(plain->stdinData.has_value());
}

TEST(AdminWire, EveryTruncationIsRefused) {
  std::string whole = encodeRequest(sampleRequest());
  std::string body = whole.substr(kRequestHeaderBytes);
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(decodeRequestBody(body.substr(0, n), {}).isOk()) << n;
  }
  EXPECT_FALSE(decodeRequestBody(body + "x", {}).isOk()) << "trailing byte accepted";
}

TEST(AdminWire, LimitsAreCheckedBeforeAllocating) {
  AdminLimits limits;
  EXPECT_FALSE(decodeRequestHeader("ALM1" + u32(0xFFFFFFFF), limits).isOk());
  EXPECT_FALSE(decodeRequestHeader("XXXX" + u32(1), limits).isOk());
  // argc far beyond the limit, in a body of a few bytes.
  EXPECT_FALSE(decodeRequestBody(u32(1'000'000), limits).isOk());
  // One argument claiming 4 GiB.
  EXPECT_FALSE(decodeRequestBody(u32(1) + u32(0xFFFFFFFF), limits).isOk());
  AdminRequest big{{std::string(limits.maxArgBytes + 1, 'a')}, "/", std::nullopt};
  EXPECT_FALSE(decodeWhole(encodeRequest(big)).isOk());
  AdminRequest many{std::vector<std::string>(limits.maxArgs + 1, "a"), "/", std::nullopt};
  EXPECT_FALSE(decodeWhole(encodeRequest(many)).isOk());
}

TEST(AdminWire, BadFieldsAreRefused) {
  EXPECT_FALSE(decodeWhole(encodeRequest({{std::string("a\0b", 3)}, "/", std::nullopt})).isOk());
  EXPECT_FALSE(decodeWhole(encodeRequest({{"search"}, "relative", std::nullopt})).isOk());
  EXPECT_FALSE(decodeWhole(encodeRequest({{"search"}, "", std::nullopt})).isOk());
  std::string badFlag = u32(0) + u32(1) + "/" + std::string(1, '\x07');
  EXPECT_FALSE(decodeWhole(rawRequest(badFlag)).isOk());
}

TEST(AdminWire, FrameHeadersAreChecked) {
  auto out = decodeFrameHeader(encodeFrame(FrameType::kStdout, "hello").substr(0, 5));
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out->length, 5u);
  std::string exit = encodeExitFrame(2);
  EXPECT_EQ(decodeExitCode(exit.substr(kFrameHeaderBytes)), 2);
  EXPECT_FALSE(decodeFrameHeader(std::string(1, '\x09') + u32(1)).isOk());
  EXPECT_FALSE(decodeFrameHeader(std::string(1, '\x01') + u32(kMaxFrameBytes + 1)).isOk());
  EXPECT_FALSE(decodeFrameHeader(std::string(1, '\x03') + u32(5)).isOk());
}

// ---- Server ------------------------------------------------------------------

// A server on its own thread whose handler echoes the request: argv on
// stdout, stdin on stderr, exit code 7. argv[0] "throw" makes it throw;
// argv[0] "hold" keeps the command running until release().
class EchoServer {
 public:
  explicit EchoServer(const std::string& path, std::chrono::milliseconds timeout = 2s,
                      size_t maxClients = 16) {
    AdminServerOptions options;
    options.timeout = timeout;
    options.maxClients = maxClients;
    options.log = [](std::string_view) {};
    auto server = AdminServer::listen(
        path,
        [this](const AdminRequest& r, std::ostream& out, std::ostream& err) {
          if (!r.argv.empty() && r.argv[0] == "hold") {
            std::unique_lock lock(mu_);
            held_ = true;
            changed_.notify_all();
            changed_.wait(lock, [this] { return released_; });
          }
          return echo(r, out, err);
        },
        options);
    EXPECT_TRUE(server.isOk()) << server.status().message();
    if (!server.isOk()) return;
    server_ = std::move(*server);
    thread_ = std::thread([this] { server_->serve(); });
  }
  ~EchoServer() {
    release();
    stop();
  }
  void stop() {
    if (!thread_.joinable()) return;
    server_->stop();
    thread_.join();
  }
  // Waits until a "hold" command runs; false after `limit`.
  bool waitHeld(std::chrono::milliseconds limit = 5s) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, limit, [this] { return held_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    changed_.notify_all();
  }
  void destroy() {
    stop();
    server_.reset();
  }

 private:
  static int echo(const AdminRequest& r, std::ostream& out, std::ostream& err) {
    if (!r.argv.empty() && r.argv[0] == "throw") throw std::runtime_error("handler bug");
    for (const auto& a : r.argv) out << a << "\n";
    if (r.stdinData) err << *r.stdinData;
    return 7;
  }
  std::unique_ptr<AdminServer> server_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool held_ = false;
  bool released_ = false;
};

struct Reply {
  Status status;
  int code = -1;
  std::string out, err;
  std::string order;  // one letter per frame: o stdout, e stderr
};

Reply call(const std::string& path, const AdminRequest& request) {
  Reply r;
  auto client = AdminClient::connect(path);
  if (!client.isOk()) {
    r.status = client.status();
    return r;
  }
  auto code = (*client)->call(request, [&](FrameType t, std::string_view d) {
    (t == FrameType::kStdout ? r.out : r.err).append(d);
    r.order += t == FrameType::kStdout ? 'o' : 'e';
  });
  r.status = code.status();
  if (code.isOk()) r.code = *code;
  return r;
}

// A raw Unix socket client, for bytes the real client never sends.
class RawClient {
 public:
  explicit RawClient(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_STREAM, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& bytes) {
    (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  void closeWrite() { ::shutdown(fd_, SHUT_WR); }
  // Everything the server sends until it closes, or nullopt after `limit`.
  std::optional<std::string> readAll(std::chrono::milliseconds limit = 5s) {
    std::string out;
    auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return std::nullopt;
      }
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

// The exit code at the end of a raw reply, or -1.
int exitCodeOf(const std::string& reply) {
  if (reply.size() < kFrameHeaderBytes + 4) return -1;
  std::string tail = reply.substr(reply.size() - kFrameHeaderBytes - 4);
  if (tail[0] != static_cast<char>(FrameType::kExit)) return -1;
  return decodeExitCode(tail.substr(kFrameHeaderBytes));
}

void expectStillServing(const std::string& path) {
  Reply r = call(path, AdminRequest{{"still", "here"}, "/", std::string("in")});
  ASSERT_TRUE(r.status.isOk()) << r.status.message();
  EXPECT_EQ(r.code, 7);
  EXPECT_EQ(r.out, "still\nhere\n");
  EXPECT_EQ(r.err, "in");
}

TEST(AdminServer, RunsARequestAndRelaysOutputAndExitCode) {
  TempDir dir;
  EchoServer server(dir / "admin.sock");
  expectStillServing(dir / "admin.sock");
  // Output larger than one frame arrives whole.
  std::vector<std::string> args(200, std::string(1000, 'x'));
  Reply r = call(dir / "admin.sock", AdminRequest{args, "/", std::nullopt});
  ASSERT_TRUE(r.status.isOk()) << r.status.message();
  EXPECT_EQ(r.out.size(), 200u * 1001u);
}

// stdout printed before a stderr message arrives before it, as on a terminal
// (`case put` prints the id, then "published as seq N").
TEST(AdminServer, StdoutWrittenFirstArrivesFirst) {
  TempDir dir;
  EchoServer server(dir / "admin.sock");
  Reply r = call(dir / "admin.sock", AdminRequest{{"first"}, "/", std::string("second\n")});
  ASSERT_TRUE(r.status.isOk()) << r.status.message();
  EXPECT_EQ(r.order, "oe");
}

TEST(AdminServer, SocketIsPrivateAndRemovedAfterwards) {
  TempDir dir;
  std::string path = dir / "admin.sock";
  writeFile(path, "stale file from a node that died");
  {
    EchoServer server(path);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    server.destroy();
    EXPECT_FALSE(std::filesystem::exists(path));
  }
  // Only the socket remains of the staging folder, and then nothing.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(AdminServer, NothingAnsweringIsNotFound) {
  TempDir dir;
  EXPECT_EQ(call(dir / "admin.sock", {}).status.code(), Status::Code::kNotFound);
  // A socket file whose server is gone, as after kill -9.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", (dir / "admin.sock").c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  EXPECT_EQ(call(dir / "admin.sock", {}).status.code(), Status::Code::kNotFound);
  // ... which a new server replaces.
  EchoServer server(dir / "admin.sock");
  expectStillServing(dir / "admin.sock");
}

TEST(AdminServer, LongPathsWork) {
  TempDir dir;
  std::string deep = dir / std::string(120, 'd');
  std::filesystem::create_directories(deep);
  std::string path = deep + "/admin.sock";
  ASSERT_GT(path.size(), sizeof(sockaddr_un::sun_path));
  EchoServer server(path);
  expectStillServing(path);
}

TEST(AdminServer, MalformedRequestsGetExit2AndTheServerGoesOn) {
  TempDir dir;
  std::string path = dir / "admin.sock";
  EchoServer server(path);
  const std::vector<std::string> hostile = {
      std::string(200, '\xAB'),                                    // garbage
      "ALM1" + u32(0xFFFFFFF0),                                    // 4 GiB request announced
      rawRequest(u32(1'000'000)),                                  // a million arguments
      rawRequest(u32(1) + u32(0x7FFFFFFF)),                        // a 2 GiB argument
      rawRequest(u32(0) + u32(1) + "/" + "\x05"),                  // bad stdin flag
      rawRequest(u32(0) + u32(3) + "abc" + std::string(1, '\0')),  // relative cwd
  };
  for (const auto& bytes : hostile) {
    RawClient c(path);
    ASSERT_TRUE(c.connected());
    c.send(bytes);
    c.closeWrite();
    auto reply = c.readAll();
    ASSERT_TRUE(reply.has_value()) << "no reply";
    EXPECT_EQ(exitCodeOf(*reply), 2);
    EXPECT_NE(reply->find("admin socket"), std::string::npos);
  }
  expectStillServing(path);
}

TEST(AdminServer, ClientsThatStallOrVanishCostOnlyTheirConnection) {
  TempDir dir;
  std::string path = dir / "admin.sock";
  EchoServer server(path, 300ms);
  {
    RawClient staller(path);
    staller.send("ALM1");  // and nothing more
    auto reply = staller.readAll();
    ASSERT_TRUE(reply.has_value()) << "a stalled client was never dropped";
    EXPECT_EQ(exitCodeOf(*reply), 2);
  }
  {
    RawClient quitter(path);
    quitter.send(encodeRequest(sampleRequest()).substr(0, 12));
  }                           // closed mid-request
  { RawClient probe(path); }  // connected and closed, like `run` checking for a running node
  expectStillServing(path);
}

TEST(AdminServer, AHandlerThatThrowsGivesExit1) {
  TempDir dir;
  EchoServer server(dir / "admin.sock");
  Reply r = call(dir / "admin.sock", AdminRequest{{"throw"}, "/", std::nullopt});
  ASSERT_TRUE(r.status.isOk()) << r.status.message();
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("internal error"), std::string::npos);
  expectStillServing(dir / "admin.sock");
}

TEST(AdminServer, StopIsPromptEvenWithAClientMidRequest) {
  TempDir dir;
  std::string path = dir / "admin.sock";
  EchoServer server(path, 60s);
  RawClient staller(path);
  staller.send("ALM1");
  std::this_thread::sleep_for(50ms);  // let the server start reading it
  auto start = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// A client that connects and sends nothing holds only its own connection:
// the next command runs at once, not after the first one's timeout.
TEST(AdminServer, AClientThatHoldsItsConnectionBlocksNoOther) {
  TempDir dir;
  std::string path = dir / "admin.sock";
  EchoServer server(path, 30s);
  RawClient holder(path);
  ASSERT_TRUE(holder.connected());
  holder.send("ALM1");  // and nothing more, for as long as it likes
  std::this_thread::sleep_for(50ms);
  auto start = std::chrono::steady_clock::now();
  expectStillServing(path);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

// Commands run one at a time; one that waits is told what it waits for,
// then runs once the other has finished.
TEST(AdminServer, AWaitingCommandSaysWhatItWaitsFor) {
  TempDir dir;
  std::string path = dir / "admin.sock";
  EchoServer server(path, 30s);
  auto first = std::async(std::launch::async, [&] {
    return call(path, AdminRequest{{"hold", "import"}, "/", std::nullopt});
  });
  ASSERT_TRUE(server.waitHeld());
  auto second = std::async(std::launch::async, [&] {
    return call(path, AdminRequest{{"after"}, "/", std::nullopt});
  });
  EXPECT_EQ(second.wait_for(300ms), std::future_status::timeout) << "ran beside the other";
  server.release();
  Reply a = first.get(), b = second.get();
  ASSERT_TRUE(a.status.isOk()) << a.status.message();
  ASSERT_TRUE(b.status.isOk()) << b.status.message();
  EXPECT_EQ(a.out, "hold\nimport\n");
  EXPECT_EQ(b.out, "after\n");
  EXPECT_EQ(b.err,
            "allmenning: waiting for the running node to finish another command (hold import)\n");
}

// Beyond maxClients connections, one more is told the node is busy at once.
TEST(AdminServer, OneClientTooManyIsToldTheNodeIsBusy) {
  TempDir dir;
  std::string path = dir / "admin.sock";
  EchoServer server(path, 30s, 2);
  RawClient a(path), b(path);
  a.send("ALM1");
  b.send("ALM1");
  std::this_thread::sleep_for(100ms);
  Reply r = call(path, AdminRequest{{"third"}, "/", std::nullopt});
  ASSERT_TRUE(r.status.isOk()) << r.status.message();
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("serving 2 admin connections already; try again"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace allmenning::testing
