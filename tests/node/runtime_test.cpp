// The Runtime: two real Nodes (RocksDB, keys, configs) on loopback in one
// process, each with its P2P shell on its own io thread, driven through the
// NetworkView as the admin socket drives it. Every wait is a deadline on an
// observable result.
#include "node/runtime.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "tests/test_util.h"

namespace allmenning::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kDeadline = 10s;

bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = kDeadline) {
  auto end = SteadyClock::now() + limit;
  while (SteadyClock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);  // polling interval, not an assertion
  }
  return done();
}

// Connect attempts per key, as the runtimes report them (P2PConfig::onDial),
// counted on their io threads and read by the test.
class DialCount {
 public:
  std::function<void(const DialPeer&)> hook() {
    return [this](const DialPeer& p) {
      std::lock_guard lock(mu_);
      ++count_[p.key];
    };
  }
  int of(const PublicKey& key) {
    std::lock_guard lock(mu_);
    return count_[key];
  }

 private:
  std::mutex mu_;
  std::map<PublicKey, int> count_;
};

// A loopback port nothing listens on: a dial to it is refused at once.
uint16_t closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

RuntimeOptions fastOptions(std::function<void(const DialPeer&)> onDial = {}) {
  RuntimeOptions o;
  o.p2p.onDial = std::move(onDial);
  o.p2p.reconnectMin = 50ms;
  o.p2p.reconnectMax = 200ms;
  o.p2p.connection.tickInterval = 50ms;
  o.p2p.connection.sync.headsIntervalMs = 200;
  // ALLMENNING_P2P_LOG=1 shows the runtime's log lines.
  if (!std::getenv("ALLMENNING_P2P_LOG")) o.log = [](LogLevel, std::string_view) {};
  return o;
}

// One node in its own home, running on the network, attached to its Node as
// `run` attaches it.
class Body {
 public:
  Body(const TempDir& dir, const std::string& name, RuntimeOptions options = fastOptions())
      : home_(dir / name) {
    InitOptions o;
    o.profile.name = name + " kommune";
    o.config.listen = "127.0.0.1:0";
    EXPECT_TRUE(Node::init(home_, o, systemClock()).isOk());
    auto node = Node::open(home_, systemClock());
    auto key = loadKey(home_ + "/key");
    EXPECT_TRUE(node.isOk() && key.isOk());
    node_ = std::move(*node);
    key_ = std::move(*key);
    runtime_ = std::make_unique<Runtime>(*node_, *key_, options);
    Status st = runtime_->start();
    EXPECT_TRUE(st.isOk()) << st.message();
    node_->setNetwork(runtime_.get());
  }
  ~Body() {
    node_->setNetwork(nullptr);
    runtime_->stop();
  }

  Node& node() { return *node_; }
  Runtime& net() { return *runtime_; }
  DialPeer asPeer() {
    std::string addr = runtime_->listenAddress();
    auto port = static_cast<uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
    return DialPeer{"127.0.0.1", port, node_->id()};
  }
  void put(const std::string& id) {
    auto r = node_->putCase(caseJson(id));
    EXPECT_TRUE(r.isOk()) << r.status().message();
  }
  bool has(const Body& author, const std::string& id) {
    return node_->showCase(CaseKey{author.node_->id(), id}, false).isOk();
  }

 private:
  std::string home_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<SecretKey> key_;
  std::unique_ptr<Runtime> runtime_;
};

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    a_ = std::make_unique<Body>(dir_, "a", fastOptions(dials_.hook()));
    b_ = std::make_unique<Body>(dir_, "b", fastOptions(dials_.hook()));
    // Each accepts the other's entries.
    ASSERT_TRUE(a_->node().trustKey(b_->node().id(), "b").isOk());
    ASSERT_TRUE(b_->node().trustKey(a_->node().id(), "a").isOk());
  }
  void TearDown() override {
    b_.reset();
    a_.reset();
  }
  TempDir dir_;
  DialCount dials_;  // outlives the bodies, whose io threads count into it
  std::unique_ptr<Body> a_, b_;
};

TEST_F(RuntimeTest, ListensWhereItSays) {
  std::string addr = a_->net().listenAddress();
  EXPECT_EQ(addr.rfind("127.0.0.1:", 0), 0u) << addr;
  EXPECT_NE(a_->asPeer().port, 0);
}

TEST_F(RuntimeTest, TwoNodesSyncCasesBothWays) {
  a_->put("before-dial");  // reaches b through the first Heads exchange
  int64_t before = systemClock()();
  b_->net().dial(a_->asPeer());
  ASSERT_TRUE(waitUntil([&] { return b_->has(*a_, "before-dial"); }));
  b_->put("after-dial");  // pushed at once through Node::published
  EXPECT_TRUE(waitUntil([&] { return a_->has(*b_, "after-dial"); }));

  auto atA = a_->net().peers();
  auto atB = b_->net().peers();
  ASSERT_EQ(atA.size(), 1u);
  ASSERT_EQ(atB.size(), 1u);
  EXPECT_EQ(atA[0].key, b_->node().id());
  EXPECT_EQ(atB[0].key, a_->node().id());
  EXPECT_FALSE(atA[0].dialed);
  EXPECT_TRUE(atB[0].dialed);
  EXPECT_EQ(atB[0].address, a_->net().listenAddress());
  EXPECT_GE(atB[0].since, before);
  EXPECT_LE(atB[0].since, systemClock()());
  EXPECT_GT(atB[0].bytesIn, 0u);
  EXPECT_GT(atB[0].bytesOut, 0u);
  // Once each side has the other's Heads and nothing is missing, both lags
  // are known and zero.
  EXPECT_TRUE(waitUntil([&] {
    auto p = b_->net().peers();
    return p.size() == 1 && p[0].lagKnown && p[0].ahead == 0 && p[0].behind == 0;
  }));
}

TEST_F(RuntimeTest, ForgetClosesTheConnectionAndStopsRedialing) {
  b_->net().dial(a_->asPeer());
  ASSERT_TRUE(waitUntil([&] { return a_->net().peers().size() == 1; }));
  // A peer that refuses every dial: its redials, on the same timers, are the
  // clock by which the absence of a redial of the forgotten peer is judged.
  auto down = SecretKey::generate();
  b_->net().dial(DialPeer{"127.0.0.1", closedPort(), down->publicKey()});
  ASSERT_TRUE(waitUntil([&] { return dials_.of(down->publicKey()) >= 1; }));
  b_->net().forget(a_->node().id());
  ASSERT_TRUE(waitUntil([&] { return a_->net().peers().empty() && b_->net().peers().empty(); }));
  // Three more redials of the refusing peer: several redial periods have
  // passed on b's own timers, and not one dial went to the forgotten peer.
  const int seen = dials_.of(down->publicKey());
  ASSERT_TRUE(waitUntil([&] { return dials_.of(down->publicKey()) >= seen + 3; }));
  EXPECT_EQ(dials_.of(a_->node().id()), 1);
  EXPECT_TRUE(a_->net().peers().empty());
  EXPECT_TRUE(b_->net().peers().empty());
}

TEST_F(RuntimeTest, DialingTheSamePeerTwiceKeepsOneConnection) {
  b_->net().dial(a_->asPeer());
  b_->net().dial(a_->asPeer());
  ASSERT_TRUE(waitUntil([&] { return b_->net().peers().size() == 1; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(b_->net().peers().size(), 1u);
}

TEST_F(RuntimeTest, ViewCallsAfterStopReturnAtOnce) {
  b_->net().dial(a_->asPeer());
  ASSERT_TRUE(waitUntil([&] { return b_->net().peers().size() == 1; }));
  b_->net().stop();
  auto start = SteadyClock::now();
  EXPECT_TRUE(b_->net().peers().empty());
  b_->net().dial(a_->asPeer());
  b_->net().forget(a_->node().id());
  b_->put("after-stop");  // published to nowhere, stored all the same
  EXPECT_LT(SteadyClock::now() - start, 2s);
  EXPECT_TRUE(b_->has(*b_, "after-stop"));
}

// `trust add` on a running node fetches the new author's entries from the
// peers that have shown them, at once: Heads rounds here are a minute apart.
TEST(RuntimeTrustTest, TrustAddFetchesAtOnce) {
  ASSERT_TRUE(initCrypto().isOk());
  TempDir dir;
  RuntimeOptions slow = fastOptions();
  slow.p2p.connection.sync.headsIntervalMs = 60'000;
  Body a(dir, "a", slow), b(dir, "b", slow);
  ASSERT_TRUE(b.node().trustKey(a.node().id(), "a").isOk());
  b.put("fra-b");
  a.net().dial(b.asPeer());
  // a has seen b's Heads, and stored nothing of b: it does not trust b yet.
  ASSERT_TRUE(waitUntil([&] {
    auto peers = a.net().peers();
    return peers.size() == 1 && peers[0].lagKnown;
  }));
  EXPECT_FALSE(a.has(b, "fra-b"));
  auto start = SteadyClock::now();
  ASSERT_TRUE(a.node().trustKey(b.node().id(), "b").isOk());
  EXPECT_TRUE(waitUntil([&] { return a.has(b, "fra-b"); }, 5s)) << "not before the next Heads";
  EXPECT_LT(SteadyClock::now() - start, 5s);
}

// A configured address that answers nothing is not `connected` because the
// same peer dialed us; the status says why the dialer is not connected.
TEST_F(RuntimeTest, AStaleAddressIsNotConnectedAndSaysWhy) {
  ASSERT_TRUE(a_->node().addPeer("127.0.0.1:1", b_->node().id()).isOk());  // nothing listens
  b_->net().dial(a_->asPeer());
  Json peer;
  ASSERT_TRUE(waitUntil([&] {
    auto st = a_->node().status();
    if (!st.isOk() || (*st)["peers"].size() != 1) return false;
    peer = (*st)["peers"][0];
    return peer["inbound"] == true && !peer["lastError"].is_null();
  })) << peer;
  EXPECT_EQ(peer["address"], "127.0.0.1:1");
  EXPECT_EQ(peer["connected"], false) << peer;
  EXPECT_NE(peer["lastError"].get<std::string>().find("connect"), std::string::npos) << peer;
  // The right address: connected, and the status says so.
  ASSERT_TRUE(a_->node().removePeer(b_->node().id()).isOk());
  auto right = b_->asPeer();
  ASSERT_TRUE(
      a_->node().addPeer("127.0.0.1:" + std::to_string(right.port), b_->node().id()).isOk());
  EXPECT_TRUE(waitUntil([&] {
    auto st = a_->node().status();
    return st.isOk() && (*st)["peers"].size() == 1 && (*st)["peers"][0]["connected"] == true;
  }));
}

}  // namespace
}  // namespace allmenning::testing
