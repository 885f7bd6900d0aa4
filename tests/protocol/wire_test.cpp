// Sync messages: every kind round-trips, and hostile bytes give a Status,
// never an exception or a crash.
#include "protocol/wire.h"

#include <gtest/gtest.h>

#include "protocol/capnp_util.h"
#include "protocol/crypto.h"
#include "protocol/entry.h"
#include "protocol/records.h"
#include "protocol/schema/wire.capnp.h"

namespace allmenning {
namespace {

Hash filled(uint8_t b) {
  Hash h;
  h.fill(b);
  return h;
}

WireEntry sampleEntry(uint64_t seq) {
  EXPECT_TRUE(initCrypto().isOk());
  auto key = SecretKey::generate();
  Header h;
  h.network = networkId("test");
  h.author = key->publicKey();
  h.seq = seq;
  Entry e = signEntry(*key, h, encodeRetract({"a-case", false}));
  return WireEntry{e.headerBytes, e.signature, e.payload};
}

std::vector<Message> samples() {
  WireEntry e = sampleEntry(1);
  WireEntry erased = sampleEntry(2);
  erased.payload.reset();
  return {
      Hello{kProtocolVersion, filled(7), true},
      Heads{},
      Heads{{{filled(1), 3, filled(2)}, {filled(3), 0, filled(0)}}},
      Want{filled(4), 5, 9},
      Entries{{e, erased}},
      ForkProof{{e.header, e.signature}, {erased.header, erased.signature}},
      PeerError{ErrorCode::kBadEntry, "signature does not verify"},
      Ping{42},
      Pong{43},
      UnknownMessage{200},
  };
}

TEST(Wire, EveryKindRoundTrips) {
  for (const Message& m : samples()) {
    Bytes bytes = encodeMessage(m);
    auto back = decodeMessage(bytes);
    ASSERT_TRUE(back.isOk()) << messageName(m) << ": " << back.status().message();
    EXPECT_EQ(*back, m) << messageName(m);
    EXPECT_EQ(encodeMessage(*back), bytes) << messageName(m);
  }
}

TEST(Wire, TruncatedAndEmptyInputIsRefused) {
  for (const Message& m : samples()) {
    Bytes bytes = encodeMessage(m);
    for (size_t n = 0; n < bytes.size(); ++n) {
      Bytes cut(bytes.begin(), bytes.begin() + n);
      EXPECT_NO_THROW({
        auto r = decodeMessage(cut);
        EXPECT_FALSE(r.isOk()) << messageName(m) << " cut to " << n;
      });
    }
  }
}

TEST(Wire, MutatedBytesNeverThrow) {
  const std::vector<uint64_t> hostile = {
      0x000400000000000cULL, 0x0000000400000001ULL, 0x0000003d00000005ULL, 0x0000000000000002ULL,
      0x0000000000000003ULL, 0xffffffff00000001ULL, 0x00000001fffffffcULL, 0xffffffffffffffffULL,
  };
  for (const Message& m : samples()) {
    Bytes good = encodeMessage(m);
    for (size_t word = 0; word + 8 <= good.size(); word += 8) {
      for (uint64_t w : hostile) {
        Bytes b = good;
        for (int i = 0; i < 8; ++i) b[word + i] = static_cast<uint8_t>(w >> (8 * i));
        EXPECT_NO_THROW(decodeMessage(b)) << messageName(m) << " word " << word / 8;
      }
    }
    for (size_t i = 0; i < good.size(); ++i) {
      Bytes b = good;
      b[i] ^= 0x5a;
      EXPECT_NO_THROW(decodeMessage(b)) << messageName(m) << " byte " << i;
    }
  }
}

TEST(Wire, OversizedListsAreRefused) {
  Heads heads;
  heads.heads.resize(kMaxHeadsPerMessage + 1);
  auto r = decodeMessage(encodeMessage(heads));
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("limit"), std::string::npos);

  heads.heads.resize(kMaxHeadsPerMessage);
  EXPECT_TRUE(decodeMessage(encodeMessage(heads)).isOk());

  Entries entries;
  entries.entries.assign(kMaxEntriesPerMessage + 1, sampleEntry(1));
  EXPECT_FALSE(decodeMessage(encodeMessage(entries)).isOk());

  EXPECT_FALSE(decodeMessage(encodeMessage(PeerError{ErrorCode::kBadMessage,
                                                     std::string(kMaxErrorTextBytes + 1, 'x')}))
                   .isOk());
}

// Found by fuzz_wire: a peer's Error text holding a NUL decoded whole but
// re-encoded cut at the NUL, so one decoded value had two encodings.
TEST(Wire, ErrorTextWithNulRoundTrips) {
  PeerError error{ErrorCode::kBadEntry, std::string("entry r\0efused", 14)};
  auto back = decodeMessage(encodeMessage(error));
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(std::get<PeerError>(*back), error);
}

// The nesting a message needs to be read and canonicalized whole, found by
// trying limits from 1 up; 0 when none up to 16 will do.
int nestingNeeded(const Bytes& bytes) {
  for (int limit = 1; limit <= 16; ++limit) {
    auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    std::memcpy(words.begin(), bytes.data(), bytes.size());
    kj::ArrayPtr<const capnp::word> segments[1] = {words.asPtr()};
    capnp::ReaderOptions options;
    options.nestingLimit = limit;
    capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1), options);
    try {
      // As CanonicalReader reads it: the canonical-form check, then
      // canonicalize().
      if (!reader.isCanonical()) continue;
      auto root = reader.getRoot<wire::Message>();
      capnp::canonicalize(root);
      return limit;
    } catch (const kj::Exception&) {
    }
  }
  return 0;
}

// kMaxNestingDepth is the nesting the deepest real messages need as the
// decoder reads them, and no more.
TEST(Wire, DeepestMessagesFitTheNestingLimit) {
  Bytes entries = encodeMessage(Entries{{sampleEntry(1)}});
  Bytes fork = encodeMessage(ForkProof{{Bytes(8, 1), {}}, {Bytes(8, 2), {}}});
  Bytes heads = encodeMessage(Heads{{AuthorHead{filled(1), 1, filled(2), true}}});
  EXPECT_EQ(nestingNeeded(entries), kMaxNestingDepth);
  EXPECT_LE(nestingNeeded(fork), kMaxNestingDepth);
  EXPECT_EQ(nestingNeeded(heads), kMaxNestingDepth);
  for (const Message& m : samples()) EXPECT_LE(nestingNeeded(encodeMessage(m)), kMaxNestingDepth);
  EXPECT_TRUE(decodeMessage(entries).isOk());
  EXPECT_TRUE(decodeMessage(fork).isOk());
  EXPECT_TRUE(decodeMessage(heads).isOk());
}

TEST(Wire, OverTheFrameLimitIsRefusedBeforeDecoding) {
  Bytes big(kMaxMessageBytes + 8, 0);
  EXPECT_FALSE(decodeMessage(big).isOk());
}

TEST(Wire, BadWantRangesAreRefused) {
  EXPECT_FALSE(decodeMessage(encodeMessage(Want{filled(1), 0, 3})).isOk());
  EXPECT_FALSE(decodeMessage(encodeMessage(Want{filled(1), 5, 4})).isOk());
  EXPECT_FALSE(decodeMessage(encodeMessage(Want{filled(1), 1, kMaxWantRange + 1})).isOk());
  EXPECT_TRUE(decodeMessage(encodeMessage(Want{filled(1), 1, kMaxWantRange})).isOk());
}

TEST(Wire, WrongSizedKeysAreRefused) {
  WireEntry e = sampleEntry(1);
  Bytes bytes = encodeMessage(Entries{{e}});
  // A header over the limit is refused even when everything else is fine.
  WireEntry big = e;
  big.header.resize(kMaxHeaderBytes + 8, 0);
  EXPECT_FALSE(decodeMessage(encodeMessage(Entries{{big}})).isOk());
  EXPECT_TRUE(decodeMessage(bytes).isOk());
}

TEST(Wire, UnknownKindDecodesAsUnknown) {
  auto r = decodeMessage(encodeMessage(UnknownMessage{77}));
  ASSERT_TRUE(r.isOk()) << r.status().message();
  ASSERT_TRUE(std::holds_alternative<UnknownMessage>(*r));
  EXPECT_EQ(std::get<UnknownMessage>(*r).which, 77);
}

TEST(Wire, LargestEntriesMessageFitsAFrame) {
  // Entries packed up to kMaxEntriesBytes with the largest payloads.
  ASSERT_TRUE(initCrypto().isOk());
  auto key = SecretKey::generate();
  Header h;
  h.network = networkId("test");
  h.author = key->publicKey();
  h.seq = 1;
  Entry e = signEntry(*key, h, Bytes(kMaxPayloadBytes, 1));
  WireEntry w{e.headerBytes, e.signature, e.payload};
  EXPECT_LE(2 * wireEntrySize(w), kMaxEntriesBytes + wireEntrySize(w));
  Bytes bytes = encodeMessage(Entries{{w}});
  EXPECT_LE(bytes.size(), kMaxMessageBytes);
  EXPECT_TRUE(decodeMessage(bytes).isOk());
}

}  // namespace
}  // namespace allmenning
