// Backup, restore and the authoring hold of a restored or copied home.
#include "node/backup.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/test_util.h"

namespace allmenning {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    InitOptions o;
    o.profile.name = "Skjåk kommune";
    o.profile.kommunenummer = "3433";
    ASSERT_TRUE(Node::init(home(), o, clock_).isOk());
    auto node = open(home());
    ASSERT_TRUE(node->putCase(testing::caseJson("flom-1")).isOk());  // seq 2
    ASSERT_TRUE(node->putCase(testing::caseJson("flom-2")).isOk());  // seq 3
  }

  std::string home() const { return dir_ / "home"; }

  std::unique_ptr<Node> open(const std::string& h) {
    auto n = Node::open(h, clock_);
    EXPECT_TRUE(n.isOk()) << n.status().message();
    return n.isOk() ? std::move(*n) : nullptr;
  }

  void backup(const std::string& to) {
    auto node = open(home());
    auto r = writeBackup(*node, to);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r->heads.size(), 1u);
    for (const auto& f : fs::directory_iterator(home())) {
      EXPECT_NE(f.path().filename().string().rfind(".backup", 0), 0u) << "snapshot left behind";
    }
  }

  bool held(Node& node) {
    auto hold = node.authoringHold();
    return hold.isOk() && hold->has_value();
  }

  // Flips one byte in the middle of `path`.
  static void damage(const std::string& path) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(fs::file_size(path) / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(fs::file_size(path) / 2));
    c = static_cast<char>(c ^ 0x40);
    f.write(&c, 1);
  }

  TempDir dir_;
  int64_t now_ = 1700000000000;
  Clock clock_ = [this] { return ++now_; };
};

TEST_F(BackupTest, RestoredHomeReadsEverythingAndHoldsAuthoring) {
  backup(dir_ / "bk");
  EXPECT_TRUE(fs::exists(dir_ / "bk/manifest.json"));
  EXPECT_FALSE(fs::exists(dir_ / "bk/search")) << "the search index is rebuilt, not backed up";
  auto r = restoreBackup(dir_ / "bk", dir_ / "restored", clock_);
  ASSERT_TRUE(r.isOk()) << r.status().message();
  auto node = open(dir_ / "restored");
  ASSERT_TRUE(node);
  EXPECT_EQ(node->store().head(node->id())->seq, 3u);
  EXPECT_TRUE(node->showCase(CaseKey{node->id(), "flom-2"}, false).isOk());
  EXPECT_TRUE(node->verify({}).isOk());
  ASSERT_TRUE(held(*node));
  auto put = node->putCase(testing::caseJson("flom-3"));
  ASSERT_FALSE(put.isOk());
  EXPECT_EQ(put.status().exitCode(), 1);
  EXPECT_NE(put.status().message().find("authoring is held"), std::string::npos);
  EXPECT_NE(put.status().message().find("authoring resume --i-have-no-peers"), std::string::npos);
  EXPECT_EQ(node->store().head(node->id())->seq, 3u);
  // The hold is in the database: it outlives the process.
  node.reset();
  node = open(dir_ / "restored");
  EXPECT_TRUE(held(*node));
  EXPECT_TRUE(node->resumeAuthoring().value());
  auto again = node->putCase(testing::caseJson("flom-3"));
  ASSERT_TRUE(again.isOk()) << again.status().message();
  EXPECT_EQ(again->seq, 4u);
}

TEST_F(BackupTest, RestoreIntoAnEmptyFolderWorks) {
  backup(dir_ / "bk");
  fs::create_directories(dir_ / "state");
  ASSERT_TRUE(restoreBackup(dir_ / "bk", dir_ / "state", clock_).isOk());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "state"), fs::directory_iterator()), 4)
      << "config, key, intent and db; no staging folder left";
  auto node = open(dir_ / "state");
  ASSERT_TRUE(node);
  EXPECT_TRUE(held(*node));
}

TEST_F(BackupTest, DamagedBackupRestoresNothing) {
  backup(dir_ / "bk");
  std::string sst;
  for (const auto& f : fs::directory_iterator(dir_ / "bk/db")) {
    if (f.path().extension() == ".sst") sst = f.path();
  }
  ASSERT_FALSE(sst.empty());
  damage(sst);
  auto r = restoreBackup(dir_ / "bk", dir_ / "restored", clock_);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().exitCode(), 2);
  EXPECT_NE(r.status().message().find("does not match its checksum"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(fs::exists(dir_ / "restored"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_.path()), fs::directory_iterator()), 2)
      << "home and bk only: no staging folder left behind";
}

TEST_F(BackupTest, BackupWithAMissingExtraOrBadManifestIsRefused) {
  backup(dir_ / "bk");
  fs::copy(dir_ / "bk", dir_ / "extra", fs::copy_options::recursive);
  testing::writeFile(dir_ / "extra/db/planted", "x");
  fs::copy(dir_ / "bk", dir_ / "missing", fs::copy_options::recursive);
  fs::remove(dir_ / "missing/key");
  fs::copy(dir_ / "bk", dir_ / "garbled", fs::copy_options::recursive);
  testing::writeFile(dir_ / "garbled/manifest.json", "{\"format\": \"allmenning-backup 1\"");
  for (const char* name : {"extra", "missing", "garbled"}) {
    auto r = restoreBackup(dir_ / name, dir_ / (std::string(name) + "-home"), clock_);
    ASSERT_FALSE(r.isOk()) << name;
    EXPECT_EQ(r.status().exitCode(), 2) << name << ": " << r.status().message();
    EXPECT_FALSE(fs::exists(dir_ / (std::string(name) + "-home"))) << name;
  }
}

TEST_F(BackupTest, RestoreRefusesAHomeThatHoldsSomething) {
  backup(dir_ / "bk");
  auto r = restoreBackup(dir_ / "bk", home(), clock_);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("not an empty folder"), std::string::npos);
  EXPECT_FALSE(held(*open(home())));
}

// cp -a, rsync -a or a file-level restore give the database folder a new
// inode and birth time; nothing in the copied files can tell, but the folder
// can. A rename keeps both, so a moved home signs on.
TEST_F(BackupTest, CopiedHomeHoldsAuthoringAndAMovedOneDoesNot) {
  fs::copy(home(), dir_ / "copy", fs::copy_options::recursive);
  auto copy = open(dir_ / "copy");
  ASSERT_TRUE(copy);
  EXPECT_TRUE(held(*copy));
  EXPECT_FALSE(copy->putCase(testing::caseJson("flom-3")).isOk());
  copy.reset();
  EXPECT_FALSE(held(*open(home()))) << "the original is where it was made";
  fs::rename(home(), dir_ / "moved");
  auto moved = open(dir_ / "moved");
  EXPECT_FALSE(held(*moved));
  EXPECT_TRUE(moved->putCase(testing::caseJson("flom-3")).isOk());
}

TEST_F(BackupTest, BackupRefusesAFolderThatHoldsSomething) {
  fs::create_directories(dir_ / "full");
  testing::writeFile(dir_ / "full/x", "x");
  auto node = open(home());
  auto r = writeBackup(*node, dir_ / "full");
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("not an empty folder"), std::string::npos);
  fs::create_directories(dir_ / "empty");
  EXPECT_TRUE(writeBackup(*node, dir_ / "empty").isOk());
}

}  // namespace
}  // namespace allmenning
