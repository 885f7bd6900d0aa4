// Hostile peers and trust: what trust costs the node, and what a change of
// trust does to the sessions already open (issue 12). Each test attacks V
// (tests/hostile/hostile_fixture.h) while V keeps syncing with its honest
// peer H.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <random>
#include <regex>
#include <thread>

#include "protocol/records.h"
#include "protocol/sync.h"
#include "tests/hostile/hostile_fixture.h"

namespace allmenning::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

long long msSince(SteadyClock::time_point t) {
  return static_cast<long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count());
}

PublicKey randomKey(std::mt19937_64& rng) {
  PublicKey k;
  for (auto& b : k) b = static_cast<uint8_t>(rng());
  return k;
}

// A vouch by `key` for `vouchee`, at `seq` of its log after `prev`.
Entry signedVouch(const SecretKey& key, const Hash& network, uint64_t seq, const Hash& prev,
                  const PublicKey& vouchee) {
  Header h;
  h.network = network;
  h.author = key.publicKey();
  h.seq = seq;
  h.prev = prev;
  h.kind = Kind::kVouch;
  h.timestamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  VouchRecord v{vouchee, "Vouched body " + std::to_string(seq), "", "0301"};
  return signEntry(key, h, encodeVouch(v));
}

class HostileTrustTest : public HostileTest {
 protected:
  // Rewrites V's accept_peers and reloads its config (SIGHUP).
  void setAcceptPeers(const std::string& mode) {
    std::string path = v_.home() + "/allmenning.toml";
    std::string config =
        std::regex_replace(readFile(path), std::regex(R"(accept_peers = ['"][a-z]+['"])"),
                           "accept_peers = \"" + mode + "\"");
    writeFile(path, config);
    size_t reloads = victimLogCount("config event=reloaded");
    ASSERT_EQ(::kill(victimPid(), SIGHUP), 0);
    ASSERT_TRUE(waitUntil([&] { return victimLogCount("config event=reloaded") > reloads; }, 5s))
        << v_.log();
    ASSERT_GE(victimLogCount("key=node.accept_peers"), 1u) << v_.log();
  }

  uint64_t seqOf(const SecretKey& key) const { return v_.seqOf(toHex(key.publicKey())); }
};

// accept_peers = "trusted": a trusted peer has a session and relays the
// entries of another trusted author. Once `trust remove` takes its key, the
// session closes, the entry it sends next is not stored, and its key gets
// no session again.
TEST_F(HostileTrustTest, TrustRemoveClosesTheSessionInTrustedMode) {
  setAcceptPeers("trusted");
  auto key = newKey(/*trusted=*/true);
  auto author = newKey(/*trusted=*/true);
  auto a = openSession(key);
  ASSERT_TRUE(a);
  Entry first = signedCase(*author, network_, 1, Hash{}, "relayed-1");
  Entry second = signedCase(*author, network_, 2, first.hash, "relayed-2");
  ASSERT_TRUE(a->send(Entries{{toWire(first)}}));
  ASSERT_TRUE(waitUntil([&] { return seqOf(*author) == 1; }, 5s)) << "V did not sync the peer";

  beginAttack();
  auto removed = v_.cli({"trust", "remove", toHex(key->publicKey())});
  ASSERT_EQ(removed.exitCode, 0) << describe(removed);
  auto removedAt = SteadyClock::now();
  bool closed = a->waitClosed(3s);
  long long tookMs = msSince(removedAt);
  a->send(Entries{{toWire(second)}});  // refused by the socket once V closed it
  EXPECT_TRUE(closed) << "the removed key's session stayed open";
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(seqOf(*author), 1u) << "V synced an entry from the removed key's session";
  auto again = newAttacker(key);
  bool refused = !again->open(victimPort()).isOk() || again->waitClosed(3s);
  EXPECT_TRUE(refused) << "the removed key got a session again";
  endAttack();
  std::printf("[figures] trust remove: session closed %lld ms after the command (%s)\n", tookMs,
              closed ? "closed" : "still open");
  EXPECT_GE(victimLogCount("key no longer accepted"), 1u) << v_.log();
}

// 16 sessions of unaccepted keys each claim heads of 65,536 authors V does
// not accept (free to send, nothing to deliver). A trusted author then sends
// 20 vouches, one per message, the first for an author session 0 claimed.
// V answers the voucher's Ping at once, asks session 0 for the vouched
// author, and its memory stays bounded.
TEST_F(HostileTrustTest, VouchBurstAfterClaimFlood) {
  constexpr size_t kSessions = 16;
  constexpr size_t kClaims = 65'536;
  constexpr size_t kVouches = 20;
  std::mt19937_64 rng(6);
  const PublicKey vouched = randomKey(rng);
  std::vector<std::unique_ptr<Attacker>> claimers;
  for (size_t i = 0; i < kSessions; ++i) {
    auto a = openSession(newKey(/*trusted=*/false));
    ASSERT_TRUE(a) << "session " << i;
    claimers.push_back(std::move(a));
  }
  auto voucherKey = newKey(/*trusted=*/true);
  std::vector<Entry> vouches;
  Hash prev{};
  for (size_t i = 0; i < kVouches; ++i) {
    vouches.push_back(
        signedVouch(*voucherKey, network_, i + 1, prev, i == 0 ? vouched : randomKey(rng)));
    prev = vouches.back().hash;
  }

  beginAttack();
  auto floodStart = SteadyClock::now();
  // Round by round, so no session falls silent for V's idle timeout.
  for (size_t sent = 0; sent < kClaims; sent += kMaxHeadsPerMessage) {
    for (size_t i = 0; i < kSessions; ++i) {
      Heads m;
      for (size_t k = 0; k < kMaxHeadsPerMessage; ++k) {
        bool first = i == 0 && sent == 0 && k == 0;
        m.heads.push_back({first ? vouched : randomKey(rng), 3, Hash{1}, false});
      }
      ASSERT_TRUE(claimers[i]->send(m)) << "V closed claim session " << i;
    }
  }
  // Each session's claims are all read once its Ping is answered.
  for (size_t i = 0; i < kSessions; ++i) {
    ASSERT_TRUE(claimers[i]->send(Ping{i}));
    ASSERT_TRUE(claimers[i]->nextOf<Pong>(20s)) << "claim session " << i << " got no Pong";
  }
  long long floodMs = msSince(floodStart);
  auto voucher = openSession(voucherKey);  // now: it would be idle through the flood
  ASSERT_TRUE(voucher);

  auto burst = SteadyClock::now();
  for (const Entry& v : vouches) ASSERT_TRUE(voucher->send(Entries{{toWire(v)}}));
  ASSERT_TRUE(voucher->send(Ping{99}));
  auto pong = voucher->nextOf<Pong>(30s);
  long long stallMs = msSince(burst);
  ASSERT_TRUE(pong) << "V did not answer the voucher";
  EXPECT_EQ(seqOf(*voucherKey), kVouches);
  std::optional<Want> asked;
  while (auto w = claimers[0]->nextOf<Want>(5s)) {
    if (w->author == vouched) {
      asked = w;
      break;
    }
  }
  endAttack();
  std::printf(
      "[figures] vouch burst: %zu sessions x %zu claimed authors sent in %lld ms; %zu vouches "
      "answered after %lld ms\n",
      kSessions, kClaims, floodMs, kVouches, stallMs);
  EXPECT_LT(stallMs, 1000) << "V stalled on the vouches";
  ASSERT_TRUE(asked) << "V did not ask for the vouched author";
  EXPECT_EQ(asked->fromSeq, 1u);
  EXPECT_EQ(asked->toSeq, 3u);
}

// V holds 12,000 entries, so `verify` runs for seconds. While it runs, a
// trusted peer sends a new entry and a Ping every 200 ms: each is stored
// and answered at once (the P2P thread does not wait for verify), the peer
// is not dropped, and verify still passes over the log that grew under it.
TEST_F(HostileTrustTest, VerifyDoesNotBlockSync) {
  constexpr size_t kHeld = 12'000;
  auto key = newKey(/*trusted=*/true);
  auto author = newKey(/*trusted=*/true);
  auto a = openSession(key);
  ASSERT_TRUE(a);
  std::vector<Entry> held;
  Hash prev{};
  for (size_t i = 0; i < kHeld; ++i) {
    held.push_back(signedCase(*key, network_, i + 1, prev, "held-" + std::to_string(i)));
    prev = held.back().hash;
  }
  for (size_t at = 0; at < held.size(); at += kMaxEntriesPerMessage) {
    Entries m;
    for (size_t i = at; i < std::min(held.size(), at + kMaxEntriesPerMessage); ++i) {
      m.entries.push_back(toWire(held[i]));
    }
    ASSERT_TRUE(a->send(m));
  }
  ASSERT_TRUE(waitUntil([&] { return seqOf(*key) == kHeld; }, 30s))
      << "V holds " << seqOf(*key) << " of " << kHeld;

  beginAttack();
  std::atomic<bool> verifying{true};
  ProcessResult verify;
  auto started = SteadyClock::now();
  std::thread verifier([&] {
    verify = v_.cli({"verify"});
    verifying = false;
  });
  std::this_thread::sleep_for(200ms);  // the CLI reaches the node
  size_t during = 0;
  long long slowest = 0;
  Hash last{};
  for (uint64_t seq = 1; verifying && seq <= 100; ++seq) {
    Entry e = signedCase(*author, network_, seq, last, "during-" + std::to_string(seq));
    last = e.hash;
    auto sent = SteadyClock::now();
    ASSERT_TRUE(a->send(Entries{{toWire(e)}})) << "V closed the peer";
    ASSERT_TRUE(a->send(Ping{seq}));
    auto pong = a->nextOf<Pong>(30s);
    ASSERT_TRUE(pong) << "V did not answer";
    slowest = std::max(slowest, msSince(sent));
    if (verifying) ++during;
    std::this_thread::sleep_for(200ms);
  }
  verifier.join();
  long long verifyMs = msSince(started);
  endAttack();
  std::printf(
      "[figures] verify over %zu entries took %lld ms; %zu entries stored and answered while "
      "it ran, slowest answer %lld ms\n",
      kHeld, verifyMs, during, slowest);
  EXPECT_EQ(verify.exitCode, 0) << describe(verify);
  EXPECT_GE(during, 3u) << "verify was too short to show anything";
  EXPECT_LT(slowest, 1000) << "an entry waited for verify";
  EXPECT_FALSE(a->closedByVictim());
  EXPECT_GE(seqOf(*author), during);
}

}  // namespace
}  // namespace allmenning::testing
