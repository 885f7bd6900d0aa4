// A damaged home, with the real binary: each kind of damage is named for
// what it is, never for another cause (a missing config is no missing node,
// a directory has no mode worth judging, a home that cannot be written is not
// in use, and a database without CURRENT is damaged rather than absent).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/cli/running_node.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

namespace fs = std::filesystem;
using testing::describe;
using testing::ProcessResult;
using testing::TempDir;

constexpr uid_t kNobody = 65534;

class HomeDiagnosisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = cli({"init", "--name", "Lom kommune"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
  }

  ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--home", home_});
    return testing::runCli(args);
  }

  // `id` fails with exit `code`, saying `says` and none of `never`.
  void expectDiagnosis(int code, const std::string& says, const std::vector<std::string>& never) {
    auto r = cli({"id"});
    EXPECT_EQ(r.exitCode, code) << describe(r);
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    for (const auto& wrong : never) EXPECT_EQ(r.err.find(wrong), std::string::npos) << r.err;
  }

  TempDir dir_;
  std::string home_ = dir_ / "lom";
};

TEST_F(HomeDiagnosisTest, AMissingConfigIsNamedAndInitAgrees) {
  fs::remove(home_ + "/allmenning.toml");
  expectDiagnosis(
      1,
      "holds a node (key, db, intent) but its config file " + home_ + "/allmenning.toml is missing",
      {"create one with"});
  // init agrees that a node is there, and overwrites nothing.
  auto r = cli({"init", "--name", "Lom kommune"});
  EXPECT_EQ(r.exitCode, 1) << describe(r);
  EXPECT_NE(r.err.find("already holds a node"), std::string::npos) << r.err;
  // An empty home is no node at all, and says how to make one.
  auto empty = testing::runCli({"--home", dir_ / "empty", "id"});
  EXPECT_EQ(empty.exitCode, 1) << describe(empty);
  EXPECT_NE(empty.err.find("create one with `allmenning init`"), std::string::npos) << empty.err;
}

TEST_F(HomeDiagnosisTest, AKeyOrConfigThatIsADirectoryIsNamedAsOne) {
  fs::rename(home_ + "/key", dir_ / "key");
  fs::create_directory(home_ + "/key");
  expectDiagnosis(1, "key file " + home_ + "/key is a directory; it must be a regular file",
                  {"may be read by others", "chmod"});
  fs::remove(home_ + "/key");
  fs::rename(dir_ / "key", home_ + "/key");
  ASSERT_EQ(cli({"id"}).exitCode, 0);

  fs::rename(home_ + "/allmenning.toml", dir_ / "allmenning.toml");
  fs::create_directory(home_ + "/allmenning.toml");
  expectDiagnosis(
      1, "config file " + home_ + "/allmenning.toml is a directory; it must be a regular file",
      {"may be read by others", "missing section"});
}

TEST_F(HomeDiagnosisTest, ADeletedCurrentIsADamagedDatabase) {
  fs::remove(home_ + "/db/CURRENT");
  expectDiagnosis(1, "database " + home_ + "/db is damaged: its CURRENT file is missing",
                  {"no database in"});
  // A database folder that is gone or empty is no database.
  fs::remove_all(home_ + "/db");
  fs::create_directory(home_ + "/db");
  expectDiagnosis(1, "no database in " + home_ + "/db", {"damaged"});
}

// A home this user may not write: as root, the test drops to nobody with
// setpriv, since root may write anything.
TEST_F(HomeDiagnosisTest, AReadOnlyHomeIsNotTakenForOneInUse) {
  std::vector<std::string> prefix;
  if (::geteuid() == 0) {
    if (!fs::exists("/usr/bin/setpriv")) GTEST_SKIP() << "root without setpriv";
    prefix = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    for (const auto& f : fs::recursive_directory_iterator(dir_.path())) {
      ASSERT_EQ(::lchown(f.path().c_str(), kNobody, kNobody), 0) << f.path();
    }
    ASSERT_EQ(::chown(dir_.path().c_str(), kNobody, kNobody), 0);
    // The binary must be reachable by nobody.
    if (::access(ALLMENNING_BINARY, X_OK) != 0) GTEST_SKIP() << "binary not executable";
  }
  for (const auto& f : fs::recursive_directory_iterator(home_)) {
    fs::permissions(f.path(),
                    fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
  }
  fs::permissions(home_, fs::perms::owner_write, fs::perm_options::remove);
  std::vector<std::string> argv = prefix;
  argv.insert(argv.end(), {ALLMENNING_BINARY, "--home", home_, "id"});
  auto r = testing::runProcess(argv);
  // Restore, so the temporary folder can be removed.
  fs::permissions(home_, fs::perms::owner_all, fs::perm_options::add);
  for (const auto& f : fs::recursive_directory_iterator(home_)) {
    fs::permissions(f.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  EXPECT_EQ(r.exitCode, 1) << describe(r);
  EXPECT_EQ(r.err.find("in use by another process"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cannot be written"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace allmenning
