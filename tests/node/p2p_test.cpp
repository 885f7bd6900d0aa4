// The network shell over real TCP on 127.0.0.1: several P2PNodes in one
// process, each on its own thread with its own io_context and MemoryLog.
// Every wait is a deadline on an observable result, never a sleep.
#include <gtest/gtest.h>
#include <poll.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>  // before Asio: Boost 1.74 headers rely on it under g++ 12

#include "node/net/p2p_node.h"
#include "protocol/memory_log.h"
#include "tests/sim/sim_author.h"

namespace allmenning::testing {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Generous: the tests assert arrival, not speed, on a loaded machine.
constexpr auto kDeadline = 10s;
const Hash kNet = networkId("p2p-test");

P2PConfig testConfig() {
  P2PConfig c;
  c.reconnectMin = 50ms;
  c.reconnectMax = 400ms;
  c.connection.handshakeTimeout = 3s;
  c.connection.tickInterval = 50ms;
  c.connection.sync.headsIntervalMs = 200;
  c.connection.sync.wantTimeoutMs = 1000;
  // ALLMENNING_P2P_LOG=1 shows the node's log lines.
  if (!std::getenv("ALLMENNING_P2P_LOG")) c.log = [](std::string_view) {};
  return c;
}

bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = kDeadline) {
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);  // polling interval, not an assertion
  }
  return done();
}

// One node: its key and log outlive the runner, so a node can be restarted.
struct Body {
  explicit Body(const Hash& net = kNet) : key(SecretKey::generate()), log(net) {}
  std::unique_ptr<SecretKey> key;
  MemoryLog log;
};

// A P2PNode running on its own thread, with its peer events recorded.
class Runner {
 public:
  Runner(Body& body, P2PConfig config, PeerPolicy policy = {}, const Hash& net = kNet)
      : body_(body) {
    config.onPeerEvent = [this](const PeerEvent& e) {
      std::lock_guard lock(mu_);
      events_.push_back(e);
    };
    node_ =
        std::make_unique<P2PNode>(*body.key, net, body.log, std::move(policy), std::move(config));
    Status st = node_->start();
    EXPECT_TRUE(st.isOk()) << st.message();
    thread_ = std::thread([this] { node_->run(); });
  }
  ~Runner() { stop(); }

  void stop() {
    if (!thread_.joinable()) return;
    node_->stop();
    thread_.join();
  }
  uint16_t port() const { return node_->localPort(); }
  DialPeer asPeer() const { return {"127.0.0.1", port(), body_.key->publicKey()}; }

  // Runs `fn` on the node's thread and returns its result.
  template <typename F>
  auto call(F fn) -> decltype(fn()) {
    auto done = std::make_shared<std::promise<decltype(fn())>>();
    auto result = done->get_future();
    node_->post([done, fn] { done->set_value(fn()); });
    if (result.wait_for(kDeadline) != std::future_status::ready) {
      ADD_FAILURE() << "node thread did not answer";
      return {};
    }
    return result.get();
  }

  // Applies entries authored here, then publishes them.
  void author(std::vector<Entry> entries) {
    bool ok = call([this, entries] {
      auto out = body_.log.apply(entries);
      if (!out.isOk()) return false;
      for (const auto& o : *out) {
        if (o.outcome != Outcome::kAccepted) return false;
      }
      node_->publish(entries);
      return true;
    });
    EXPECT_TRUE(ok);
  }
  std::vector<AuthorHead> heads() {
    return call([this] {
      auto h = body_.log.heads();
      return h.isOk() ? *h : std::vector<AuthorHead>{};
    });
  }
  uint64_t seqOf(const PublicKey& author) {
    return call([this, author] { return body_.log.head(author)->seq; });
  }
  size_t openPeers() {
    return call([this] { return node_->openPeers(); });
  }
  void dial(const DialPeer& peer) { node_->dial(peer); }
  std::vector<PeerEvent> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  size_t count(PeerEvent::Kind kind) {
    size_t n = 0;
    for (const auto& e : events()) n += e.kind == kind;
    return n;
  }

 private:
  Body& body_;
  std::unique_ptr<P2PNode> node_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<PeerEvent> events_;
};

P2PConfig dialing(std::vector<DialPeer> peers) {
  P2PConfig c = testConfig();
  c.peers = std::move(peers);
  return c;
}

std::vector<Entry> authorEntries(SimAuthor& author, int n) {
  std::vector<Entry> out;
  for (int i = 0; i < n; ++i) out.push_back(author.next(1'700'000'000'000 + i));
  return out;
}

TEST(P2P, LineTopologyCarriesEntriesAcrossTheHub) {
  Body hub, a, b;
  Runner h(hub, testConfig());
  Runner ra(a, dialing({h.asPeer()}));
  Runner rb(b, dialing({h.asPeer()}));
  ASSERT_TRUE(waitUntil([&] { return h.openPeers() == 2; }));

  SimAuthor author(kNet);
  ra.author(authorEntries(author, 3));
  EXPECT_TRUE(waitUntil([&] { return rb.seqOf(author.id()) == 3; }));
  EXPECT_EQ(h.seqOf(author.id()), 3u);
  EXPECT_EQ(h.count(PeerEvent::Kind::kClosed), 0u);
}

TEST(P2P, AllConvergeAfterTheHubRestarts) {
  Body hub, a, b;
  auto h = std::make_unique<Runner>(hub, testConfig());
  uint16_t port = h->port();
  Runner ra(a, dialing({h->asPeer()}));
  Runner rb(b, dialing({h->asPeer()}));
  SimAuthor first(kNet), authorA(kNet), authorB(kNet);
  ra.author(authorEntries(first, 1));
  ASSERT_TRUE(waitUntil([&] { return rb.seqOf(first.id()) == 1; }));

  h.reset();  // stops the hub; A and B keep re-dialing it
  ra.author(authorEntries(authorA, 2));
  rb.author(authorEntries(authorB, 3));

  P2PConfig again = testConfig();
  again.listen.port(port);
  h = std::make_unique<Runner>(hub, again);
  EXPECT_TRUE(waitUntil([&] {
    auto x = h->heads();
    return x.size() == 3 && x == ra.heads() && x == rb.heads();
  }));
  EXPECT_EQ(rb.seqOf(authorA.id()), 2u);
  EXPECT_EQ(ra.seqOf(authorB.id()), 3u);
}

TEST(P2P, DialerRefusesAnUnexpectedKey) {
  Body hub, a;
  Runner h(hub, testConfig());
  DialPeer wrong = h.asPeer();
  wrong.key = SecretKey::generate()->publicKey();
  Runner ra(a, dialing({wrong}));
  ASSERT_TRUE(waitUntil([&] {
    for (const auto& e : ra.events()) {
      if (e.kind == PeerEvent::Kind::kClosed && e.dialed && e.closeKind == CloseKind::kRefused)
        return true;
    }
    return false;
  }));
  EXPECT_EQ(ra.count(PeerEvent::Kind::kOpened), 0u);
  EXPECT_EQ(h.count(PeerEvent::Kind::kOpened), 0u);
}

// A hub that refuses our key may finish the handshake first; the dialer must
// still back off rather than knock at the shortest interval forever.
TEST(P2P, RefusedDialerBacksOff) {
  Body hub, a;
  Runner h(hub, testConfig(), [](const PublicKey&) { return false; });
  P2PConfig c = dialing({h.asPeer()});
  c.reconnectMin = 50ms;
  c.reconnectMax = 10s;
  Runner ra(a, c);
  std::this_thread::sleep_for(2s);
  // Doubling from 50 ms allows at most 7 attempts in 2 s (the jitter only
  // shortens each wait to half); a reset after each refusal gives about 40.
  size_t attempts = ra.count(PeerEvent::Kind::kClosed);
  EXPECT_GE(attempts, 2u);
  EXPECT_LE(attempts, 8u);
  EXPECT_EQ(h.count(PeerEvent::Kind::kOpened), 0u);
}

TEST(P2P, PeerOnAnotherNetworkIsRefused) {
  const Hash other = networkId("p2p-test-other");
  Body hub, stranger(other);
  Runner h(hub, testConfig());
  Runner rs(stranger, dialing({h.asPeer()}), {}, other);
  ASSERT_TRUE(waitUntil([&] {
    for (const auto& e : h.events()) {
      if (e.kind == PeerEvent::Kind::kClosed && e.closeKind == CloseKind::kRefused) return true;
    }
    return false;
  }));
  EXPECT_EQ(h.count(PeerEvent::Kind::kOpened), 0u);
  EXPECT_EQ(rs.count(PeerEvent::Kind::kOpened), 0u);
}

// ---- Hostile raw clients ---------------------------------------------------------

// A blocking TCP client that speaks whatever bytes the test hands it.
class RawClient {
 public:
  // `from`: the loopback address to connect from (127.0.0.1 when empty).
  explicit RawClient(uint16_t port, const std::string& from = "") : socket_(io_) {
    if (!from.empty()) {
      socket_.open(tcp::v4());
      socket_.bind(tcp::endpoint(asio::ip::make_address(from), 0));
    }
    socket_.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
  }
  void send(ByteView bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }
  // Reads what arrives within the deadline; nullopt on timeout, else the
  // number of bytes read before the node closed the connection.
  std::optional<size_t> readUntilClosed(Transport* transport = nullptr,
                                        std::chrono::milliseconds limit = kDeadline) {
    size_t total = 0;
    auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      if (!readable(end)) continue;
      std::array<uint8_t, 4096> buf{};
      boost::system::error_code ec;
      size_t n = socket_.read_some(asio::buffer(buf), ec);
      if (ec) return total;
      total += n;
      if (transport) (void)transport->receivedBytes(ByteView(buf.data(), n));
      if (transport && transport->ready()) return total;  // handshake done, still open
    }
    return std::nullopt;
  }

 private:
  bool readable(Clock::time_point end) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    pollfd p{socket_.native_handle(), POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0))) > 0;
  }

  asio::io_context io_;
  tcp::socket socket_;
};

// Completes a real handshake with the node, then announces a 4 GiB frame.
void sendHugeFrameHeader(RawClient& client) {
  auto key = SecretKey::generate();
  Transport t(Handshake::Role::kInitiator, *key, kNet);
  client.send(t.takeBytesToSend());
  ASSERT_TRUE(client.readUntilClosed(&t).has_value());
  ASSERT_TRUE(t.ready()) << t.status().message();
  client.send(t.takeBytesToSend());  // proof and our stream header
  const uint8_t huge[] = {0xFF, 0xFF, 0xFF, 0xFF};
  client.send(huge);
}

TEST(P2P, HostileClientsAreDroppedWhileAnHonestPeerSyncs) {
  Body body, honest;
  P2PConfig config = testConfig();
  config.connection.handshakeTimeout = 500ms;
  config.banTime = 0ms;  // every attack below must reach the handshake
  Runner n(body, config);
  Runner rh(honest, dialing({n.asPeer()}));
  ASSERT_TRUE(waitUntil([&] { return n.openPeers() == 1; }));

  {
    RawClient garbage(n.port());
    Bytes junk(200, 0xAB);
    garbage.send(junk);
    EXPECT_TRUE(garbage.readUntilClosed().has_value()) << "garbage not dropped";
  }
  {
    RawClient huge(n.port());
    sendHugeFrameHeader(huge);
    EXPECT_TRUE(huge.readUntilClosed().has_value()) << "4 GiB frame header not dropped";
  }
  {
    RawClient staller(n.port());
    const uint8_t one[] = {kHandshakeVersion};
    staller.send(one);
    EXPECT_TRUE(staller.readUntilClosed().has_value()) << "staller not dropped";
  }

  SimAuthor author(kNet);
  rh.author(authorEntries(author, 2));
  EXPECT_TRUE(waitUntil([&] { return n.seqOf(author.id()) == 2; }));
  EXPECT_EQ(rh.count(PeerEvent::Kind::kClosed), 0u) << "the honest peer was dropped";
  EXPECT_EQ(n.count(PeerEvent::Kind::kClosed), 3u);
}

// Heads far apart: the keepalive pings alone hold a quiet link open across
// many idle timeouts, while a peer that finishes the handshake and then
// says nothing (a path that drops packets looks the same) is closed.
TEST(P2P, PingsHoldAQuietLinkOpenAndSilenceClosesIt) {
  P2PConfig quiet = testConfig();
  quiet.connection.sync.headsIntervalMs = 60'000;
  quiet.connection.idleTimeout = 300ms;  // a Ping after 100 ms of quiet
  Body hub, a;
  Runner h(hub, quiet);
  P2PConfig dialer = quiet;
  dialer.peers = {h.asPeer()};
  Runner ra(a, dialer);
  ASSERT_TRUE(waitUntil([&] { return h.openPeers() == 1; }));

  RawClient silent(h.port());
  auto key = SecretKey::generate();
  Transport t(Handshake::Role::kInitiator, *key, kNet);
  silent.send(t.takeBytesToSend());
  ASSERT_TRUE(silent.readUntilClosed(&t).has_value());
  ASSERT_TRUE(t.ready()) << t.status().message();
  silent.send(t.takeBytesToSend());  // proof and stream header, then nothing
  ASSERT_TRUE(silent.readUntilClosed().has_value()) << "a silent peer was kept open";
  // The quiet link has lived through several idle timeouts by now; a little
  // longer makes the point without depending on how fast the close came.
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(ra.count(PeerEvent::Kind::kClosed), 0u);
  EXPECT_EQ(h.openPeers(), 1u);
  size_t timeouts = 0;
  for (const auto& e : h.events()) {
    timeouts += e.kind == PeerEvent::Kind::kClosed && e.closeKind == CloseKind::kTimeout;
  }
  EXPECT_EQ(timeouts, 1u);
}

TEST(P2P, MisbehavingAddressIsRefusedForTheBanTime) {
  Body body;
  Runner n(body, testConfig());  // default ban time: 60 s
  {
    RawClient huge(n.port());
    sendHugeFrameHeader(huge);
    ASSERT_TRUE(huge.readUntilClosed().has_value());
  }
  // A well-formed hello from the banned address gets no reply at all.
  RawClient again(n.port());
  auto key = SecretKey::generate();
  Transport t(Handshake::Role::kInitiator, *key, kNet);
  again.send(t.takeBytesToSend());
  auto read = again.readUntilClosed(&t);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(*read, 0u);
  EXPECT_FALSE(t.ready());
}

// Sockets that stall in the handshake take slots of their own pool, a few
// per address, and never the slots of sessions: with the pool's share of
// one address stalled, its next socket is closed at once; with the whole
// pool stalled, a socket from another address evicts the oldest.
TEST(P2P, StalledHandshakesHaveTheirOwnPoolCappedPerAddress) {
  Body body, honest;
  P2PConfig config = testConfig();
  config.admission.maxPeers = 1;
  config.admission.maxHandshakes = 4;
  config.admission.reservedHandshakes = 0;
  config.admission.maxHandshakesPerAddress = 2;
  Runner n(body, config);
  const uint8_t one[] = {kHandshakeVersion};
  std::vector<std::unique_ptr<RawClient>> stalled;
  for (int i = 0; i < 2; ++i) {
    stalled.push_back(std::make_unique<RawClient>(n.port(), "127.0.0.2"));
    stalled.back()->send(one);
  }
  RawClient extra(n.port(), "127.0.0.2");
  extra.send(one);
  EXPECT_TRUE(extra.readUntilClosed(nullptr, 1s).has_value()) << "over the address's share";
  for (int i = 0; i < 2; ++i) {
    stalled.push_back(std::make_unique<RawClient>(n.port(), "127.0.0.3"));
    stalled.back()->send(one);
  }
  RawClient beyondPool(n.port(), "127.0.0.4");
  beyondPool.send(one);
  EXPECT_TRUE(stalled[0]->readUntilClosed(nullptr, 1s).has_value()) << "the oldest not evicted";
  EXPECT_FALSE(beyondPool.readUntilClosed(nullptr, 50ms)) << "the newcomer was refused";
  for (size_t i = 1; i < stalled.size(); ++i) {
    EXPECT_FALSE(stalled[i]->readUntilClosed(nullptr, 50ms)) << "held one " << i << " closed";
  }

  // Four stalled handshakes and maxPeers = 1: the pool is full, but a
  // session is no handshake, and a dial from the node is never refused.
  Runner rh(honest, testConfig());
  n.dial(rh.asPeer());
  EXPECT_TRUE(waitUntil([&] { return n.openPeers() == 1; })) << "the dial was refused";
}

// maxPeers bounds sessions in both directions, but only inbound ones are
// refused: the node's own dial opens even when inbound peers fill it.
TEST(P2P, MaxPeersRefusesInboundButNeverADial) {
  Body body, a, b, c;
  P2PConfig config = testConfig();
  config.admission.maxPeers = 1;
  Runner n(body, config);
  Runner ra(a, dialing({n.asPeer()}));
  ASSERT_TRUE(waitUntil([&] { return n.openPeers() == 1; }));
  Runner rb(b, dialing({n.asPeer()}));
  ASSERT_TRUE(waitUntil([&] { return rb.count(PeerEvent::Kind::kClosed) >= 1; }));
  EXPECT_EQ(n.openPeers(), 1u);
  Runner rc(c, testConfig());
  n.dial(rc.asPeer());
  EXPECT_TRUE(waitUntil([&] { return n.openPeers() == 2; })) << "the node's own dial was refused";
  EXPECT_EQ(rb.count(PeerEvent::Kind::kOpened), 0u);
}

// A peer that sends entries faster than verifyPerSecond is read more slowly:
// 3,000 entries at 1,000 checks per second cannot arrive in under 1.7 s (one
// second's worth may come at once, and the last Entries message, up to 256,
// is checked before its cost is counted). Unlimited, they take about 0.2 s.
TEST(P2P, VerificationBudgetSlowsAFastPeer) {
  Body source, sink;
  SimAuthor author(kNet);
  auto entries = authorEntries(author, 3000);
  ASSERT_TRUE(source.log.apply(entries).isOk());
  Runner rs(source, testConfig());
  P2PConfig c = dialing({rs.asPeer()});
  c.connection.verifyPerSecond = 1000;
  auto start = Clock::now();
  Runner rk(sink, c);
  ASSERT_TRUE(waitUntil([&] { return rk.seqOf(author.id()) == 3000; }, 30s));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  std::printf("3,000 entries at 1,000 checks/s took %lld ms\n",
              static_cast<long long>(took.count()));
  EXPECT_GE(took, 1700ms);
  // Slowed, not dropped.
  EXPECT_EQ(rk.count(PeerEvent::Kind::kClosed), 0u);
}

// A hub with more authors than one backlog bound's worth of Heads: today's
// all-at-once Heads closed every session as backlog the moment it opened.
// Paged Heads (the next page when the output drained) keep the queue within
// one page, and the peer gets every author.
TEST(P2P, HeadsOfManyAuthorsArePagedWithinTheBacklogBound) {
  const size_t kAuthors = 30'000;  // about 2.5 MB of Heads
  Body hub, a;
  std::vector<Entry> entries;
  for (size_t i = 0; i < kAuthors; ++i) {
    SimAuthor author(kNet);
    entries.push_back(author.next(1'700'000'000'000));
  }
  ASSERT_TRUE(hub.log.apply(entries).isOk());
  P2PConfig config = testConfig();
  config.connection.maxBufferedBytes = size_t{1} << 20;
  config.connection.sync.headsIntervalMs = 30'000;
  Runner h(hub, config);
  P2PConfig dialer = config;
  dialer.peers = {h.asPeer()};
  Runner ra(a, dialer);
  auto start = Clock::now();
  EXPECT_TRUE(waitUntil([&] { return ra.heads().size() == kAuthors; }, 60s));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  std::printf("%zu authors fetched in %lld ms\n", kAuthors, static_cast<long long>(ms.count()));
  for (const PeerEvent& e : h.events()) {
    EXPECT_NE(e.closeKind, CloseKind::kBacklog) << e.reason;
  }
  for (const PeerEvent& e : ra.events()) {
    EXPECT_NE(e.kind, PeerEvent::Kind::kClosed) << e.reason;
  }
}

}  // namespace
}  // namespace allmenning::testing
