// What commands write, and where: `export -o` writes only a new path or a
// regular file, `-o -` is stdout, a failed write to stdout fails the
// command with a message, whichever command it is, and `search` says how
// much of the result it shows.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/cli/process.h"
#include "tests/test_util.h"

extern char** environ;

namespace allmenning::testing {
namespace {

namespace fs = std::filesystem;

class OutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(cli({"init", "--name", "Lom kommune"}).exitCode, 0);
    writeFile(dir_ / "case.json", caseJson("flom"));
    ASSERT_EQ(cli({"case", "put", dir_ / "case.json"}).exitCode, 0);
  }

  ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {ALLMENNING_BINARY, "--home", home_});
    return runProcess(args);
  }

  // Runs the binary with its stdout on `stdoutPath`, opened here for
  // writing (the test never replaces or creates it), and its stderr in a
  // file of the test's folder. Returns the exit status and stderr.
  std::pair<int, std::string> withStdout(const std::string& stdoutPath,
                                         std::vector<std::string> args) {
    args.insert(args.begin(), {ALLMENNING_BINARY, "--home", home_});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string errPath = dir_ / "stderr";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, stdoutPath.c_str(), O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return {-1, "spawn failed"};
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, readFile(errPath)};
  }

  // Nothing but `keep` is left in the folder of an export that was refused.
  std::vector<std::string> strays(const std::string& keep) {
    std::vector<std::string> out;
    for (const auto& f : fs::directory_iterator(dir_.path())) {
      std::string name = f.path().filename().string();
      if (name.find(".tmp-") != std::string::npos && name.starts_with(keep)) out.push_back(name);
    }
    return out;
  }

  TempDir dir_;
  std::string home_ = dir_ / "home";
};

TEST_F(OutputTest, ExportRefusesAFifoASymlinkAndAFolder) {
  std::string fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string target = dir_ / "target";
  writeFile(target, "keep me\n");
  std::string link = dir_ / "link";
  fs::create_symlink(target, link);
  std::string folder = dir_ / "folder";
  fs::create_directory(folder);

  for (const auto& [path, kind] : std::vector<std::pair<std::string, std::string>>{
           {fifo, "a FIFO"}, {link, "a symbolic link"}, {folder, "a folder"}}) {
    auto r = cli({"export", "--format", "jsonl", "-o", path});
    EXPECT_EQ(r.exitCode, 2) << describe(r);
    EXPECT_NE(r.err.find(path + " is " + kind + "; refusing to replace it"), std::string::npos)
        << r.err;
    EXPECT_TRUE(strays(fs::path(path).filename().string()).empty());
  }
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(readFile(target), "keep me\n");
  EXPECT_TRUE(fs::is_directory(folder));
}

TEST_F(OutputTest, ExportRefusesACharacterDevice) {
  if (::geteuid() != 0) GTEST_SKIP() << "creating a device node needs root";
  std::string dev = dir_ / "null";
  ASSERT_EQ(::mknod(dev.c_str(), S_IFCHR | 0600, makedev(1, 3)), 0);  // as /dev/null
  auto r = cli({"export", "--format", "jsonl", "-o", dev});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("is a character device"), std::string::npos) << r.err;
  struct stat st {};
  ASSERT_EQ(::lstat(dev.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(OutputTest, ExportWritesARegularFileANewPathOrStdout) {
  auto plain = cli({"export", "--format", "jsonl"});
  ASSERT_EQ(plain.exitCode, 0) << describe(plain);
  ASSERT_FALSE(plain.out.empty());
  auto dash = cli({"export", "--format", "jsonl", "-o", "-"});
  EXPECT_EQ(dash.exitCode, 0) << describe(dash);
  EXPECT_EQ(dash.out, plain.out);
  EXPECT_FALSE(fs::exists("-"));

  std::string file = dir_ / "out.jsonl";
  EXPECT_EQ(cli({"export", "--format", "jsonl", "-o", file}).exitCode, 0);
  EXPECT_EQ(readFile(file), plain.out);
  writeFile(file, "old\n");
  EXPECT_EQ(cli({"export", "--format", "jsonl", "-o", file}).exitCode, 0);
  EXPECT_EQ(readFile(file), plain.out);
}

// /dev/full fails every write with ENOSPC; it is only opened here.
TEST_F(OutputTest, AFailedWriteToStdoutFailsEveryCommand) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no writable /dev/full";
  const std::vector<std::vector<std::string>> commands = {{"search"},
                                                          {"export", "--format", "jsonl"},
                                                          {"export", "--format", "ocds"},
                                                          {"id"},
                                                          {"case", "show", "flom"},
                                                          {"status", "--json"},
                                                          {"trust", "list"},
                                                          {"search", "--help"}};
  for (const auto& args : commands) {
    auto [code, err] = withStdout("/dev/full", args);
    EXPECT_EQ(code, 1) << ::testing::PrintToString(args) << ": " << err;
    EXPECT_NE(err.find("writing to standard output: No space left on device"), std::string::npos)
        << ::testing::PrintToString(args) << ": " << err;
  }
  auto [code, err] = withStdout("/dev/null", {"search"});
  EXPECT_EQ(code, 0) << err;
}

TEST_F(OutputTest, SearchSaysHowManyMatchAndPages) {
  std::string records;
  for (int i = 1; i < 60; ++i) records += caseJson("flom-" + std::to_string(i)) + "\n";
  writeFile(dir_ / "more.jsonl", records);
  auto r = cli({"import", "--format", "jsonl", dir_ / "more.jsonl"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);

  r = cli({"search", "--sector", "emergency"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  auto lines = linesOf(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "50 of 60 cases (1 to 50); more with --offset 50");
  EXPECT_EQ(lines.size(), 50u * 3 + 1);
  r = cli({"search", "flomvarsling", "--offset", "50"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_EQ(linesOf(r.out).back(), "10 of 60 cases (51 to 60)");
  r = cli({"search", "--offset", "70"});
  EXPECT_EQ(linesOf(r.out).back(), "0 of 60 cases (--offset 70 is past the last)");
  r = cli({"search", "--limit", "100"});
  EXPECT_EQ(linesOf(r.out).back(), "60 cases");

  r = cli({"search", "--json", "--limit", "20", "--offset", "10"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  auto page = nlohmann::json::parse(r.out);
  EXPECT_EQ(page["total"], 60);
  EXPECT_EQ(page["offset"], 10);
  EXPECT_EQ(page["cases"].size(), 20u);
}

}  // namespace
}  // namespace allmenning::testing
