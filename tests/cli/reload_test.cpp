// SIGHUP reloads the config of a running node (docs/operations.md,
// "Reloading the config"): a peer added to [peers] is dialed, a limit
// changes, the log level changes, open sessions stay, and a config that does
// not load is refused with the old one kept.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "node/admin_socket.h"
#include "tests/cli/running_node.h"
#include "tests/test_util.h"

namespace allmenning::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 20s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);  // polling interval, not an assertion
  }
  return done();
}

// A TCP socket to the node's P2P port that sends nothing: it holds a
// handshake slot until the handshake timeout.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~RawSocket() { ::close(fd_); }
  bool connected() const { return connected_; }
  // True when the node closes the socket within `timeout` (an event: EOF).
  bool closedByPeer(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    char c;
    return ::recv(fd_, &c, 1, 0) <= 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class ReloadTest : public ::testing::Test {
 protected:
  std::string init(const std::string& home, const std::string& name) {
    auto r = runCli({"--home", home, "init", "--name", name, "--listen", "127.0.0.1:0"});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    auto id = runCli({"--home", home, "id"});
    return id.out.substr(0, 64);
  }
  Json status(const std::string& home) {
    auto r = runCli({"--home", home, "--json", "status"});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    return r.exitCode == 0 ? Json::parse(r.out) : Json::object();
  }
  // The open connection of `home` with `key`, or null.
  Json connection(const std::string& home, const std::string& key) {
    Json s = status(home);  // the loop below must not outlive it
    for (const auto& c : s["connections"]) {
      if (c["key"] == key) return c;
    }
    return nullptr;
  }
  static size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  TempDir dir_;
  std::string homeA_ = dir_ / "a", homeB_ = dir_ / "b", homeC_ = dir_ / "c";
};

TEST_F(ReloadTest, SighupAppliesPeersLimitsAndLevelAndRefusesABrokenConfig) {
  std::string idA = init(homeA_, "Lom kommune");
  std::string idB = init(homeB_, "Skjak kommune");
  std::string idC = init(homeC_, "Vaga kommune");
  std::string config = readFile(homeA_ + "/allmenning.toml");
  RunningNode a(homeA_, dir_ / "a.log");
  ASSERT_TRUE(a.waitReady()) << a.log();
  RunningNode b(homeB_, dir_ / "b.log");
  ASSERT_TRUE(b.waitReady()) << b.log();
  RunningNode c(homeC_, dir_ / "c.log");
  ASSERT_TRUE(c.waitReady()) << c.log();
  // B dials A: the healthy session that must outlive the reload.
  auto added =
      runCli({"--home", homeB_, "peer", "add", "127.0.0.1:" + std::to_string(a.port()), idA});
  ASSERT_EQ(added.exitCode, 0) << describe(added);
  ASSERT_TRUE(waitUntil([&] { return !connection(homeA_, idB).is_null(); })) << a.log();
  Json before = connection(homeA_, idB);

  writeFile(homeA_ + "/allmenning.toml",
            config + "log_level = \"debug\"\n\n[limits]\nmax_handshakes_per_address = 1\n\n" +
                "[peers]\n" + idC + " = \"127.0.0.1:" + std::to_string(c.port()) + "\"\n");
  a.signal(SIGHUP);
  ASSERT_TRUE(waitUntil([&] { return a.log().find("config event=reloaded") != std::string::npos; }))
      << a.log();
  std::string log = a.log();
  EXPECT_NE(log.find("config event=changed key=node.log_level old=\"info\" new=\"debug\""),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("config event=changed key=limits.max_handshakes_per_address old=\"4\" "
                     "new=\"1\""),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("config event=changed key=peers." + idC + " old=\"\" new=\"127.0.0.1:"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("changes=3"), std::string::npos) << log;

  // The peer added to the config is dialed.
  ASSERT_TRUE(waitUntil([&] { return connection(homeA_, idC)["direction"] == "out"; })) << a.log();
  // The limit: a second silent socket from one address is closed at once.
  RawSocket first(a.port()), second(a.port());
  ASSERT_TRUE(first.connected() && second.connected());
  EXPECT_TRUE(second.closedByPeer(10s));
  EXPECT_TRUE(waitUntil([&] {
    return a.log().find("reason=\"too many handshakes from address\"") != std::string::npos;
  })) << a.log();
  // The level: a search's words are logged now.
  ASSERT_EQ(runCli({"--home", homeA_, "search", "elvekraft"}).exitCode, 0);
  EXPECT_TRUE(waitUntil([&] {
    return a.log().find("search elvekraft\" exit=0") != std::string::npos;
  })) << a.log();
  // The session with B is the same connection: same remote port, same start.
  Json after = connection(homeA_, idB);
  EXPECT_EQ(after["address"], before["address"]) << after.dump();
  EXPECT_EQ(after["since"], before["since"]) << after.dump();
  EXPECT_EQ(count(b.log(), "p2p event=open"), 1u) << b.log();

  // A config that does not parse is refused, named with its path; the old
  // one holds (debug level, the peer from [peers]) and the node serves.
  writeFile(homeA_ + "/allmenning.toml", config + "[limits\n");
  a.signal(SIGHUP);
  ASSERT_TRUE(waitUntil([&] {
    return a.log().find("config event=reload_refused path=" + homeA_ + "/allmenning.toml error=") !=
           std::string::npos;
  })) << a.log();
  ASSERT_EQ(runCli({"--home", homeA_, "search", "vannkraft"}).exitCode, 0);
  EXPECT_TRUE(waitUntil([&] {
    return a.log().find("search vannkraft\" exit=0") != std::string::npos;
  })) << a.log();
  EXPECT_FALSE(connection(homeA_, idC).is_null()) << a.log();
  EXPECT_EQ(connection(homeA_, idB)["address"], before["address"]);
  // One that parses but fails its checks is refused the same way.
  writeFile(homeA_ + "/allmenning.toml", config + "\n[limits]\nmax_peers = 0\n");
  a.signal(SIGHUP);
  ASSERT_TRUE(waitUntil([&] {
    return a.log().find("limits.max_peers: 0 is outside 1..10000") != std::string::npos;
  })) << a.log();
  EXPECT_EQ(count(a.log(), "config event=reload_refused"), 2u) << a.log();
  EXPECT_EQ(count(a.log(), "config event=reloaded"), 1u) << a.log();

  EXPECT_EQ(a.stop(SIGTERM), 0) << a.log();
  EXPECT_FALSE(std::filesystem::exists(homeA_ + "/admin.sock"));
  EXPECT_EQ(count(b.log(), "p2p event=open"), 1u) << b.log();
  EXPECT_EQ(b.stop(SIGTERM), 0);
  EXPECT_EQ(c.stop(SIGTERM), 0);
}

// A peer removed from [peers] is forgotten: its connection closes and it is
// no longer dialed; `peer remove` of such a peer says where it is named.
TEST_F(ReloadTest, APeerRemovedFromTheConfigIsForgotten) {
  init(homeA_, "Lom kommune");
  std::string idC = init(homeC_, "Vaga kommune");
  std::string config = readFile(homeA_ + "/allmenning.toml");
  RunningNode c(homeC_, dir_ / "c.log");
  ASSERT_TRUE(c.waitReady()) << c.log();
  writeFile(homeA_ + "/allmenning.toml",
            config + "\n[peers]\n" + idC + " = \"127.0.0.1:" + std::to_string(c.port()) + "\"\n");
  RunningNode a(homeA_, dir_ / "a.log");
  ASSERT_TRUE(a.waitReady()) << a.log();
  ASSERT_TRUE(waitUntil([&] { return !connection(homeA_, idC).is_null(); })) << a.log();
  auto removed = runCli({"--home", homeA_, "peer", "remove", idC});
  EXPECT_EQ(removed.exitCode, 1) << describe(removed);
  EXPECT_NE(removed.err.find("is in the [peers] section of " + homeA_ + "/allmenning.toml"),
            std::string::npos)
      << removed.err;

  writeFile(homeA_ + "/allmenning.toml", config);
  a.signal(SIGHUP);
  ASSERT_TRUE(waitUntil([&] { return connection(homeA_, idC).is_null(); })) << a.log();
  EXPECT_NE(a.log().find("reason=\"peer forgotten\""), std::string::npos) << a.log();
  EXPECT_TRUE(status(homeA_)["peers"].empty()) << status(homeA_).dump();
  EXPECT_EQ(a.stop(SIGTERM), 0) << a.log();
}

}  // namespace
}  // namespace allmenning::testing
