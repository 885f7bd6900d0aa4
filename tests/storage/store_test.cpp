// Store: the single writer path, chain rules at rest, indexes, verify.
#include "storage/store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <thread>

#include "protocol/case_json.h"
#include "protocol/records.h"
#include "storage/keys.h"
#include "storage/verify.h"
#include "tests/storage/store_fixture.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using testing::TempDir;

SearchFilter by(std::string SearchFilter::*field, const std::string& value) {
  SearchFilter f;
  f.*field = value;
  return f;
}

SearchFilter byAuthor(const PublicKey& author) {
  SearchFilter f;
  f.author = author;
  return f;
}

TEST_F(StoreTest, AppliesAChainAndSurvivesReopen) {
  auto r = apply(
      {caseEntry(*alice_, testing::caseJson("a")), caseEntry(*alice_, testing::caseJson("b"))});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].stored() && r[1].stored());
  reopen();
  auto head = store_->head(alice_->publicKey());
  ASSERT_TRUE(head.isOk());
  EXPECT_EQ(head->seq, 2u);
  EXPECT_EQ(head->hash, heads_[alice_->publicKey()].hash);
  auto e = store_->entry(alice_->publicKey(), 1);
  ASSERT_TRUE(e.isOk() && *e && (*e)->payload);
  EXPECT_TRUE(checkEntry(**e, network_).isOk());
}

// A thread holding PinnedReads reads one state while another thread
// writes: verify on a running node neither blocks writers nor sees them.
TEST_F(StoreTest, PinnedReadsSeeOneStateWhileWritersGoOn) {
  apply({caseEntry(*alice_, testing::caseJson("a"))});
  {
    Store::PinnedReads pinned(*store_);
    std::thread writer([&] { apply({caseEntry(*alice_, testing::caseJson("b"))}); });
    writer.join();  // not held off by the pin
    EXPECT_EQ(store_->head(alice_->publicKey())->seq, 1u);
    EXPECT_FALSE(*store_->entry(alice_->publicKey(), 2));
    auto report = verifyStore(*store_, nullptr);
    ASSERT_TRUE(report.isOk()) << report.status().message();
    uint64_t seen = 0;
    std::thread reader([&] { seen = store_->head(alice_->publicKey())->seq; });
    reader.join();
    EXPECT_EQ(seen, 2u) << "another thread's reads were pinned too";
  }
  EXPECT_EQ(store_->head(alice_->publicKey())->seq, 2u);
  EXPECT_TRUE(verifyStore(*store_, nullptr).isOk());
}

TEST_F(StoreTest, GapIsNotStored) {
  Entry e1 = caseEntry(*alice_, testing::caseJson("a"));
  Entry e2 = caseEntry(*alice_, testing::caseJson("b"));
  auto r = apply({e2});
  EXPECT_EQ(r[0].outcome, Outcome::kGap);
  EXPECT_FALSE(r[0].stored());
  EXPECT_EQ(store_->head(alice_->publicKey())->seq, 0u);
  r = apply({e1, e2});
  EXPECT_TRUE(r[0].stored() && r[1].stored());
}

TEST_F(StoreTest, WrongPrevIsRefused) {
  apply({caseEntry(*alice_, testing::caseJson("a"))});
  heads_[alice_->publicKey()].hash[0] ^= 1;  // sign seq 2 over a wrong prev
  auto r = apply({caseEntry(*alice_, testing::caseJson("b"))});
  EXPECT_EQ(r[0].outcome, Outcome::kBadPrev);
  EXPECT_FALSE(r[0].status.isOk());
  EXPECT_EQ(store_->head(alice_->publicKey())->seq, 1u);
}

TEST_F(StoreTest, ForkIsDetectedAndNothingIsOverwritten) {
  Entry first = caseEntry(*alice_, testing::caseJson("a"));
  apply({first});
  heads_[alice_->publicKey()] = Head{};  // sign a second, different seq 1
  Entry second = caseEntry(*alice_, testing::caseJson("other"));
  ASSERT_EQ(second.header.seq, 1u);
  auto r = apply({second, first});
  EXPECT_EQ(r[0].outcome, Outcome::kFork);
  EXPECT_NE(r[0].status.message().find("fork"), std::string::npos);
  ASSERT_TRUE(r[0].fork);  // kept, in the same batch, and the author frozen
  EXPECT_EQ(r[0].fork->a.header, first.headerBytes);
  EXPECT_TRUE(store_->frozen(alice_->publicKey()));
  EXPECT_EQ(r[1].outcome, Outcome::kDuplicate);
  EXPECT_TRUE(r[1].status.isOk());
  EXPECT_EQ(store_->head(alice_->publicKey())->hash, first.hash);
}

TEST_F(StoreTest, InvalidEntriesInABatchDoNotBlockValidOnes) {
  Entry good = caseEntry(*alice_, testing::caseJson("a"));
  Entry forged = caseEntry(*bob_, testing::caseJson("b"));
  forged.signature[0] ^= 1;
  Entry badPayload = next(*alice_, Kind::kCase, Bytes(16, 0));  // signed garbage
  auto r = apply({good, forged, badPayload});
  EXPECT_TRUE(r[0].stored());
  EXPECT_FALSE(r[1].stored());
  EXPECT_NE(r[1].status.message().find("signature"), std::string::npos);
  EXPECT_FALSE(r[2].stored());
  EXPECT_EQ(store_->head(bob_->publicKey())->seq, 0u);
  EXPECT_EQ(store_->head(alice_->publicKey())->seq, 1u);
}

TEST_F(StoreTest, ReplayedEntriesAreDuplicatesAndTamperedCopiesAreInvalid) {
  Entry e = caseEntry(*alice_, testing::caseJson("a"));
  ASSERT_TRUE(apply({e})[0].stored());
  auto r = apply({e});
  EXPECT_EQ(r[0].outcome, Outcome::kDuplicate);
  EXPECT_TRUE(r[0].status.isOk());
  Entry payloadSwapped = e;  // same entry hash: the hash does not cover the payload
  (*payloadSwapped.payload)[0] ^= 1;
  r = apply({payloadSwapped});
  EXPECT_FALSE(r[0].stored());
  EXPECT_NE(r[0].outcome, Outcome::kDuplicate);
  EXPECT_NE(r[0].status.message().find("payload hash"), std::string::npos) << r[0].status.message();
  Entry resigned = e;  // another signature: another entry hash, fully checked
  resigned.signature[0] ^= 1;
  resigned.hash = blake2b256(resigned.headerBytes, resigned.signature);
  r = apply({resigned});
  EXPECT_NE(r[0].status.message().find("signature"), std::string::npos) << r[0].status.message();
  auto stored = store_->entry(alice_->publicKey(), 1);
  ASSERT_TRUE(stored.isOk() && *stored);
  EXPECT_EQ((*stored)->payload, e.payload);
}

TEST_F(StoreTest, IndexesFollowUpdatesAndRetractions) {
  apply({caseEntry(*alice_, testing::caseJson("flood", "development", "emergency", "90700000-4")),
         caseEntry(*alice_,
                   testing::caseJson("school", "completed", "education", "72000000-5", "0301")),
         caseEntry(*bob_,
                   testing::caseJson("road", "completed", "transport", "72212000-4", "5001"))});
  EXPECT_EQ(ids(by(&SearchFilter::cpvPrefix, "72")), (std::vector<std::string>{"road", "school"}));
  EXPECT_EQ(ids(by(&SearchFilter::cpvPrefix, "9070")), (std::vector<std::string>{"flood"}));
  EXPECT_EQ(ids(by(&SearchFilter::status, "completed")),
            (std::vector<std::string>{"road", "school"}));
  EXPECT_EQ(ids(by(&SearchFilter::kommune, "0301")), (std::vector<std::string>{"school"}));
  EXPECT_EQ(ids(byAuthor(bob_->publicKey())), (std::vector<std::string>{"road"}));
  // An update moves the case between index entries, in the same batch too.
  apply({caseEntry(*alice_, testing::caseJson("flood", "implementation")),
         caseEntry(*alice_, testing::caseJson("flood", "completed"))});
  EXPECT_EQ(ids(by(&SearchFilter::status, "development")), std::vector<std::string>{});
  EXPECT_EQ(ids(by(&SearchFilter::status, "implementation")), std::vector<std::string>{});
  EXPECT_EQ(ids(by(&SearchFilter::status, "completed")),
            (std::vector<std::string>{"flood", "road", "school"}));
  auto versions = store_->caseVersions(CaseKey{alice_->publicKey(), "flood"});
  EXPECT_EQ(*versions, (std::vector<uint64_t>{1, 3, 4}));
  // Retraction removes it from every index.
  apply({next(*alice_, Kind::kRetract, encodeRetract({"flood", false}))});
  EXPECT_EQ(ids(by(&SearchFilter::status, "completed")),
            (std::vector<std::string>{"road", "school"}));
  EXPECT_EQ(ids(by(&SearchFilter::sector, "emergency")), std::vector<std::string>{});
  auto state = store_->caseState(CaseKey{alice_->publicKey(), "flood"});
  EXPECT_TRUE(*state && (*state)->retracted);
}

TEST_F(StoreTest, VerifyPassesAndNamesTheFirstTamperedEntry) {
  apply({caseEntry(*alice_, testing::caseJson("a")), caseEntry(*alice_, testing::caseJson("b")),
         caseEntry(*alice_, testing::caseJson("c"))});
  auto ok = verifyStore(*store_);
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  EXPECT_EQ(ok->entries, 3u);
  Hash h2 = store_->entry(alice_->publicKey(), 2)->value().hash;
  tamper([&](rocksdb::DB& db, Handles& cf) {
    auto other = caseFromJson(testing::caseJson("b", "failed"));
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), cf["payloads"], std::string(asChars(h2)),
                       std::string(asChars(*other)))
                    .ok());
  });
  reopen();
  auto bad = verifyStore(*store_);
  ASSERT_FALSE(bad.isOk());
  std::string expected = "entry " + toHex(alice_->publicKey()) + "/2";
  EXPECT_NE(bad.status().message().find(expected), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("payload"), std::string::npos) << bad.status().message();
}

TEST_F(StoreTest, SecondOpenOfTheSameDatabaseIsRefusedClearly) {
  auto second = Store::open(dir_ / "db", network_, Store::Mode::kExisting);
  ASSERT_FALSE(second.isOk());
  EXPECT_NE(second.status().message().find("in use by another process"), std::string::npos)
      << second.status().message();
}

TEST_F(StoreTest, VerifyChecksDerivedStateAgainstTheLogs) {
  apply({caseEntry(*alice_, testing::caseJson("flood", "completed", "emergency", "90700000-4")),
         caseEntry(*alice_, testing::caseJson("gone")),
         next(*alice_, Kind::kRetract, encodeRetract({"gone", false}))});
  auto ok = verifyStore(*store_);
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  EXPECT_EQ(ok->cases, 2u);
  std::string flood = keys::caseKey(alice_->publicKey(), "flood");
  std::string statusKey = keys::index("completed", alice_->publicKey(), "flood");

  tamper([&](rocksdb::DB& db, Handles& cf) { db.Delete({}, cf["idx_status"], statusKey); });
  expectVerifyFails("idx_status holds 0 keys");
  tamper([&](rocksdb::DB& db, Handles& cf) { db.Put({}, cf["idx_status"], statusKey, ""); });
  ASSERT_TRUE(verifyStore(*store_).isOk());

  std::string stale = keys::index("completed", alice_->publicKey(), "gone");
  tamper([&](rocksdb::DB& db, Handles& cf) { db.Put({}, cf["idx_status"], stale, ""); });
  expectVerifyFails("idx_status: unexpected key");
  tamper([&](rocksdb::DB& db, Handles& cf) { db.Delete({}, cf["idx_status"], stale); });

  tamper([&](rocksdb::DB& db, Handles& cf) {
    db.Put({}, cf["cases"], flood, keys::caseValue(1, /*retracted=*/true, 0));
  });
  expectVerifyFails("cases: " + toHex(alice_->publicKey()) + "/flood does not match the log");
}

TEST_F(StoreTest, VerifyFailsOnAMissingPayload) {
  apply({caseEntry(*alice_, testing::caseJson("a"))});
  Hash h1 = store_->entry(alice_->publicKey(), 1)->value().hash;
  tamper([&](rocksdb::DB& db, Handles& cf) {
    db.Delete({}, cf["payloads"], std::string(asChars(h1)));
  });
  expectVerifyFails(toHex(alice_->publicKey()) + "/1: payload is missing");
}

TEST_F(StoreTest, OpeningAMissingDatabaseDoesNotCreateOne) {
  auto missing = Store::open(dir_ / "nothing-here", network_, Store::Mode::kExisting);
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("no database"), std::string::npos)
      << missing.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "nothing-here"));
}

// Refused as such, and the database it found is left as it was.
TEST_F(StoreTest, CreatingOverAnExistingDatabaseIsRefused) {
  ASSERT_TRUE(apply({caseEntry(*alice_, testing::caseJson("a"))})[0].stored());
  store_.reset();
  const std::string dir = dir_ / "db";
  auto created = Store::open(dir, network_, Store::Mode::kCreate);
  ASSERT_FALSE(created.isOk());
  EXPECT_EQ(created.status().code(), Status::Code::kRefused) << created.status().message();
  EXPECT_EQ(created.status().message(),
            "a database already exists in " + dir + "; refusing to create another over it");
  reopen();
  EXPECT_EQ(store_->head(alice_->publicKey())->seq, 1u);
}

TEST_F(StoreTest, OpeningWithAnotherNetworkIsRefused) {
  store_.reset();
  auto other = Store::open(dir_ / "db", networkId("production"), Store::Mode::kExisting);
  ASSERT_FALSE(other.isOk());
  EXPECT_NE(other.status().message().find("another network"), std::string::npos);
}

}  // namespace
}  // namespace allmenning
