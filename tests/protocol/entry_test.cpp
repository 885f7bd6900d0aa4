// Entry format: signing, verification, tamper detection and chain placement.
#include "protocol/entry.h"

#include <gtest/gtest.h>

#include <functional>

#include "protocol/capnp_util.h"
#include "protocol/records.h"

namespace allmenning {
namespace {

class EntryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initCrypto().isOk()); }

  Header header(uint64_t seq, Hash prev) const {
    Header h;
    h.network = network_;
    h.author = key_->publicKey();
    h.seq = seq;
    h.prev = prev;
    h.kind = Kind::kRetract;
    h.timestamp = 1700000000000 + static_cast<int64_t>(seq);
    return h;
  }

  Entry make(uint64_t seq, Hash prev, std::string caseId = "a-case") const {
    return signEntry(*key_, header(seq, prev), encodeRetract(RetractRecord{caseId, false}));
  }

  // Rebuilds `e` from a modified header while keeping its old signature.
  static Entry withHeader(const Entry& e, const Header& h) {
    Bytes bytes = encodeHeader(h);
    auto out = entryFromParts(bytes, e.signature, e.payload);
    EXPECT_TRUE(out.isOk()) << out.status().message();
    return *out;
  }

  Hash network_ = networkId("test");
  std::unique_ptr<SecretKey> key_ = SecretKey::generate();
};

TEST_F(EntryTest, SignedEntryVerifiesAndRoundTrips) {
  Entry e = make(1, Hash{});
  ASSERT_TRUE(checkEntry(e, network_).isOk());
  auto decoded = decodeHeader(e.headerBytes);
  ASSERT_TRUE(decoded.isOk()) << decoded.status().message();
  EXPECT_EQ(encodeHeader(*decoded), e.headerBytes);
  auto again = entryFromParts(e.headerBytes, e.signature, e.payload);
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again->hash, e.hash);
  EXPECT_EQ(again->hash, blake2b256(e.headerBytes, e.signature));
  EXPECT_TRUE(checkEntry(*again, network_).isOk());
}

TEST_F(EntryTest, SignatureFromAnotherKeyFails) {
  Entry e = make(1, Hash{});
  auto other = SecretKey::generate();
  Signature forged = other->sign(kEntryDomain, e.headerBytes);
  auto bad = entryFromParts(e.headerBytes, forged, e.payload);
  ASSERT_TRUE(bad.isOk());
  Status st = checkEntry(*bad, network_);
  EXPECT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("signature does not verify"), std::string::npos) << st.message();
}

TEST_F(EntryTest, SignatureIsDomainSeparated) {
  Entry e = make(1, Hash{});
  // The same key signing the same bytes for another purpose must not verify.
  Signature other = key_->sign("allmenning/handshake/v1", e.headerBytes);
  EXPECT_FALSE(verifySignature(key_->publicKey(), kEntryDomain, e.headerBytes, other));
  EXPECT_TRUE(verifySignature(key_->publicKey(), kEntryDomain, e.headerBytes, e.signature));
}

TEST_F(EntryTest, EveryHeaderFieldAlteredFailsVerification) {
  Entry e = make(2, blake2b256(view("previous")));
  const std::vector<std::pair<std::string, std::function<void(Header&)>>> mutations = {
      {"network", [](Header& h) { h.network[0] ^= 1; }},
      {"author", [](Header& h) { h.author[31] ^= 1; }},
      {"seq", [](Header& h) { h.seq += 1; }},
      {"prev", [](Header& h) { h.prev[5] ^= 0x80; }},
      {"kind", [](Header& h) { h.kind = Kind::kCase; }},
      {"timestamp", [](Header& h) { h.timestamp += 1; }},
      {"payloadHash", [](Header& h) { h.payloadHash[0] ^= 1; }},
      {"payloadSize", [](Header& h) { h.payloadSize += 1; }},
  };
  for (const auto& [field, mutate] : mutations) {
    Header h = e.header;
    mutate(h);
    Entry bad = withHeader(e, h);
    Status st = checkEntry(bad, h.network);
    EXPECT_FALSE(st.isOk()) << field;
    EXPECT_NE(st.message().find("signature"), std::string::npos) << field << ": " << st.message();
  }
}

TEST_F(EntryTest, EveryHeaderByteAlteredIsRefused) {
  Entry e = make(3, blake2b256(view("x")));
  for (size_t i = 0; i < e.headerBytes.size(); ++i) {
    Bytes bytes = e.headerBytes;
    bytes[i] ^= 0x01;
    auto bad = entryFromParts(bytes, e.signature, e.payload);
    // Either the bytes no longer decode as a canonical header, or they do
    // and the signature no longer matches.
    if (bad.isOk()) {
      EXPECT_FALSE(checkEntry(*bad, network_).isOk()) << "byte " << i;
    }
  }
}

TEST_F(EntryTest, EverySignatureByteAlteredFails) {
  Entry e = make(1, Hash{});
  for (size_t i = 0; i < e.signature.size(); ++i) {
    Signature s = e.signature;
    s[i] ^= 0x20;
    auto bad = entryFromParts(e.headerBytes, s, e.payload);
    ASSERT_TRUE(bad.isOk());
    EXPECT_FALSE(checkEntry(*bad, network_).isOk()) << "signature byte " << i;
  }
}

TEST_F(EntryTest, EveryPayloadByteAlteredFails) {
  Entry e = make(1, Hash{});
  ASSERT_TRUE(e.payload);
  const Bytes original = *e.payload;
  for (size_t i = 0; i < original.size(); ++i) {
    Bytes altered = original;
    altered[i] ^= 0x01;
    auto bad = entryFromParts(e.headerBytes, e.signature, altered);
    ASSERT_TRUE(bad.isOk());
    Status st = checkEntry(*bad, network_);
    EXPECT_FALSE(st.isOk()) << "payload byte " << i;
    EXPECT_NE(st.message().find("payload hash"), std::string::npos) << st.message();
  }
  Bytes longer = original;
  longer.push_back(0);
  auto bad = entryFromParts(e.headerBytes, e.signature, longer);
  ASSERT_TRUE(bad.isOk());
  EXPECT_FALSE(checkEntry(*bad, network_).isOk());
}

TEST_F(EntryTest, WrongNetworkIsRefused) {
  Entry e = make(1, Hash{});
  Status st = checkEntry(e, networkId("production"));
  EXPECT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("another network"), std::string::npos);
}

TEST_F(EntryTest, SeqZeroAndNonZeroGenesisPrevAreRefused) {
  EXPECT_FALSE(checkEntry(make(0, Hash{}), network_).isOk());
  EXPECT_FALSE(checkEntry(make(1, blake2b256(view("x"))), network_).isOk());
}

TEST_F(EntryTest, OversizedPayloadIsRefusedBeforeHashing) {
  Header h = header(1, Hash{});
  Entry e = signEntry(*key_, h, Bytes(kMaxPayloadBytes + 8, 0));
  Status st = checkEntry(e, network_);
  EXPECT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("exceeds the limit"), std::string::npos) << st.message();
}

TEST_F(EntryTest, ChainPlacement) {
  Entry e1 = make(1, Hash{});
  Entry e2 = make(2, e1.hash);
  Entry e3 = make(3, e2.hash);
  Head empty;
  Head at1{1, e1.hash};
  Head at2{2, e2.hash};

  EXPECT_EQ(placeEntry(empty, e1, std::nullopt), Placement::kNext);
  EXPECT_EQ(placeEntry(at1, e2, std::nullopt), Placement::kNext);
  // A gap: seq 3 while the head is at 1.
  EXPECT_EQ(placeEntry(at1, e3, std::nullopt), Placement::kGap);
  EXPECT_EQ(placeEntry(empty, e2, std::nullopt), Placement::kGap);
  // A wrong prev: seq 2 that does not link to the stored seq 1.
  Entry stray = make(2, blake2b256(view("not e1")));
  EXPECT_EQ(placeEntry(at1, stray, std::nullopt), Placement::kBadPrev);
  // A replay of a stored entry is a duplicate.
  EXPECT_EQ(placeEntry(at2, e2, e2.hash), Placement::kDuplicate);
  // A second, different entry with a stored seq is a fork (equivocation).
  Entry fork = make(2, e1.hash, "another-case");
  ASSERT_NE(fork.hash, e2.hash);
  EXPECT_EQ(placeEntry(at2, fork, e2.hash), Placement::kFork);
  EXPECT_EQ(placeEntry(at2, fork, std::nullopt), Placement::kFork);
}

TEST_F(EntryTest, HeaderDecoderRefusesMalformedBytes) {
  Entry e = make(1, Hash{});
  EXPECT_FALSE(decodeHeader({}).isOk());
  EXPECT_FALSE(decodeHeader(ByteView(e.headerBytes).first(e.headerBytes.size() - 8)).isOk());
  Bytes padded = e.headerBytes;
  padded.insert(padded.end(), 8, 0);  // trailing word: not canonical
  EXPECT_FALSE(decodeHeader(padded).isOk());
  EXPECT_FALSE(decodeHeader(Bytes(kMaxHeaderBytes + 8, 0)).isOk());
  Bytes odd = e.headerBytes;
  odd.push_back(0);
  EXPECT_FALSE(decodeHeader(odd).isOk());
}

TEST_F(EntryTest, SecretKeyRoundTripsAndRejectsDamage) {
  auto copy = SecretKey::fromBytes(key_->secretBytes());
  ASSERT_TRUE(copy.isOk());
  EXPECT_EQ((*copy)->publicKey(), key_->publicKey());
  Bytes damaged(key_->secretBytes().begin(), key_->secretBytes().end());
  damaged[40] ^= 1;
  EXPECT_FALSE(SecretKey::fromBytes(damaged).isOk());
  EXPECT_FALSE(SecretKey::fromBytes(Bytes(10)).isOk());
}

// The secret key sits at the end of a sodium_malloc region, against a guard
// page: a read one byte past it faults instead of leaking what follows.
TEST(SecretKeyDeathTest, ReadPastTheKeyHitsTheGuardPage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto key = SecretKey::generate();
  const volatile uint8_t* p = key->secretBytes().data();
  EXPECT_EQ(p[SecretKey::kSize - 1], key->secretBytes()[SecretKey::kSize - 1]);
  EXPECT_DEATH({ (void)p[SecretKey::kSize]; }, "");
}

}  // namespace
}  // namespace allmenning
