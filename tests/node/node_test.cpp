// Node: init, key file hygiene, seq reservation, and authoring.
#include "node/node.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "tests/protocol/invalid_cases.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using testing::TempDir;

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    InitOptions o;
    o.profile.name = "Skjåk kommune";
    o.profile.kommunenummer = "3433";
    Status st = Node::init(home(), o, clock_);
    ASSERT_TRUE(st.isOk()) << st.message();
  }

  std::string home() const { return dir_ / "home"; }

  std::unique_ptr<Node> open() {
    auto n = Node::open(home(), clock_);
    EXPECT_TRUE(n.isOk()) << n.status().message();
    return n.isOk() ? std::move(*n) : nullptr;
  }

  TempDir dir_;
  int64_t now_ = 1700000000000;
  Clock clock_ = [this] { return ++now_; };
};

TEST_F(NodeTest, InitWritesAPrivateKeyAndAProfileEntry) {
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "home/key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 64);
  auto node = open();
  auto head = node->store().head(node->id());
  ASSERT_TRUE(head.isOk());
  EXPECT_EQ(head->seq, 1u);
  EXPECT_EQ(*node->store().authorName(node->id()).value(), "Skjåk kommune");
}

// `trust add <own key>` without --name used to store an empty name.
TEST_F(NodeTest, TrustingAKeyAgainWithoutANameKeepsItsName) {
  auto node = open();
  ASSERT_TRUE(node->trustKey(node->id(), "").isOk());
  EXPECT_EQ(node->store().trustName(node->id()).value(), "Skjåk kommune");
  PublicKey other{7};
  ASSERT_TRUE(node->trustKey(other, "Lom").isOk());
  ASSERT_TRUE(node->trustKey(other, "").isOk());
  EXPECT_EQ(node->store().trustName(other).value(), "Lom");
  ASSERT_TRUE(node->trustKey(other, "Lom kommune").isOk());
  EXPECT_EQ(node->store().trustName(other).value(), "Lom kommune");
}

TEST_F(NodeTest, InitRefusesToOverwriteANode) {
  auto before = testing::readFile(dir_ / "home/key");
  InitOptions o;
  o.profile.name = "Another";
  Status st = Node::init(home(), o, clock_);
  EXPECT_FALSE(st.isOk());
  EXPECT_EQ(testing::readFile(dir_ / "home/key"), before);
}

TEST_F(NodeTest, InitWithBadConfigWritesNothing) {
  InitOptions o;
  o.profile.name = "Oslo";
  o.profile.orgnr = "958935421";
  Status st = Node::init(dir_ / "other", o, clock_);
  EXPECT_EQ(st.exitCode(), 2);
  EXPECT_NE(st.message().find("MOD11"), std::string::npos) << st.message();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "other/key"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "other/allmenning.toml"));
}

TEST_F(NodeTest, KeyReadableByOthersIsRefusedWithAFix) {
  ::chmod((dir_ / "home/key").c_str(), 0644);
  auto n = Node::open(home(), clock_);
  ASSERT_FALSE(n.isOk());
  EXPECT_NE(n.status().message().find("chmod 600"), std::string::npos) << n.status().message();
}

TEST_F(NodeTest, KeyFileThatIsASymlinkIsRefused) {
  std::filesystem::rename(dir_ / "home/key", dir_ / "real-key");
  std::filesystem::create_symlink(dir_ / "real-key", dir_ / "home/key");
  auto n = Node::open(home(), clock_);
  ASSERT_FALSE(n.isOk());
  EXPECT_NE(n.status().message().find("symbolic link"), std::string::npos);
}

TEST_F(NodeTest, PutUpdateRetractAndUnchanged) {
  auto node = open();
  auto a = node->putCase(testing::caseJson("flom", "development"));
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_EQ(a->seq, 2u);
  auto same = node->putCase(testing::caseJson("flom", "development"));
  ASSERT_TRUE(same.isOk());
  EXPECT_TRUE(same->unchanged);
  EXPECT_EQ(node->store().head(node->id())->seq, 2u);
  auto b = node->putCase(testing::caseJson("flom", "completed"));
  EXPECT_EQ(b->seq, 3u);
  EXPECT_TRUE(node->retractCase(a->key).isOk());
  EXPECT_EQ(node->retractCase(a->key).exitCode(), 1);
  auto shown = node->showCase(a->key, true);
  ASSERT_TRUE(shown.isOk());
  EXPECT_TRUE((*shown)["retracted"].get<bool>());
  EXPECT_EQ((*shown)["history"].size(), 3u);
  EXPECT_EQ((*shown)["record"]["status"], "completed");
}

// Every document of the invalid-case table is refused by `case put` with its
// own message and exit status 2, and the database is byte-for-byte unchanged.
TEST_F(NodeTest, InvalidCaseTableLeavesTheDatabaseUnchanged) {
  auto node = open();
  auto exportOf = [&] {
    std::ostringstream out;
    EXPECT_TRUE(node->exportJsonl(out).isOk());
    return out.str();
  };
  ASSERT_TRUE(node->putCase(testing::caseJson("existing")).isOk());
  const std::string before = exportOf();
  const uint64_t head = node->store().head(node->id())->seq;
  const auto table = invalid_cases::badCases();
  ASSERT_GE(table.size(), 30u);
  for (const auto& c : table) {
    auto r = node->putCase(c.input());
    ASSERT_FALSE(r.isOk()) << c.name;
    EXPECT_EQ(r.status().exitCode(), 2) << c.name;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
        << c.name << ": " << r.status().message();
  }
  EXPECT_EQ(node->store().head(node->id())->seq, head);
  EXPECT_EQ(exportOf(), before);
  EXPECT_TRUE(node->verify({}).isOk());
  // The same path does write when the document is valid.
  ASSERT_TRUE(node->putCase(invalid_cases::baseCase().dump()).isOk());
  EXPECT_EQ(node->store().head(node->id())->seq, head + 1);
}

TEST_F(NodeTest, BadCaseIsRefusedAndNothingIsWritten) {
  auto node = open();
  std::string json = testing::caseJson("x");
  json.replace(json.find("\"3433\""), 6, "\"343\"");
  auto r = node->putCase(json);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().exitCode(), 2);
  EXPECT_EQ(node->store().head(node->id())->seq, 1u);
}

TEST_F(NodeTest, CaseRefsAreParsedStrictly) {
  auto node = open();
  EXPECT_TRUE(node->parseCaseRef("flom").isOk());
  EXPECT_TRUE(node->parseCaseRef(toHex(node->id()) + "/flom").isOk());
  EXPECT_EQ(node->parseCaseRef("Flom").status().exitCode(), 2);
  EXPECT_EQ(node->parseCaseRef("abc/flom").status().exitCode(), 2);
  EXPECT_EQ(node->parseCaseRef(toHex(node->id()) + "/").status().exitCode(), 2);
}

// Copies the database aside, so a test can later put it back as it was.
void backupDb(const std::string& home, const std::string& to) {
  std::filesystem::copy(home + "/db", to, std::filesystem::copy_options::recursive);
}
// The files go back into the same folder, as after a crash: a database
// folder replaced by a copy is a restored home, which holds authoring
// (backup_test.cpp).
void restoreDb(const std::string& home, const std::string& from) {
  namespace fs = std::filesystem;
  for (const auto& f : fs::directory_iterator(home + "/db")) fs::remove_all(f.path());
  for (const auto& f : fs::directory_iterator(from)) {
    fs::rename(f.path(), home + "/db/" + f.path().filename().string());
  }
}

// A database one batch behind the intent is what a crash between writing the
// intent and committing it leaves. The node commits the entry it signed then,
// byte for byte, instead of signing that seq again.
TEST_F(NodeTest, IntentOfAnUncommittedBatchIsCommittedNotResigned) {
  backupDb(home(), dir_ / "db-backup");
  Hash signedThen;
  {
    auto node = open();
    ASSERT_TRUE(node->putCase(testing::caseJson("second")).isOk());  // seq 2
    signedThen = node->store().head(node->id())->hash;
  }
  restoreDb(home(), dir_ / "db-backup");
  auto node = open();
  auto r = node->putCase(testing::caseJson("third"));
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->seq, 3u);
  auto e2 = node->store().entry(node->id(), 2);
  ASSERT_TRUE(e2.isOk() && *e2);
  EXPECT_EQ((*e2)->hash, signedThen);
  EXPECT_TRUE(node->showCase(CaseKey{node->id(), "second"}, false).isOk());
  EXPECT_TRUE(node->verify({}).isOk());
}

// A command that runs after such a crash sees the batch as stored: putting
// the same record again (a re-run of an interrupted import, a retried put)
// publishes no second version of it.
TEST_F(NodeTest, BatchSignedBeforeACrashIsLiveForTheNextPut) {
  backupDb(home(), dir_ / "db-backup");
  {
    auto node = open();
    ASSERT_TRUE(node->putCase(testing::caseJson("second")).isOk());  // seq 2
  }
  restoreDb(home(), dir_ / "db-backup");
  auto node = open();
  EXPECT_TRUE(node->showCase(CaseKey{node->id(), "second"}, false).isOk());
  auto r = node->putCase(testing::caseJson("second"));
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_TRUE(r->unchanged);
  EXPECT_EQ(r->seq, 2u);
  EXPECT_EQ(node->store().head(node->id())->seq, 2u);
}

// The intent lives outside the database, so a database restored from an
// older copy, or one that lost entries, is noticed: signing again would fork.
TEST_F(NodeTest, DatabaseMoreThanOneBatchBehindStopsAuthoring) {
  backupDb(home(), dir_ / "db-backup");
  {
    auto node = open();
    ASSERT_TRUE(node->putCase(testing::caseJson("second")).isOk());
    ASSERT_TRUE(node->putCase(testing::caseJson("third")).isOk());
  }
  restoreDb(home(), dir_ / "db-backup");
  auto node = open();
  auto r = node->putCase(testing::caseJson("fourth"));
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("lost entries"), std::string::npos) << r.status().message();
  EXPECT_EQ(node->store().head(node->id())->seq, 1u);
}

TEST_F(NodeTest, DamagedIntentStopsAuthoring) {
  testing::writeFile(dir_ / "home/intent", "allmenning-intent v1\nnot an entry\n");
  auto node = open();
  auto r = node->putCase(testing::caseJson("x"));
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("damaged"), std::string::npos) << r.status().message();
}

TEST_F(NodeTest, MissingDatabaseIsNotRecreated) {
  std::filesystem::remove_all(dir_ / "home/db");
  auto n = Node::open(home(), clock_);
  ASSERT_FALSE(n.isOk());
  EXPECT_NE(n.status().message().find("no database"), std::string::npos) << n.status().message();
}

TEST_F(NodeTest, ChangedNetworkIsRefused) {
  std::string config = testing::readFile(dir_ / "home/allmenning.toml");
  config.replace(config.find("'allmenning'"), 12, "'testnet'");
  testing::writeFile(dir_ / "home/allmenning.toml", config);
  auto n = Node::open(home(), clock_);
  ASSERT_FALSE(n.isOk());
  EXPECT_NE(n.status().message().find("another network"), std::string::npos);
}

TEST_F(NodeTest, InitLeavesAnExistingFolderAlone) {
  std::string shared = dir_ / "shared";
  std::filesystem::create_directories(shared);
  ::chmod(shared.c_str(), 01777);
  InitOptions o;
  o.profile.name = "Lom kommune";
  ASSERT_TRUE(Node::init(shared, o, clock_).isOk());
  struct stat st {};
  ::stat(shared.c_str(), &st);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  // A folder holding only a database is refused and the database kept.
  std::string other = dir_ / "dbonly";
  std::filesystem::create_directories(other + "/db");
  testing::writeFile(other + "/db/CURRENT", "x");
  EXPECT_FALSE(Node::init(other, o, clock_).isOk());
  EXPECT_TRUE(std::filesystem::exists(other + "/db/CURRENT"));
}

TEST(AtomicFileTest, AppearsOnlyWhenCommittedAndLeavesNothingOtherwise) {
  TempDir dir;
  auto count = [&] { return std::distance(std::filesystem::directory_iterator(dir.path()), {}); };
  {
    auto f = AtomicFile::create(dir / "out", 0644);
    ASSERT_TRUE(f.isOk());
    ASSERT_TRUE((*f)->append("half").isOk());
  }  // dropped without commit
  EXPECT_EQ(count(), 0);
  {
    auto f = AtomicFile::create(dir / "out", 0644);
    ASSERT_TRUE(f.isOk());
    ASSERT_TRUE((*f)->append("whole\n").isOk());
    ASSERT_TRUE((*f)->commit().isOk());
  }
  EXPECT_EQ(testing::readFile(dir / "out"), "whole\n");
  EXPECT_EQ(count(), 1);
  // Without replace, an existing file is kept.
  EXPECT_FALSE(writeFileAtomic(dir / "out", "other", 0644, /*replace=*/false).isOk());
  EXPECT_EQ(testing::readFile(dir / "out"), "whole\n");
  EXPECT_EQ(count(), 1);
  // A symlink planted at the target is refused: neither followed nor replaced.
  std::filesystem::create_symlink(dir / "elsewhere", dir / "link");
  Status st = writeFileAtomic(dir / "link", "x", 0644);
  EXPECT_EQ(st.exitCode(), 2) << st.message();
  EXPECT_NE(st.message().find("is a symbolic link; refusing to replace it"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "elsewhere"));
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "link"));
  EXPECT_EQ(count(), 2);
}

// `export --output out.jsonl` names a file in the working directory.
TEST(AtomicFileTest, CommitsABareFileName) {
  TempDir dir;
  auto old = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  Status st = writeFileAtomic("bare.txt", "x", 0644);
  std::filesystem::current_path(old);
  EXPECT_TRUE(st.isOk()) << st.message();
  EXPECT_EQ(testing::readFile(dir / "bare.txt"), "x");
}

}  // namespace
}  // namespace allmenning
