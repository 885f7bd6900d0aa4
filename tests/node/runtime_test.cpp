// The Runtime: two real Nodes (RocksDB, keys, configs) on loopback in one
// process, each with its P2P shell on its own io thread, driven through the
// NetworkView as the admin socket drives it. Every wait is a deadline on an
// observable result.
#include "node/runtime.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
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

RuntimeOptions fastOptions() {
  RuntimeOptions o;
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
  Body(const TempDir& dir, const std::string& name) : home_(dir / name) {
    InitOptions o;
    o.profile.name = name + " kommune";
    o.config.listen = "127.0.0.1:0";
    EXPECT_TRUE(Node::init(home_, o, systemClock()).isOk());
    auto node = Node::open(home_, systemClock());
    auto key = loadKey(home_ + "/key");
    EXPECT_TRUE(node.isOk() && key.isOk());
    node_ = std::move(*node);
    key_ = std::move(*key);
    runtime_ = std::make_unique<Runtime>(*node_, *key_, fastOptions());
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
    a_ = std::make_unique<Body>(dir_, "a");
    b_ = std::make_unique<Body>(dir_, "b");
    // Each accepts the other's entries.
    ASSERT_TRUE(a_->node().trustKey(b_->node().id(), "b").isOk());
    ASSERT_TRUE(b_->node().trustKey(a_->node().id(), "a").isOk());
  }
  void TearDown() override {
    b_.reset();
    a_.reset();
  }
  TempDir dir_;
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
  b_->net().forget(a_->node().id());
  ASSERT_TRUE(waitUntil([&] { return a_->net().peers().empty() && b_->net().peers().empty(); }));
  std::this_thread::sleep_for(500ms);  // several redial periods: none may come
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

}  // namespace
}  // namespace allmenning::testing
