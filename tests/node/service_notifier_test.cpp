// The $NOTIFY_SOCKET protocol: what the notifier sends, which environment
// turns the watchdog on, and real datagrams to a path and to an abstract name.
#include "node/service_notifier.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <map>
#include <random>

#include "tests/test_util.h"

namespace allmenning {
namespace {

using namespace std::chrono_literals;

// Records what would have been sent; fails when told to.
struct FakeSocket : NotifySocket {
  std::vector<std::string>* sent;
  bool fail = false;
  explicit FakeSocket(std::vector<std::string>* s) : sent(s) {}
  Status send(std::string_view datagram) override {
    if (fail) return Status::ioError("Connection refused");
    sent->emplace_back(datagram);
    return Status::ok();
  }
};

ServiceNotifier::GetEnv envOf(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

// A datagram socket bound to `address`, as systemd's would be.
class Receiver {
 public:
  explicit Receiver(const std::string& address) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, address.data(), address.size());
    if (address[0] == '@') sa.sun_path[0] = '\0';
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() +
                                      (address[0] == '@' ? 0 : 1));
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) == 0;
  }
  ~Receiver() { ::close(fd_); }
  bool bound() const { return bound_; }
  // The next datagram, or "" after `timeout`.
  std::string next(std::chrono::milliseconds timeout = 5s) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

TEST(ServiceNotifierTest, EachMessageIsOneDatagramOfAssignments) {
  std::vector<std::string> sent;
  ServiceNotifier n(std::make_unique<FakeSocket>(&sent), 0us, {});
  ASSERT_TRUE(n.enabled());
  n.starting("search index: building from 10 entries");
  n.ready("listening on 127.0.0.1:7400; 0 peers");
  n.status("listening on 127.0.0.1:7400; 1 peer; in step");
  n.watchdog();
  n.stopping("stopping on SIGTERM");
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent[0], "STATUS=search index: building from 10 entries\nEXTEND_TIMEOUT_USEC=90000000");
  EXPECT_EQ(sent[1], "READY=1\nSTATUS=listening on 127.0.0.1:7400; 0 peers");
  EXPECT_EQ(sent[2], "STATUS=listening on 127.0.0.1:7400; 1 peer; in step");
  EXPECT_EQ(sent[3], "WATCHDOG=1");
  EXPECT_EQ(sent[4], "STOPPING=1\nSTATUS=stopping on SIGTERM");
}

TEST(ServiceNotifierTest, WithoutNotifySocketNothingIsSent) {
  ServiceNotifier n =
      ServiceNotifier::fromEnvironment(envOf({{"WATCHDOG_USEC", "1000000"}}), 42, {});
  EXPECT_FALSE(n.enabled());
  EXPECT_EQ(n.watchdogInterval(), 0ms);
  n.ready("x");  // no socket: a no-op, not a crash
}

TEST(ServiceNotifierTest, TheWatchdogIsPingedAtHalfItsTimeoutForThisProcessOnly) {
  auto interval = [](std::map<std::string, std::string> env) {
    std::vector<std::string> logged;
    env["NOTIFY_SOCKET"] = "@allmenning-test-unused";
    auto n = ServiceNotifier::fromEnvironment(
        envOf(env), 42, [&](LogLevel, std::string_view m) { logged.emplace_back(m); });
    EXPECT_TRUE(n.enabled());
    return std::make_pair(n.watchdogInterval(), logged);
  };
  EXPECT_EQ(interval({{"WATCHDOG_USEC", "30000000"}}).first, 15s);
  EXPECT_EQ(interval({{"WATCHDOG_USEC", "30000000"}, {"WATCHDOG_PID", "42"}}).first, 15s);
  EXPECT_EQ(interval({{"WATCHDOG_USEC", "30000000"}, {"WATCHDOG_PID", "43"}}).first, 0ms)
      << "the watchdog is another process's";
  EXPECT_EQ(interval({}).first, 0ms);
  EXPECT_EQ(interval({{"WATCHDOG_USEC", "1"}}).first, 1ms) << "never a spinning timer";
  auto junk = interval({{"WATCHDOG_USEC", "30s"}});
  EXPECT_EQ(junk.first, 0ms);
  ASSERT_EQ(junk.second.size(), 1u);
  EXPECT_NE(junk.second[0].find("WATCHDOG_USEC is not a positive number"), std::string::npos);
  auto badPid = interval({{"WATCHDOG_USEC", "30000000"}, {"WATCHDOG_PID", "x"}});
  EXPECT_EQ(badPid.first, 0ms);
  ASSERT_EQ(badPid.second.size(), 1u);
  EXPECT_NE(badPid.second[0].find("WATCHDOG_PID is not a process id"), std::string::npos);
}

TEST(ServiceNotifierTest, AFailedSendIsLoggedOnceAndNeverStopsTheCaller) {
  std::vector<std::string> sent, logged;
  auto socket = std::make_unique<FakeSocket>(&sent);
  socket->fail = true;
  ServiceNotifier n(std::move(socket), 2s, [&](LogLevel level, std::string_view m) {
    EXPECT_EQ(level, LogLevel::kWarn);
    logged.emplace_back(m);
  });
  EXPECT_EQ(n.watchdogInterval(), 1s);
  for (int i = 0; i < 3; ++i) n.watchdog();
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0],
            "systemd event=notify_failed error=\"Connection refused\" (further failures are not "
            "logged)");
}

TEST(ServiceNotifierTest, UnusableAddressesAreRefusedWithTheReason) {
  auto empty = openNotifySocket("");
  ASSERT_FALSE(empty.isOk());
  EXPECT_NE(empty.status().message().find("neither a path nor an abstract"), std::string::npos);
  auto vsock = openNotifySocket("vsock:2:1234");
  ASSERT_FALSE(vsock.isOk());
  EXPECT_NE(vsock.status().message().find("\"vsock:2:1234\""), std::string::npos);
  auto longPath = openNotifySocket("/" + std::string(200, 'a'));
  ASSERT_FALSE(longPath.isOk());
  EXPECT_EQ(longPath.status().message(),
            "NOTIFY_SOCKET is 201 bytes long; a socket address holds at most 108");
  std::vector<std::string> logged;
  auto n = ServiceNotifier::fromEnvironment(
      envOf({{"NOTIFY_SOCKET", "vsock:2:1234"}}), 1,
      [&](LogLevel, std::string_view m) { logged.emplace_back(m); });
  EXPECT_FALSE(n.enabled());
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("systemd event=notify_unavailable"), std::string::npos);
}

TEST(ServiceNotifierTest, DatagramsReachAPathAndAnAbstractName) {
  testing::TempDir dir;
  std::random_device rd;
  for (const std::string& address :
       {dir / "notify",
        "@allmenning-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd())}) {
    SCOPED_TRACE(address);
    Receiver receiver(address);
    ASSERT_TRUE(receiver.bound());
    auto n = ServiceNotifier::fromEnvironment(
        envOf({{"NOTIFY_SOCKET", address}, {"WATCHDOG_USEC", "4000000"}}), ::getpid(), {});
    ASSERT_TRUE(n.enabled());
    n.ready("up");
    n.watchdog();
    EXPECT_EQ(receiver.next(), "READY=1\nSTATUS=up");
    EXPECT_EQ(receiver.next(), "WATCHDOG=1");
  }
}

TEST(ServiceNotifierTest, TheRunningStatusSaysWhetherTheNodeIsCatchingUp) {
  const std::string at = "0.0.0.0:7400";
  EXPECT_EQ(runningStatus(at, {}), "listening on 0.0.0.0:7400; 0 peers");
  PeerStatus unknown;
  EXPECT_EQ(runningStatus(at, {unknown}), "listening on 0.0.0.0:7400; 1 peer; exchanging heads");
  PeerStatus behind;
  behind.lagKnown = true;
  behind.ahead = 120;
  PeerStatus level;
  level.lagKnown = true;
  EXPECT_EQ(runningStatus(at, {behind, level}),
            "listening on 0.0.0.0:7400; 2 peers; catching up: 120 entries to fetch");
  EXPECT_EQ(runningStatus(at, {level, level}), "listening on 0.0.0.0:7400; 2 peers; in step");
}

}  // namespace
}  // namespace allmenning
