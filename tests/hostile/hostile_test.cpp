// Hostile peers against a running node: bad signatures, bad frames, bad
// bytes, stalled and idle sockets. Each test attacks V (tests/hostile/
// hostile_fixture.h) from the test process over loopback and checks what V
// must do about that attack; the fixture checks that V kept syncing with
// its honest peer H throughout and that its memory stayed bounded.
#include <cstdio>
#include <random>
#include <thread>

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

Bytes randomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes out(n);
  for (uint8_t& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// 10,000 entries of a trusted author, each with a flipped signature byte,
// offered one per frame. The first one gets the peer an Error and a closed
// connection; the rest find the socket dead; none is stored; the key and
// the address are refused for the ban time, and only for it.
TEST_F(HostileTest, ForgedSignatures) {
  constexpr size_t kForged = 10'000;
  auto key = newKey(/*trusted=*/true);
  std::vector<WireEntry> forged;
  forged.reserve(kForged);
  for (size_t i = 0; i < kForged; ++i) {
    Entry e = signedCase(*key, network_, 1, Hash{}, "forged-" + std::to_string(i));
    forged.push_back(forgedSignature(e, i));
  }
  auto a = openSession(key);
  ASSERT_TRUE(a);
  beginAttack();
  ASSERT_TRUE(a->send(Entries{{forged[0]}}));
  EXPECT_TRUE(a->waitClosed(3s)) << "V kept the connection after a forged entry";
  auto bannedAt = SteadyClock::now();
  auto error = a->error();
  ASSERT_TRUE(error) << "V sent no Error";
  EXPECT_EQ(error->code, ErrorCode::kBadEntry) << error->text;
  size_t delivered = 1;
  while (delivered < kForged && a->send(Entries{{forged[delivered]}})) ++delivered;
  std::printf(
      "[figures] forged: V closed after entry 1; %zu of %zu written before the socket "
      "refused (error: %s)\n",
      delivered, kForged, error->text.c_str());
  EXPECT_LT(delivered, 64u) << "the attacker kept writing into a closed connection";

  // Banned: the same address is closed before its handshake, the same key
  // from a new address right after it.
  auto again = std::make_unique<Attacker>(a->source(), key, network_);
  EXPECT_FALSE(again->open(victimPort()).isOk()) << "the banned address got a handshake";
  // The handshake itself succeeds: the key is known only at its end, and the
  // initiator is done once it has sent its last message.
  auto moved = newAttacker(key);
  Status opened = moved->open(victimPort());
  ASSERT_TRUE(opened.isOk()) << opened.message();
  EXPECT_TRUE(moved->waitClosed(3s)) << "the banned key got a session";
  EXPECT_FALSE(moved->nextOf<Hello>(0ms)) << "the banned key got a Hello";
  EXPECT_GE(victimLogCount("address banned"), 1u);
  EXPECT_GE(victimLogCount("peer banned"), 1u);
  EXPECT_LT(msSince(bannedAt), banTime().count() * 1000) << "the checks above left the ban";

  // For a while, not for ever: once the ban has passed, key and address
  // get a session again.
  std::this_thread::sleep_until(bannedAt + banTime() + 500ms);
  auto later = std::make_unique<Attacker>(a->source(), key, network_);
  EXPECT_TRUE(later->open(victimPort()).isOk()) << "still refused after the ban";
  EXPECT_TRUE(later->send(Hello{kProtocolVersion, network_, false}));
  EXPECT_TRUE(later->nextOf<Hello>(5s)) << "no session after the ban";
  endAttack();
  EXPECT_EQ(v_.seqOf(toHex(key->publicKey())), 0u) << "a forged entry was stored";
}

// A real handshake, then a frame length of 0xffffffff, again and again from
// new addresses across the window: each connection is closed at once, and
// nothing near 4 GiB is ever allocated (the fixture's RSS bound).
TEST_F(HostileTest, FourGiBFrameHeader) {
  constexpr size_t kAttempts = 10;
  const Bytes header{0xff, 0xff, 0xff, 0xff};
  beginAttack();
  size_t closed = 0;
  long long slowest = 0;
  for (size_t i = 0; i < kAttempts; ++i) {
    auto a = newAttacker(newKey(false));
    ASSERT_TRUE(a->open(victimPort()).isOk());
    auto sent = SteadyClock::now();
    ASSERT_TRUE(a->sendRaw(header));
    if (a->waitClosed(2s)) ++closed;
    slowest = std::max(slowest, msSince(sent));
    EXPECT_FALSE(a->error()) << "a transport failure gets no Error frame";
    std::this_thread::sleep_for(150ms);
  }
  endAttack();
  std::printf("[figures] 4 GiB header: %zu connections, %zu closed, slowest close %lld ms\n",
              kAttempts, closed, slowest);
  EXPECT_EQ(closed, kAttempts);
  EXPECT_LT(slowest, 1000);
  EXPECT_GE(victimLogCount("kind=misbehaved"), kAttempts);
}

// 1 MB of random bytes, in place of the handshake and in place of the
// frames after a real one, alternately from new addresses: every connection
// is closed.
TEST_F(HostileTest, RandomBytes) {
  constexpr size_t kAttempts = 6;
  constexpr size_t kJunk = 1'000'000;
  beginAttack();
  size_t closed = 0;
  uint64_t written = 0;
  for (size_t i = 0; i < kAttempts; ++i) {
    auto a = newAttacker(newKey(false));
    bool afterHandshake = i % 2 == 1;
    ASSERT_TRUE(afterHandshake ? a->open(victimPort()).isOk() : a->connect(victimPort()));
    uint64_t before = a->bytesSent();
    a->sendRaw(randomBytes(kJunk, i));  // fails part-way once V hangs up
    written += a->bytesSent() - before;
    if (a->waitClosed(3s)) ++closed;
    std::this_thread::sleep_for(150ms);
  }
  endAttack();
  std::printf(
      "[figures] random bytes: %zu connections of 1 MB offered, %zu closed, %llu bytes "
      "written before V's close reached the sender\n",
      kAttempts, closed, static_cast<unsigned long long>(written));
  EXPECT_EQ(closed, kAttempts);
  // Those closed in the handshake are counted in throttled lines.
  EXPECT_GE(victimLogCount("event=close ") + victimThrottled("closed_in_handshake").second,
            kAttempts);
}

// An entry valid in every way (same author, seq, signed header) except that
// its payload does not match the header's hash: refused, not stored, and the
// peer disconnected. The same entry with its own payload, from another
// trusted author, is stored: the entry really was valid otherwise.
TEST_F(HostileTest, PayloadHashMismatch) {
  auto key = newKey(true);
  auto control = newKey(true);
  Entry bad = signedCase(*key, network_, 1, Hash{}, "mismatch-1");
  Entry good = signedCase(*control, network_, 1, Hash{}, "mismatch-1");
  ASSERT_TRUE(bad.payload && !bad.payload->empty());
  auto a = openSession(key);
  auto c = openSession(control);
  ASSERT_TRUE(a && c);
  beginAttack();
  ASSERT_TRUE(a->send(Entries{{mismatchedPayload(bad)}}));
  EXPECT_TRUE(a->waitClosed(3s)) << "V kept the connection";
  auto error = a->error();
  ASSERT_TRUE(error) << "V sent no Error";
  EXPECT_EQ(error->code, ErrorCode::kBadEntry) << error->text;
  std::printf("[figures] payload mismatch: V answered \"%s\"\n", error->text.c_str());
  ASSERT_TRUE(c->send(Entries{{toWire(good)}}));
  EXPECT_TRUE(waitUntil([&] { return v_.seqOf(toHex(control->publicKey())) == 1; }, 5s))
      << "the control entry was not stored";
  EXPECT_FALSE(c->closedByVictim());
  endAttack();
  EXPECT_EQ(v_.seqOf(toHex(key->publicKey())), 0u) << "the mismatched entry was stored";
}

// Entries V already holds (H's, fetched from V itself with a Want) sent
// back 100 times: V's logs do not change, the peer is not disconnected
// (valid duplicates are no offence), and nothing is relayed on: V sends H
// nothing for them, and the attacker only H's new cases.
TEST_F(HostileTest, ReplayOfOldEntries) {
  constexpr int kRounds = 100;
  auto key = newKey(true);
  auto a = openSession(key);
  ASSERT_TRUE(a);
  PublicKey honest = *fromHexFixed<32>(h_.key());
  ASSERT_TRUE(waitUntil([&] { return v_.seqOf(h_.key()) >= 6; }, 10s));
  uint64_t held = v_.seqOf(h_.key());
  ASSERT_TRUE(a->send(Want{honest, 1, std::min<uint64_t>(held, kMaxWantRange)}));
  // The answer starts at seq 1; H's new cases pushed meanwhile are skipped.
  std::optional<Entries> old;
  while (auto m = a->nextOf<Entries>(5s)) {
    auto first = fromWire(m->entries.front());
    if (first.isOk() && first->header.seq == 1) {
      old = std::move(m);
      break;
    }
  }
  ASSERT_TRUE(old) << "V did not answer the Want";
  size_t oldBytes = encodeMessage(*old).size();

  auto before = victimState();
  beginAttack();
  size_t seen = a->received().size();
  for (int i = 0; i < kRounds; ++i) ASSERT_TRUE(a->send(*old)) << "V closed during the replay";
  ASSERT_TRUE(a->send(Ping{7}));
  auto pong = a->nextOf<Pong>(10s);
  ASSERT_TRUE(pong) << "V did not get through the replay";
  EXPECT_EQ(pong->nonce, 7u);
  // Whatever V relays to the attacker in the window is read and counted.
  EXPECT_FALSE(a->waitClosed(kMinAttack)) << "V closed the connection after the replay";
  endAttack();
  auto after = victimState();

  size_t relayed = 0;
  for (size_t i = seen; i < a->received().size(); ++i) {
    if (auto* e = std::get_if<Entries>(&a->received()[i])) relayed += e->entries.size();
  }
  uint64_t fresh = after.honestSeq - before.honestSeq;
  uint64_t toHonest = after.bytesToHonest - before.bytesToHonest;
  std::printf(
      "[figures] replay: %d x %zu entries (%zu bytes) resent; V sent H %llu bytes and "
      "the attacker %zu entries meanwhile (H authored %llu)\n",
      kRounds, old->entries.size(), kRounds * oldBytes, static_cast<unsigned long long>(toHonest),
      relayed, static_cast<unsigned long long>(fresh));
  EXPECT_FALSE(a->error()) << a->error()->text;
  EXPECT_FALSE(a->closedByVictim());
  EXPECT_EQ(after.authors.size(), before.authors.size());
  for (const auto& [author, seq] : before.authors) {
    if (author != h_.key()) {
      EXPECT_EQ(after.authors[author], seq) << author;
    }
  }
  EXPECT_LE(relayed, fresh + 1) << "V relayed replayed entries back";
  EXPECT_GE(relayed, 1u) << "V stopped relaying H's new cases to the attacker's session";
  EXPECT_LT(toHonest, 16u * 1024) << "V relayed replayed entries to H";
  EXPECT_EQ(victimLogCount("kind=misbehaved"), 0u);
}

// Heads claiming 1,000,000 entries of the attacker's own (trusted) author,
// 1,000 more of H than H has, and 4,000 unknown authors, none of them ever
// delivered. V asks, gets nothing, re-asks only after its Want timeout, and
// never shows the claimed seqs as its own.
TEST_F(HostileTest, HeadsWithoutEntries) {
  auto key = newKey(true);
  auto a = openSession(key);
  ASSERT_TRUE(a);
  PublicKey self = key->publicKey();
  PublicKey honest = *fromHexFixed<32>(h_.key());
  Heads claims;
  claims.heads.push_back({self, 1'000'000, Hash{1}, false});
  claims.heads.push_back({honest, v_.seqOf(h_.key()) + 1000, Hash{2}, false});
  std::mt19937_64 rng(5);
  for (int i = 0; i < 4000; ++i) {
    AuthorHead h;
    for (auto& b : h.author) b = static_cast<uint8_t>(rng());
    h.seq = 1'000'000;
    claims.heads.push_back(h);
  }
  beginAttack();
  ASSERT_TRUE(a->send(claims));
  auto wantOf = [&](const PublicKey& author, std::chrono::milliseconds timeout) {
    auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      auto w = a->nextOf<Want>(left);
      if (w && w->author == author) return w;
    }
    return std::optional<Want>{};
  };
  auto first = wantOf(self, 5s);
  ASSERT_TRUE(first) << "V did not ask for the claimed entries";
  auto asked = SteadyClock::now();
  EXPECT_EQ(first->fromSeq, 1u);
  auto again = wantOf(self, 20s);
  long long gap = msSince(asked);
  ASSERT_TRUE(again) << "V never asked again";
  EXPECT_EQ(again->fromSeq, 1u);
  EXPECT_EQ(v_.seqOf(toHex(self)), 0u) << "V shows entries it never received";
  EXPECT_LT(v_.seqOf(h_.key()), claims.heads[1].seq) << "V shows H's claimed head";
  endAttack();
  size_t wants = 0;
  for (const Message& m : a->received()) wants += std::holds_alternative<Want>(m) ? 1 : 0;
  std::printf("[figures] heads without entries: Want repeated after %lld ms; %zu Wants in all\n",
              gap, wants);
  EXPECT_GE(gap, 9000) << "V re-asked before its Want timed out";
  EXPECT_LE(wants, 8u) << "V keeps asking";
  EXPECT_FALSE(a->closedByVictim());
}

}  // namespace
}  // namespace allmenning::testing
