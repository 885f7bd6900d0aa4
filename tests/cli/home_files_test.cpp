// What a home's files do across many commands: the database refuses a key
// file from another node, and repeated commands leave no files behind.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/cli/process.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

namespace fs = std::filesystem;
using testing::describe;
using testing::ProcessResult;
using testing::readFile;
using testing::TempDir;
using testing::writeFile;

ProcessResult cli(const std::string& home, std::vector<std::string> args) {
  std::vector<std::string> argv{ALLMENNING_BINARY, "--home", home};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::runProcess(argv);
}

std::string initHome(const std::string& home, const std::string& name) {
  auto r = cli(home, {"init", "--name", name});
  EXPECT_EQ(r.exitCode, 0) << describe(r);
  r = cli(home, {"id"});
  EXPECT_EQ(r.exitCode, 0) << describe(r);
  return r.out.substr(0, 64);
}

// Another node's key copied into a home: `id` refuses it and names both
// keys; the database is left as it was, so the right key still works.
TEST(HomeFilesTest, AKeyFileFromAnotherNodeIsRefused) {
  TempDir dir;
  std::string a = dir / "a", b = dir / "b";
  std::string idA = initHome(a, "Lom kommune"), idB = initHome(b, "Vågå kommune");
  std::string ownKey = readFile(a + "/key");
  std::string exported = cli(a, {"export", "--format", "jsonl"}).out;
  fs::copy_file(b + "/key", a + "/key", fs::copy_options::overwrite_existing);

  auto r = cli(a, {"id"});
  EXPECT_EQ(r.exitCode, 1) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("holds key " + idB + ", which is not this node's key"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("was created by key " + idA), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("lost entries"), std::string::npos) << r.err;
  auto put = cli(a, {"trust", "list"});
  EXPECT_EQ(put.exitCode, 1) << describe(put);

  fs::remove(a + "/key");
  writeFile(a + "/key", ownKey);
  fs::permissions(a + "/key", fs::perms::owner_read | fs::perms::owner_write);
  r = cli(a, {"id"});
  EXPECT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_EQ(r.out, idA + "\n");
  EXPECT_EQ(cli(a, {"export", "--format", "jsonl"}).out, exported);
  auto trusted = cli(a, {"--json", "trust", "list"});
  EXPECT_EQ(trusted.out.find(idB), std::string::npos) << trusted.out;
}

// RocksDB starts a new log file at every open, and kept every one that
// stayed empty: a home grew by a file with every command that only read.
TEST(HomeFilesTest, RepeatedCommandsLeaveABoundedNumberOfFilesInTheDatabase) {
  TempDir dir;
  std::string home = dir / "home";
  initHome(home, "Lom kommune");
  auto count = [&](bool logsOnly) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(home + "/db")) {
      n += !logsOnly || e.path().extension() == ".log";
    }
    return n;
  };
  std::string file = dir / "case.json";
  writeFile(file, testing::caseJson("sak"));
  ASSERT_EQ(cli(home, {"case", "put", file}).exitCode, 0);
  ASSERT_EQ(cli(home, {"id"}).exitCode, 0);  // its open stores what the put logged
  const std::vector<std::vector<std::string>> reads = {
      {"id"}, {"search"}, {"case", "show", "sak"}, {"status"}, {"trust", "list"}};
  size_t before = count(false);
  for (int i = 0; i < 20; ++i) {
    const auto& c = reads[i % reads.size()];
    auto r = cli(home, c);
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_LE(count(true), 2u) << "after " << i + 1 << " commands";
  }
  EXPECT_LE(count(false), before + 1);
  // A command that writes leaves no log file behind either.
  for (int i = 0; i < 5; ++i) {
    writeFile(file, testing::caseJson("sak-" + std::to_string(i)));
    ASSERT_EQ(cli(home, {"case", "put", file}).exitCode, 0);
    ASSERT_EQ(cli(home, {"id"}).exitCode, 0);
    EXPECT_LE(count(true), 2u);
  }
}

}  // namespace
}  // namespace allmenning
