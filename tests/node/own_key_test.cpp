// The database knows its own key: another node's key file put into a home
// is refused at open, naming both keys, and nothing is written; a database
// made before the key was recorded adopts only a key its state agrees with.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>

#include "node/home.h"
#include "node/node.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

namespace fs = std::filesystem;
using testing::readFile;
using testing::TempDir;

// Deletes the recorded author key from the database in `db`, as in a
// database made before it was recorded.
void forgetRecordedKey(const std::string& db) {
  rocksdb::Options options;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, db, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, db, families, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> owned(raw);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "meta") {
      rocksdb::WriteOptions sync;
      sync.sync = true;
      EXPECT_TRUE(raw->Delete(sync, handles[i], "author").ok());
    }
  }
  for (auto* h : handles) EXPECT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
}

class OwnKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    idA_ = initHome(homeA(), "Lom kommune");
    idB_ = initHome(homeB(), "Vågå kommune");
    keyA_ = readFile(homeA() + "/key");
  }

  std::string homeA() const { return dir_ / "a"; }
  std::string homeB() const { return dir_ / "b"; }

  PublicKey initHome(const std::string& home, const std::string& name) {
    InitOptions o;
    o.config.name = name;
    EXPECT_TRUE(Node::init(home, o, clock_).isOk());
    auto node = Node::open(home, clock_);
    EXPECT_TRUE(node.isOk()) << node.status().message();
    return node.isOk() ? (*node)->id() : PublicKey{};
  }

  // Puts `key` (the bytes of a key file) in place of home A's key file.
  void putKey(const std::string& key) {
    fs::remove(homeA() + "/key");
    ASSERT_TRUE(writeFileAtomic(homeA() + "/key", key, 0600).isOk());
  }

  // The author key the database of home A records.
  std::optional<PublicKey> recordedKey() {
    auto store = Store::open(homeA() + "/db", networkId("allmenning"), Store::Mode::kExisting);
    EXPECT_TRUE(store.isOk()) << store.status().message();
    if (!store.isOk()) return std::nullopt;
    auto key = (*store)->authorKey();
    EXPECT_TRUE(key.isOk());
    return key.isOk() ? *key : std::nullopt;
  }

  // Opening home A with B's key is refused, says why, and names both keys.
  void expectRefusedWithB(const std::string& why) {
    auto n = Node::open(homeA(), clock_);
    ASSERT_FALSE(n.isOk());
    std::string m = n.status().message();
    EXPECT_EQ(n.status().code(), Status::Code::kRefused) << m;
    EXPECT_NE(m.find(toHex(idB_) + ", which is not this node's key"), std::string::npos) << m;
    EXPECT_NE(m.find(why), std::string::npos) << m;
    EXPECT_NE(m.find(toHex(idA_)), std::string::npos) << m;
    EXPECT_NE(m.find("nothing was written"), std::string::npos) << m;
  }

  // Home A with its own key: B is neither trusted nor stored, and A's log
  // is as init left it.
  void expectUntouched() {
    putKey(keyA_);
    auto node = Node::open(homeA(), clock_);
    ASSERT_TRUE(node.isOk()) << node.status().message();
    EXPECT_EQ((*node)->trustOf(idB_), "not trusted");
    EXPECT_EQ((*node)->store().head(idB_)->seq, 0u);
    EXPECT_EQ((*node)->store().head(idA_)->seq, 1u);
  }

  TempDir dir_;
  int64_t now_ = 1700000000000;
  Clock clock_ = [this] { return ++now_; };
  PublicKey idA_{}, idB_{};
  std::string keyA_;
};

TEST_F(OwnKeyTest, InitRecordsTheKey) { EXPECT_EQ(recordedKey(), idA_); }

TEST_F(OwnKeyTest, AnotherNodesKeyIsRefusedNamingBothAndNothingIsWritten) {
  std::string intent = readFile(homeA() + "/intent");
  putKey(readFile(homeB() + "/key"));
  expectRefusedWithB("was created by key " + toHex(idA_));
  EXPECT_EQ(readFile(homeA() + "/intent"), intent);
  EXPECT_EQ(recordedKey(), idA_);
  expectUntouched();
}

// The intent is the strongest evidence: the last batch this home signed.
// Without it, the database must hold the key's log and trust the key.
TEST_F(OwnKeyTest, AnOlderDatabaseAdoptsOnlyAKeyItsStateAgreesWith) {
  forgetRecordedKey(homeA() + "/db");
  std::string intent = readFile(homeA() + "/intent");
  putKey(readFile(homeB() + "/key"));
  expectRefusedWithB("are signed by key " + toHex(idA_));
  fs::remove(homeA() + "/intent");
  {
    auto n = Node::open(homeA(), clock_);
    ASSERT_FALSE(n.isOk());
    EXPECT_NE(n.status().message().find("holds no entry of this key"), std::string::npos)
        << n.status().message();
  }
  EXPECT_FALSE(recordedKey().has_value()) << "a refused key must not be recorded";

  testing::writeFile(homeA() + "/intent", intent);
  expectUntouched();
  EXPECT_EQ(recordedKey(), idA_) << "the agreeing key is recorded at its first open";
  putKey(readFile(homeB() + "/key"));
  expectRefusedWithB("was created by key " + toHex(idA_));
}

}  // namespace
}  // namespace allmenning
