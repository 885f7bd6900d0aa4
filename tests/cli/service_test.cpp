// `allmenning run` under a service manager, played by the test: a datagram
// socket as $NOTIFY_SOCKET (READY=1 once both listeners are bound, WATCHDOG=1
// at half of $WATCHDOG_USEC, STOPPING=1 on SIGTERM), the journal's stream as
// $JOURNAL_STREAM (priority prefixes), and the log level.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <regex>
#include <thread>

#include "node/admin_socket.h"
#include "tests/cli/running_node.h"
#include "tests/test_util.h"

namespace allmenning::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The service manager's end of $NOTIFY_SOCKET.
class NotifyReceiver {
 public:
  explicit NotifyReceiver(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~NotifyReceiver() { ::close(fd_); }
  bool bound() const { return bound_; }
  // The next datagram, or "" when none comes within `timeout`.
  std::string next(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }
  // Datagrams until one contains `what` (returned), or "" after `timeout`.
  // Every datagram read on the way is appended to `seen`.
  std::string until(const std::string& what, std::chrono::milliseconds timeout,
                    std::vector<std::string>* seen = nullptr) {
    auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
      std::string d = next(std::max(left, 1ms));
      if (seen && !d.empty()) seen->push_back(d);
      if (d.find(what) != std::string::npos) return d;
    }
    return "";
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

bool tcpConnects(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = runCli({"--home", home_, "init", "--name", "Lom kommune", "--listen", "127.0.0.1:0"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
  }
  TempDir dir_;
  std::string home_ = dir_ / "home";
  std::string log_ = dir_ / "run.log";
};

TEST_F(ServiceTest, ReadyAfterTheListenersAreBoundThenWatchdogThenStopping) {
  NotifyReceiver manager(dir_ / "notify");
  ASSERT_TRUE(manager.bound());
  // 400 ms: pings every 200 ms.
  RunningNode node(home_, log_, {"NOTIFY_SOCKET=" + dir_ / "notify", "WATCHDOG_USEC=400000"});
  std::vector<std::string> before;
  std::string ready = manager.until("READY=1", 30s, &before);
  ASSERT_FALSE(ready.empty()) << node.log();
  // The moment READY arrives, both listeners answer.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(ready, m, std::regex(R"(STATUS=listening on 127\.0\.0\.1:(\d+))")))
      << ready;
  EXPECT_TRUE(tcpConnects(static_cast<uint16_t>(std::stoi(m[1]))));
  EXPECT_TRUE(AdminClient::connect(adminSocketPath(home_)).isOk());
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(before.front(),
            "STATUS=opening the database in " + home_ + "\nEXTEND_TIMEOUT_USEC=90000000");
  for (const auto& d : before) EXPECT_EQ(d.find("WATCHDOG=1"), std::string::npos) << d;

  // Four pings: three intervals of at least 200 ms each (a timer never
  // fires early), and not far more on a loaded machine.
  ASSERT_EQ(manager.until("WATCHDOG=1", 10s), "WATCHDOG=1");
  auto first = Clock::now();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(manager.until("WATCHDOG=1", 10s), "WATCHDOG=1");
  auto span = Clock::now() - first;
  EXPECT_GE(span, 3 * 200ms - 30ms);
  EXPECT_LE(span, 3 * 200ms + 1500ms);

  node.signal(SIGTERM);
  EXPECT_EQ(manager.until("STOPPING=1", 20s), "STOPPING=1\nSTATUS=stopping on SIGTERM");
  EXPECT_EQ(node.stop(SIGTERM), 0) << node.log();
}

TEST_F(ServiceTest, UnderTheJournalEachLineStartsWithItsPriorityAndHasNoTime) {
  // The child's stderr is this file (opened with O_TRUNC, so the inode
  // stays): JOURNAL_STREAM names it, as systemd names the journal's socket.
  writeFile(log_, "");
  struct stat st {};
  ASSERT_EQ(::stat(log_.c_str(), &st), 0);
  std::string stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  {
    RunningNode node(home_, log_, {"JOURNAL_STREAM=" + stream});
    ASSERT_TRUE(node.waitReady()) << node.log();
    auto r = runCli({"--home", home_, "id"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_EQ(node.stop(SIGTERM), 0) << node.log();
    std::regex line(R"(<[3467]>[a-z]\S* .*)");
    auto lines = linesOf(node.log());
    ASSERT_GE(lines.size(), 4u);
    for (const auto& l : lines) EXPECT_TRUE(std::regex_match(l, line)) << l;
    EXPECT_NE(node.log().find("<6>admin command=\"id\" exit=0"), std::string::npos) << node.log();
  }
  // A stream that is not stderr's (stderr redirected since): plain lines.
  std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  RunningNode node(home_, log_, {"JOURNAL_STREAM=" + other});
  ASSERT_TRUE(node.waitReady()) << node.log();
  EXPECT_EQ(node.stop(SIGTERM), 0);
  std::regex plain(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARN|ERROR) \S.*)");
  for (const auto& l : linesOf(node.log())) EXPECT_TRUE(std::regex_match(l, plain)) << l;
}

// The words someone searched for are theirs: at info the log names only the
// command; at debug (the config key, or --log-level) it has the arguments.
TEST_F(ServiceTest, SearchWordsAreLoggedOnlyAtDebugLevel) {
  const std::string words = "snoskred-fiberkabel";
  auto searchAndStop = [&](RunningNode& node) {
    EXPECT_TRUE(node.waitReady()) << node.log();
    auto r = runCli({"--home", home_, "search", words});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_EQ(node.stop(SIGTERM), 0) << node.log();
    return node.log();
  };
  {
    RunningNode node(home_, log_);
    std::string log = searchAndStop(node);
    EXPECT_NE(log.find("INFO admin command=\"search\" exit=0"), std::string::npos) << log;
    EXPECT_EQ(log.find(words), std::string::npos) << log;
    EXPECT_NE(log.find("log_level=info"), std::string::npos) << log;
  }
  std::string config = readFile(home_ + "/allmenning.toml");
  writeFile(home_ + "/allmenning.toml", config + "log_level = \"debug\"\n");
  {
    RunningNode node(home_, log_);
    std::string log = searchAndStop(node);
    EXPECT_NE(log.find("INFO admin command=\"search\" args=\"--home " + home_ + " search " + words +
                       "\" exit=0"),
              std::string::npos)
        << log;
  }
  {
    RunningNode node(home_, log_, {}, {"--log-level", "info"});  // the option wins
    std::string log = searchAndStop(node);
    EXPECT_NE(log.find("INFO admin command=\"search\" exit=0"), std::string::npos) << log;
    EXPECT_EQ(log.find(words), std::string::npos) << log;
  }
  {
    RunningNode node(home_, log_, {}, {"--log-level", "warn"});
    // No info line, so no "listening on": ready is when the socket answers.
    bool up = false;
    for (int i = 0; i < 300 && !(up = AdminClient::connect(adminSocketPath(home_)).isOk()); ++i) {
      std::this_thread::sleep_for(50ms);  // polling interval
    }
    ASSERT_TRUE(up) << node.log();
    EXPECT_EQ(node.stop(SIGTERM), 0);
    EXPECT_EQ(node.log().find("INFO"), std::string::npos) << node.log();
  }
}

TEST_F(ServiceTest, AnUnknownLogLevelIsBadInput) {
  auto r = runCli({"--home", home_, "run", "--log-level", "loud"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("log level \"loud\" is not one of debug, info, warn, error"),
            std::string::npos)
      << r.err;
  std::string config = readFile(home_ + "/allmenning.toml");
  writeFile(home_ + "/allmenning.toml", config + "log_level = \"loud\"\n");
  r = runCli({"--home", home_, "run"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("node.log_level: log level \"loud\""), std::string::npos) << r.err;
}

}  // namespace
}  // namespace allmenning::testing
