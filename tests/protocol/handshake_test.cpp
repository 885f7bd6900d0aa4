// Handshake: key agreement, identity proof, refusals, tampering, replay,
// and byte-pump behaviour with arbitrary chunking.
#include "protocol/handshake.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <memory>
#include <random>

#include "tests/test_util.h"

namespace allmenning {
namespace {

// A deterministic RandomFill, so a run can be repeated byte for byte.
RandomFill seeded(uint64_t seed) { return testing::seededRandom(seed); }

// Everything `h` wants to send, marked as sent.
Bytes drain(Handshake& h) {
  Bytes out(h.bytesToSend().begin(), h.bytesToSend().end());
  h.markBytesSent(out.size());
  return out;
}

Bytes concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bool sameBytes(ByteView a, ByteView b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

using Role = Handshake::Role;

class HandshakeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initCrypto().isOk()); }

  std::unique_ptr<Handshake> make(Role role, const SecretKey& key, uint64_t seed,
                                  const Hash& network, PeerPolicy policy = {}) {
    return std::make_unique<Handshake>(role, key, network, std::move(policy), seeded(seed));
  }
  std::unique_ptr<Handshake> initiator(uint64_t seed = 1, PeerPolicy policy = {}) {
    return make(Role::kInitiator, *alice_, seed, network_, std::move(policy));
  }
  std::unique_ptr<Handshake> responder(uint64_t seed = 2, PeerPolicy policy = {}) {
    return make(Role::kResponder, *bob_, seed, network_, std::move(policy));
  }

  // Moves bytes both ways in chunks of `chunk()` bytes until both are quiet.
  static void pump(Handshake& a, Handshake& b, const std::function<size_t()>& chunk) {
    for (int round = 0; round < 100000; ++round) {
      bool moved = false;
      for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
        ByteView pending = from->bytesToSend();
        if (pending.empty()) continue;
        size_t n = std::min(chunk(), pending.size());
        Bytes piece(pending.begin(), pending.begin() + n);
        from->markBytesSent(n);
        (void)to->receivedBytes(piece);
        moved = true;
      }
      if (!moved) return;
    }
    FAIL() << "handshake did not settle";
  }

  static void expectPaired(const Handshake& a, const Handshake& b, const SecretKey& aKey,
                           const SecretKey& bKey) {
    ASSERT_TRUE(a.done()) << a.status().message();
    ASSERT_TRUE(b.done()) << b.status().message();
    EXPECT_TRUE(sameBytes(a.txKey().bytes(), b.rxKey().bytes()));
    EXPECT_TRUE(sameBytes(a.rxKey().bytes(), b.txKey().bytes()));
    EXPECT_FALSE(sameBytes(a.txKey().bytes(), a.rxKey().bytes()));
    EXPECT_EQ(a.peerKey(), bKey.publicKey());
    EXPECT_EQ(b.peerKey(), aKey.publicKey());
  }

  // The three messages of one honest run: hello, reply, proof.
  struct Transcript {
    Bytes hello, reply, proof;
  };
  Transcript record(uint64_t initiatorSeed, uint64_t responderSeed) {
    auto i = initiator(initiatorSeed);
    auto r = responder(responderSeed);
    Transcript t;
    t.hello = drain(*i);
    EXPECT_TRUE(r->receivedBytes(t.hello).isOk());
    t.reply = drain(*r);
    EXPECT_TRUE(i->receivedBytes(t.reply).isOk());
    t.proof = drain(*i);
    EXPECT_TRUE(r->receivedBytes(t.proof).isOk());
    EXPECT_TRUE(i->done() && r->done());
    return t;
  }

  std::unique_ptr<SecretKey> alice_ = SecretKey::generate();
  std::unique_ptr<SecretKey> bob_ = SecretKey::generate();
  std::unique_ptr<SecretKey> carol_ = SecretKey::generate();
  Hash network_ = networkId("test");
};

TEST_F(HandshakeTest, CompletesWithMatchingKeysAndFixedLengths) {
  auto i = initiator();
  auto r = responder();
  EXPECT_EQ(r->state(), Handshake::State::kAwaitHello);
  EXPECT_TRUE(r->bytesToSend().empty());  // the responder speaks second
  Transcript t = record(1, 2);
  EXPECT_EQ(t.hello.size(), Handshake::kHelloBytes);
  EXPECT_EQ(t.reply.size(), Handshake::kReplyBytes);
  EXPECT_EQ(t.proof.size(), Handshake::kProofBytes);
  EXPECT_EQ(t.hello[0], kHandshakeVersion);
  pump(*i, *r, [] { return size_t{1000}; });
  expectPaired(*i, *r, *alice_, *bob_);
}

TEST_F(HandshakeTest, CompletesOneByteAtATime) {
  auto i = initiator();
  auto r = responder();
  pump(*i, *r, [] { return size_t{1}; });
  expectPaired(*i, *r, *alice_, *bob_);
}

TEST_F(HandshakeTest, CompletesInRandomChunksForManySeeds) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    auto i = initiator(seed * 2 + 10);
    auto r = responder(seed * 2 + 11);
    pump(*i, *r, [&] { return size_t{1} + rng() % 200; });
    expectPaired(*i, *r, *alice_, *bob_);
  }
}

TEST_F(HandshakeTest, SameSeedsGiveSameBytesAndKeys) {
  Transcript a = record(7, 8), b = record(7, 8), c = record(7, 9);
  EXPECT_EQ(a.hello, b.hello);
  EXPECT_EQ(a.reply, b.reply);
  EXPECT_EQ(a.proof, b.proof);
  EXPECT_NE(a.reply, c.reply);  // a fresh ephemeral changes everything signed
}

TEST_F(HandshakeTest, OtherNetworkRefusedByResponder) {
  auto i = initiator();
  auto r = make(Role::kResponder, *bob_, 2, networkId("other"));
  Status st = r->receivedBytes(drain(*i));
  EXPECT_FALSE(st.isOk());
  EXPECT_TRUE(r->failed());
  EXPECT_NE(st.message().find("network"), std::string::npos) << st.message();
  EXPECT_TRUE(r->bytesToSend().empty());  // nothing goes to a refused peer
}

TEST_F(HandshakeTest, OtherNetworkRefusedByInitiator) {
  // A responder on "other" answers an initiator on "other"; our initiator on
  // "test" receives that reply.
  Hash other = networkId("other");
  auto theirI = make(Role::kInitiator, *carol_, 5, other);
  auto theirR = make(Role::kResponder, *bob_, 6, other);
  ASSERT_TRUE(theirR->receivedBytes(drain(*theirI)).isOk());
  auto i = initiator();
  Status st = i->receivedBytes(drain(*theirR));
  EXPECT_TRUE(i->failed());
  EXPECT_NE(st.message().find("network"), std::string::npos) << st.message();
}

TEST_F(HandshakeTest, UntrustedResponderRefusedByPolicy) {
  PublicKey seen{};
  auto i = initiator(1, [&](const PublicKey& k) {
    seen = k;
    return false;
  });
  auto r = responder();
  pump(*i, *r, [] { return size_t{64}; });
  EXPECT_TRUE(i->failed());
  EXPECT_EQ(i->status().code(), Status::Code::kRefused);
  EXPECT_NE(i->status().message().find("peer key not trusted"), std::string::npos);
  EXPECT_EQ(seen, bob_->publicKey());  // the policy sees the proven key
  EXPECT_FALSE(r->done());             // the proof never went out
}

TEST_F(HandshakeTest, UntrustedInitiatorRefusedByPolicy) {
  auto i = initiator();
  auto r = responder(2, [](const PublicKey&) { return false; });
  pump(*i, *r, [] { return size_t{64}; });
  EXPECT_TRUE(r->failed());
  EXPECT_NE(r->status().message().find("peer key not trusted"), std::string::npos);
}

TEST_F(HandshakeTest, PolicyAcceptsAListedKey) {
  PublicKey allowed = alice_->publicKey();
  auto i = initiator(1, [&](const PublicKey& k) { return k == bob_->publicKey(); });
  auto r = responder(2, [&](const PublicKey& k) { return k == allowed; });
  pump(*i, *r, [] { return size_t{3}; });
  expectPaired(*i, *r, *alice_, *bob_);
}

TEST_F(HandshakeTest, EveryTamperedHelloByteIsCaught) {
  Bytes hello = record(1, 2).hello;
  for (size_t pos = 0; pos < hello.size(); ++pos) {
    Bytes bad = hello;
    bad[pos] ^= 0x01;
    auto i = initiator(1);
    auto r = responder(2);
    drain(*i);
    (void)r->receivedBytes(bad);
    // The responder cannot see a changed ephemeral key, but its signature then
    // covers the wrong key and the initiator refuses the reply.
    if (!r->failed()) (void)i->receivedBytes(drain(*r));
    EXPECT_TRUE(r->failed() || i->failed()) << "byte " << pos;
    EXPECT_FALSE(i->done()) << "byte " << pos;
  }
}

TEST_F(HandshakeTest, EveryTamperedReplyByteIsRefused) {
  Bytes reply = record(1, 2).reply;
  for (size_t pos = 0; pos < reply.size(); ++pos) {
    Bytes bad = reply;
    bad[pos] ^= 0x80;
    auto i = initiator(1);
    EXPECT_FALSE(i->receivedBytes(bad).isOk()) << "byte " << pos;
    EXPECT_TRUE(i->failed()) << "byte " << pos;
    EXPECT_TRUE(i->bytesToSend().empty()) << "byte " << pos;
  }
}

TEST_F(HandshakeTest, EveryTamperedProofByteIsRefused) {
  Transcript t = record(1, 2);
  for (size_t pos = 0; pos < t.proof.size(); ++pos) {
    Bytes bad = t.proof;
    bad[pos] ^= 0x10;
    auto r = responder(2);
    ASSERT_TRUE(r->receivedBytes(t.hello).isOk());
    EXPECT_FALSE(r->receivedBytes(bad).isOk()) << "byte " << pos;
    EXPECT_TRUE(r->failed()) << "byte " << pos;
  }
}

TEST_F(HandshakeTest, OtherVersionIsNamed) {
  Bytes hello = record(1, 2).hello;
  hello[0] = 2;
  auto r = responder();
  Status st = r->receivedBytes(hello);
  EXPECT_NE(st.message().find("version 2"), std::string::npos) << st.message();
}

TEST_F(HandshakeTest, LowOrderEphemeralKeyRefused) {
  Bytes hello = record(1, 2).hello;
  std::fill(hello.begin() + 33, hello.end(), 0);  // the identity point
  auto r = responder();
  Status st = r->receivedBytes(hello);
  EXPECT_TRUE(r->failed());
  EXPECT_NE(st.message().find("ephemeral"), std::string::npos) << st.message();
}

TEST_F(HandshakeTest, TruncatedMessagesWaitAndExtraBytesCarryOver) {
  Transcript t = record(1, 2);
  auto i = initiator(1);
  auto r = responder(2);
  drain(*i);
  // Each message but its last byte: neither side finishes nor fails.
  ASSERT_TRUE(r->receivedBytes(ByteView(t.hello).first(t.hello.size() - 1)).isOk());
  EXPECT_FALSE(r->done() || r->failed());
  EXPECT_TRUE(r->bytesToSend().empty());
  ASSERT_TRUE(r->receivedBytes(ByteView(t.hello).last(1)).isOk());
  EXPECT_TRUE(sameBytes(r->bytesToSend(), t.reply));
  ASSERT_TRUE(i->receivedBytes(ByteView(t.reply).first(t.reply.size() - 1)).isOk());
  EXPECT_FALSE(i->done() || i->failed());
  // The last reply byte arrives together with the responder's first frames.
  Bytes tail = {t.reply.back(), 0xaa, 0xbb, 0xcc};
  ASSERT_TRUE(i->receivedBytes(tail).isOk());
  EXPECT_TRUE(i->done());
  EXPECT_EQ(i->takeSurplus(), (Bytes{0xaa, 0xbb, 0xcc}));
  EXPECT_TRUE(i->takeSurplus().empty());  // handed over once
}

TEST_F(HandshakeTest, WholeInitiatorStreamInOneChunk) {
  // With the same seeds the responder's reply is the recorded one, so the
  // initiator's hello, proof and first frame bytes can arrive in one read.
  Transcript t = record(1, 2);
  Bytes all = t.hello;
  all.insert(all.end(), t.proof.begin(), t.proof.end());
  Bytes frames(300, 0x5a);
  all.insert(all.end(), frames.begin(), frames.end());
  auto r = responder(2);
  ASSERT_TRUE(r->receivedBytes(all).isOk()) << r->status().message();
  EXPECT_TRUE(r->done());
  EXPECT_EQ(r->peerKey(), alice_->publicKey());
  EXPECT_EQ(r->takeSurplus(), frames);
  EXPECT_TRUE(sameBytes(r->bytesToSend(), t.reply));  // still owed to the peer
}

TEST_F(HandshakeTest, ReplyFromAnotherSessionRefused) {
  Transcript other = record(3, 4);
  auto i = initiator(1);  // a different ephemeral key than in `other`
  Status st = i->receivedBytes(other.reply);
  EXPECT_TRUE(i->failed());
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
}

TEST_F(HandshakeTest, ProofFromAnotherSessionRefused) {
  // An eavesdropper replays a recorded hello to a responder (which picks a
  // fresh ephemeral key), then the recorded proof.
  Transcript old = record(1, 2);
  auto r = responder(99);
  ASSERT_TRUE(r->receivedBytes(old.hello).isOk());
  Status st = r->receivedBytes(old.proof);
  EXPECT_TRUE(r->failed());
  EXPECT_FALSE(st.isOk());
}

TEST_F(HandshakeTest, ReplySignedByAnotherKeyRefused) {
  // Carol answers with the same ephemeral key as Bob would, signs with her
  // key, and claims Bob's identity.
  auto i = initiator(1);
  auto carolR = make(Role::kResponder, *carol_, 2, network_);
  ASSERT_TRUE(carolR->receivedBytes(drain(*i)).isOk());
  Bytes reply = drain(*carolR);
  std::copy(bob_->publicKey().begin(), bob_->publicKey().end(), reply.begin() + 65);
  EXPECT_FALSE(i->receivedBytes(reply).isOk());
  EXPECT_TRUE(i->failed());
}

TEST_F(HandshakeTest, ProofSignedByAnotherKeyRefused) {
  Transcript t = record(1, 2);
  auto carolI = make(Role::kInitiator, *carol_, 1, network_);
  drain(*carolI);
  ASSERT_TRUE(carolI->receivedBytes(t.reply).isOk());  // same ephemerals as `t`
  Bytes proof = drain(*carolI);
  std::copy(alice_->publicKey().begin(), alice_->publicKey().end(), proof.begin());
  auto r = responder(2);
  ASSERT_TRUE(r->receivedBytes(t.hello).isOk());
  EXPECT_FALSE(r->receivedBytes(proof).isOk());
  EXPECT_TRUE(r->failed());
}

TEST_F(HandshakeTest, RelayCannotClaimTheSessionAsItsOwn) {
  // Carol relays Alice's hello and Bob's reply unchanged, then replaces
  // Alice's proof with her own key and a signature over everything she has
  // seen. Without the session keys she cannot compute what Bob checks, so
  // Bob never believes that Alice's session is Carol's.
  Transcript t = record(1, 2);
  const PublicKey& carol = carol_->publicKey();
  Bytes seen = concat({view("initiator"), t.hello, t.reply, carol});
  Bytes proof(carol.begin(), carol.end());
  Signature sig = carol_->sign(kHandshakeDomain, blake2b256(seen));
  proof.insert(proof.end(), sig.begin(), sig.end());
  auto r = responder(2);
  ASSERT_TRUE(r->receivedBytes(t.hello).isOk());
  EXPECT_FALSE(r->receivedBytes(proof).isOk());
  EXPECT_TRUE(r->failed());
}

TEST_F(HandshakeTest, FailureIsFinal) {
  Transcript t = record(1, 2);
  Bytes bad = t.reply;
  bad.back() ^= 1;
  auto i = initiator(1);
  Status first = i->receivedBytes(bad);
  ASSERT_FALSE(first.isOk());
  Status again = i->receivedBytes(t.reply);  // even the genuine reply
  EXPECT_EQ(again.message(), first.message());
  EXPECT_TRUE(i->failed());
  EXPECT_TRUE(i->bytesToSend().empty());
}

TEST_F(HandshakeTest, BytesAfterDoneAreRefusedWithoutHarm) {
  auto i = initiator();
  auto r = responder();
  pump(*i, *r, [] { return size_t{500}; });
  ASSERT_TRUE(i->done());
  Bytes more = {1, 2, 3};
  EXPECT_EQ(i->receivedBytes(more).code(), Status::Code::kRefused);
  EXPECT_TRUE(i->done());
  EXPECT_TRUE(i->takeSurplus().empty());
}

TEST_F(HandshakeTest, HandshakeSignaturesAreNotEntrySignatures) {
  // The domains differ, so nothing signed here verifies as an entry.
  EXPECT_NE(kHandshakeDomain, std::string_view("allmenning/entry/v1"));
  Hash h = blake2b256(view("transcript"));
  Signature sig = alice_->sign(kHandshakeDomain, h);
  EXPECT_TRUE(verifySignature(alice_->publicKey(), kHandshakeDomain, h, sig));
  EXPECT_FALSE(verifySignature(alice_->publicKey(), "allmenning/entry/v1", h, sig));
}

}  // namespace
}  // namespace allmenning
