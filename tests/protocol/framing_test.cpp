// Frames: sealing and opening, the size limit, tampering, order and replay,
// and two Transports talking through a seeded, randomly chunking channel.
#include "protocol/framing.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <deque>
#include <memory>
#include <random>

#include "tests/test_util.h"

namespace allmenning {
namespace {

// A deterministic RandomFill, so a run can be repeated byte for byte.
RandomFill seeded(uint64_t seed) { return testing::seededRandom(seed); }

Secret32 keyFrom(uint64_t seed) {
  Secret32 key;
  seeded(seed)(std::span<uint8_t>(key.data(), Secret32::kSize));
  return key;
}

Bytes randomBytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Bytes concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

class FramingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initCrypto().isOk()); }

  Bytes seal(ByteView plaintext) {
    Result<Bytes> frame = encoder_.seal(plaintext);
    EXPECT_TRUE(frame.isOk()) << frame.status().message();
    return frame.isOk() ? *frame : Bytes{};
  }
  Bytes header() const { return Bytes(encoder_.header().begin(), encoder_.header().end()); }

  Secret32 key_ = keyFrom(1);
  FrameEncoder encoder_{key_, seeded(2)};
};

TEST_F(FramingTest, RoundTripOfManySizesInRandomChunks) {
  std::mt19937_64 rng(42);
  std::vector<Bytes> sent;
  for (size_t n : {size_t{0}, size_t{1}, kMaxFramePlaintext, size_t{0}})
    sent.push_back(Bytes(n, 7));
  for (int k = 0; k < 60; ++k) sent.push_back(randomBytes(rng, rng() % 5000));
  Bytes wire = header();
  for (const Bytes& m : sent) {
    Bytes f = seal(m);
    EXPECT_EQ(f.size(), kFrameLengthBytes + m.size() + kFrameTagBytes);
    wire.insert(wire.end(), f.begin(), f.end());
  }
  FrameDecoder decoder(key_);
  std::vector<Bytes> got;
  for (size_t pos = 0; pos < wire.size();) {
    size_t n = std::min<size_t>(1 + rng() % 70000, wire.size() - pos);
    auto out = decoder.receivedBytes(ByteView(wire).subspan(pos, n));
    ASSERT_TRUE(out.isOk()) << out.status().message();
    got.insert(got.end(), out->begin(), out->end());
    EXPECT_LE(decoder.bufferedBytes(), kFrameLengthBytes + kMaxFrameCiphertext);
    pos += n;
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(decoder.bufferedBytes(), 0u);
}

TEST_F(FramingTest, OneByteAtATime) {
  Bytes wire = concat({header(), seal(view("hei")), seal(view("")), seal(view("på deg"))});
  FrameDecoder decoder(key_);
  std::vector<Bytes> got;
  for (uint8_t b : wire) {
    auto out = decoder.receivedBytes(ByteView(&b, 1));
    ASSERT_TRUE(out.isOk());
    got.insert(got.end(), out->begin(), out->end());
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(asChars(got[2]), "på deg");
}

TEST_F(FramingTest, OversizedMessageRefusedAtSealWithoutHarm) {
  Bytes big(kMaxFramePlaintext + 1);
  Result<Bytes> frame = encoder_.seal(big);
  EXPECT_FALSE(frame.isOk());
  EXPECT_EQ(frame.status().code(), Status::Code::kInvalidInput);
  // The stream did not advance: the next frame still opens as the first.
  FrameDecoder decoder(key_);
  auto out = decoder.receivedBytes(concat({header(), seal(view("next"))}));
  ASSERT_TRUE(out.isOk());
  ASSERT_EQ(out->size(), 1u);
}

TEST_F(FramingTest, HugeLengthRefusedAfterFourBytes) {
  FrameDecoder decoder(key_);
  ASSERT_TRUE(decoder.receivedBytes(header()).isOk());
  Bytes length = {0xff, 0xff, 0xff, 0xff};  // 4 GiB
  ASSERT_TRUE(decoder.receivedBytes(ByteView(length).first(3)).isOk());
  EXPECT_FALSE(decoder.failed());
  auto out = decoder.receivedBytes(ByteView(length).last(1));
  EXPECT_FALSE(out.isOk());
  EXPECT_TRUE(decoder.failed());
  EXPECT_NE(out.status().message().find("exceeds"), std::string::npos);
  EXPECT_EQ(decoder.bufferedBytes(), 0u);  // nothing was reserved for the body
}

TEST_F(FramingTest, LengthJustOverTheLimitOrUnderTheTagRefused) {
  for (uint32_t n : {uint32_t(kMaxFrameCiphertext + 1), uint32_t(kFrameTagBytes - 1), 0u}) {
    FrameDecoder decoder(key_);
    Bytes wire = header();
    for (int i = 3; i >= 0; --i) wire.push_back(static_cast<uint8_t>(n >> (8 * i)));
    EXPECT_FALSE(decoder.receivedBytes(wire).isOk()) << n;
  }
}

TEST_F(FramingTest, EveryTamperedByteRefused) {
  Bytes frame = seal(view("a message worth protecting"));
  Bytes h = header();
  // Ciphertext and tag bytes: the frame fails to authenticate.
  for (size_t pos = kFrameLengthBytes; pos < frame.size(); ++pos) {
    Bytes bad = frame;
    bad[pos] ^= 0x04;
    FrameDecoder decoder(key_);
    EXPECT_FALSE(decoder.receivedBytes(concat({h, bad})).isOk()) << "byte " << pos;
  }
  // Stream header bytes: the stream opens with the wrong subkey or nonce.
  for (size_t pos = 0; pos < h.size(); ++pos) {
    Bytes bad = h;
    bad[pos] ^= 0x04;
    FrameDecoder decoder(key_);
    EXPECT_FALSE(decoder.receivedBytes(concat({bad, frame})).isOk()) << "header byte " << pos;
  }
}

TEST_F(FramingTest, ShorterLengthRefusedLongerLengthWaits) {
  Bytes frame = seal(view("abc"));
  Bytes shorter = frame, longer = frame;
  shorter[3] -= 1;
  longer[3] += 1;
  FrameDecoder a(key_), b(key_);
  EXPECT_FALSE(a.receivedBytes(concat({header(), shorter})).isOk());
  auto out = b.receivedBytes(concat({header(), longer}));
  ASSERT_TRUE(out.isOk());  // one byte short of what it announced
  EXPECT_TRUE(out->empty());
  Bytes extra = {0};
  EXPECT_FALSE(b.receivedBytes(extra).isOk());
}

TEST_F(FramingTest, TruncatedFrameWaits) {
  Bytes frame = seal(view("whole"));
  FrameDecoder decoder(key_);
  auto out = decoder.receivedBytes(concat({header(), ByteView(frame).first(frame.size() - 1)}));
  ASSERT_TRUE(out.isOk());
  EXPECT_TRUE(out->empty());
  EXPECT_FALSE(decoder.failed());
  out = decoder.receivedBytes(ByteView(frame).last(1));
  ASSERT_TRUE(out.isOk());
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ(asChars((*out)[0]), "whole");
}

TEST_F(FramingTest, ReorderedFramesRefused) {
  Bytes first = seal(view("first")), second = seal(view("second"));
  FrameDecoder decoder(key_);
  EXPECT_FALSE(decoder.receivedBytes(concat({header(), second, first})).isOk());
}

TEST_F(FramingTest, DroppedFrameRefused) {
  seal(view("lost"));
  Bytes next = seal(view("next"));
  FrameDecoder decoder(key_);
  EXPECT_FALSE(decoder.receivedBytes(concat({header(), next})).isOk());
}

TEST_F(FramingTest, ReplayedFrameRefused) {
  Bytes frame = seal(view("once"));
  FrameDecoder decoder(key_);
  auto out = decoder.receivedBytes(concat({header(), frame}));
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out->size(), 1u);
  EXPECT_FALSE(decoder.receivedBytes(frame).isOk());
}

TEST_F(FramingTest, FrameFromAnotherSessionRefused) {
  // Same key, another stream (header): the first frame does not open.
  FrameEncoder otherStream(key_, seeded(3));
  Bytes foreign = *otherStream.seal(view("hello"));
  FrameDecoder a(key_);
  EXPECT_FALSE(a.receivedBytes(concat({header(), foreign})).isOk());
  // Another key with its own header: refused too.
  Secret32 otherKey = keyFrom(9);
  FrameEncoder otherSession(otherKey, seeded(2));
  Bytes wire = concat({otherSession.header(), *otherSession.seal(view("hello"))});
  FrameDecoder b(key_);
  EXPECT_FALSE(b.receivedBytes(wire).isOk());
}

TEST_F(FramingTest, WrongKeyRefused) {
  Secret32 wrong = keyFrom(5);
  FrameDecoder decoder(wrong);
  EXPECT_FALSE(decoder.receivedBytes(concat({header(), seal(view("x"))})).isOk());
}

TEST_F(FramingTest, FinalTagRefused) {
  // A stream built directly with libsodium, ending with TAG_FINAL.
  crypto_secretstream_xchacha20poly1305_state st;
  Bytes h(crypto_secretstream_xchacha20poly1305_HEADERBYTES);
  crypto_secretstream_xchacha20poly1305_init_push(&st, h.data(), key_.data());
  Bytes ct(1 + kFrameTagBytes);
  uint8_t m = 'x';
  crypto_secretstream_xchacha20poly1305_push(&st, ct.data(), nullptr, &m, 1, nullptr, 0,
                                             crypto_secretstream_xchacha20poly1305_TAG_FINAL);
  Bytes wire = concat({h, Bytes{0, 0, 0, static_cast<uint8_t>(ct.size())}, ct});
  FrameDecoder decoder(key_);
  auto out = decoder.receivedBytes(wire);
  EXPECT_FALSE(out.isOk());
  EXPECT_NE(out.status().message().find("tag"), std::string::npos);
}

TEST_F(FramingTest, FailureIsSticky) {
  Bytes good = seal(view("good"));
  Bytes bad = good;
  bad.back() ^= 1;
  FrameDecoder decoder(key_);
  auto first = decoder.receivedBytes(concat({header(), bad}));
  ASSERT_FALSE(first.isOk());
  auto again = decoder.receivedBytes(good);
  EXPECT_FALSE(again.isOk());
  EXPECT_EQ(again.status().message(), first.status().message());
  EXPECT_FALSE(decoder.receivedBytes({}).isOk());
  EXPECT_EQ(decoder.bufferedBytes(), 0u);
}

// ---- Transport -------------------------------------------------------------

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initCrypto().isOk()); }

  std::unique_ptr<Transport> make(Handshake::Role role, const SecretKey& key, uint64_t seed,
                                  const Hash& network) {
    return std::make_unique<Transport>(role, key, network, PeerPolicy{}, seeded(seed));
  }

  std::unique_ptr<SecretKey> alice_ = SecretKey::generate();
  std::unique_ptr<SecretKey> bob_ = SecretKey::generate();
  Hash network_ = networkId("test");
};

// One end of the simulated connection: its transport, what it still wants
// to send once ready, and everything it received.
struct End {
  std::unique_ptr<Transport> t;
  std::deque<Bytes> toSend;
  std::vector<Bytes> received;
  Bytes wire{};  // taken from t, not yet delivered
};

// Moves a random-size piece of `from`'s output to `to`. Returns false when
// `from` had nothing to send.
bool deliver(End& from, End& to, std::mt19937_64& rng) {
  Bytes more = from.t->takeBytesToSend();
  from.wire.insert(from.wire.end(), more.begin(), more.end());
  const Bytes& pending = from.wire;
  if (pending.empty()) return false;
  // Mostly small pieces, sometimes everything at once.
  size_t n = rng() % 4 == 0 ? pending.size() : std::min<size_t>(1 + rng() % 300, pending.size());
  Bytes piece(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
  from.wire.erase(from.wire.begin(), from.wire.begin() + static_cast<std::ptrdiff_t>(n));
  auto out = to.t->receivedBytes(piece);
  EXPECT_TRUE(out.isOk()) << out.status().message();
  if (out.isOk()) to.received.insert(to.received.end(), out->begin(), out->end());
  return true;
}

// Each ready end queues its next message now and then.
void maybeSend(End& e, std::mt19937_64& rng) {
  if (!e.t->ready() || e.toSend.empty() || rng() % 3 != 0) return;
  EXPECT_TRUE(e.t->send(e.toSend.front()).isOk());
  e.toSend.pop_front();
}

TEST_F(TransportTest, BidirectionalOverRandomChunkingFor50Seeds) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    End a{make(Handshake::Role::kInitiator, *alice_, seed * 4 + 1, network_), {}, {}};
    End b{make(Handshake::Role::kResponder, *bob_, seed * 4 + 2, network_), {}, {}};
    EXPECT_EQ(b.t->send(view("too early")).code(), Status::Code::kRefused);
    std::vector<Bytes> fromA, fromB;
    for (int k = 0; k < 20; ++k) {
      fromA.push_back(randomBytes(rng, rng() % 10 == 0 ? rng() % 70000 : rng() % 200));
      fromB.push_back(randomBytes(rng, rng() % 10 == 0 ? rng() % 70000 : rng() % 200));
    }
    a.toSend.assign(fromA.begin(), fromA.end());
    b.toSend.assign(fromB.begin(), fromB.end());
    for (int step = 0; step < 1000000; ++step) {
      maybeSend(a, rng);
      maybeSend(b, rng);
      bool aFirst = rng() % 2 == 0;
      bool moved = aFirst ? deliver(a, b, rng) : deliver(b, a, rng);
      moved = (aFirst ? deliver(b, a, rng) : deliver(a, b, rng)) || moved;
      if (!moved && a.toSend.empty() && b.toSend.empty() && a.t->ready() && b.t->ready()) break;
      ASSERT_FALSE(a.t->failed() || b.t->failed()) << "seed " << seed;
    }
    ASSERT_TRUE(a.t->ready() && b.t->ready()) << "seed " << seed;
    EXPECT_EQ(a.t->peerKey(), bob_->publicKey());
    EXPECT_EQ(b.t->peerKey(), alice_->publicKey());
    EXPECT_EQ(b.received, fromA) << "seed " << seed;
    EXPECT_EQ(a.received, fromB) << "seed " << seed;
  }
}

TEST_F(TransportTest, FirstFrameRidesBehindTheProof) {
  auto a = make(Handshake::Role::kInitiator, *alice_, 1, network_);
  auto b = make(Handshake::Role::kResponder, *bob_, 2, network_);
  auto move = [](Transport& from, Transport& to) {
    Bytes bytes = from.takeBytesToSend();
    return to.receivedBytes(bytes);
  };
  ASSERT_TRUE(move(*a, *b).isOk());  // hello
  ASSERT_TRUE(move(*b, *a).isOk());  // reply + b's stream header
  ASSERT_TRUE(a->ready());
  ASSERT_TRUE(a->send(view("first")).isOk());
  auto got = move(*a, *b);  // proof + a's stream header + frame, in one read
  ASSERT_TRUE(got.isOk()) << got.status().message();
  EXPECT_TRUE(b->ready());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(asChars((*got)[0]), "first");
}

TEST_F(TransportTest, SameSeedsGiveSameWireBytes) {
  auto run = [&] {
    auto a = make(Handshake::Role::kInitiator, *alice_, 1, network_);
    auto b = make(Handshake::Role::kResponder, *bob_, 2, network_);
    Bytes wire;
    for (int i = 0; i < 3; ++i) {
      for (auto [from, to] : {std::pair{a.get(), b.get()}, std::pair{b.get(), a.get()}}) {
        if (from->ready()) {
          EXPECT_TRUE(from->send(view("ping")).isOk());
        }
        Bytes bytes = from->takeBytesToSend();
        EXPECT_TRUE(to->receivedBytes(bytes).isOk());
        wire.insert(wire.end(), bytes.begin(), bytes.end());
      }
    }
    return wire;
  };
  EXPECT_EQ(run(), run());
}

TEST_F(TransportTest, TamperedFrameEndsTheSession) {
  auto a = make(Handshake::Role::kInitiator, *alice_, 1, network_);
  auto b = make(Handshake::Role::kResponder, *bob_, 2, network_);
  for (int i = 0; i < 3; ++i) {
    for (auto [from, to] : {std::pair{a.get(), b.get()}, std::pair{b.get(), a.get()}}) {
      Bytes bytes = from->takeBytesToSend();
      ASSERT_TRUE(to->receivedBytes(bytes).isOk());
    }
  }
  ASSERT_TRUE(a->ready() && b->ready());
  ASSERT_TRUE(a->send(view("payload")).isOk());
  Bytes frame = a->takeBytesToSend();
  frame[6] ^= 1;
  EXPECT_FALSE(b->receivedBytes(frame).isOk());
  EXPECT_TRUE(b->failed());
  EXPECT_FALSE(b->send(view("after")).isOk());
  EXPECT_EQ(b->queuedBytes(), 0u);
}

TEST_F(TransportTest, OtherNetworkFailsTheHandshake) {
  auto a = make(Handshake::Role::kInitiator, *alice_, 1, network_);
  auto b = make(Handshake::Role::kResponder, *bob_, 2, networkId("other"));
  Bytes hello = a->takeBytesToSend();
  auto out = b->receivedBytes(hello);
  EXPECT_FALSE(out.isOk());
  EXPECT_TRUE(b->failed());
  EXPECT_NE(out.status().message().find("network"), std::string::npos);
}

}  // namespace
}  // namespace allmenning
