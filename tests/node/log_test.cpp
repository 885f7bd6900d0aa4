// The node's log: levels, the config key that sets them, the two line
// formats, and how the journal's stream is recognised.
#include "node/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>

#include "node/home.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

class LogTest : public ::testing::Test {
 protected:
  // A logger on a file of its own, and what it wrote.
  std::string written() { return testing::readFile(path_); }
  int openLog() { return ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); }

  testing::TempDir dir_;
  std::string path_ = dir_ / "log";
};

TEST_F(LogTest, LevelsParseByNameAndOthersAreRefusedNamingTheChoices) {
  EXPECT_EQ(*parseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*parseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(*parseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(*parseLogLevel("error"), LogLevel::kError);
  auto bad = parseLogLevel("INFO");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().exitCode(), 2);
  EXPECT_EQ(bad.status().message(), "log level \"INFO\" is not one of debug, info, warn, error");
  EXPECT_EQ(syslogPriority(LogLevel::kError), 3);
  EXPECT_EQ(syslogPriority(LogLevel::kWarn), 4);
  EXPECT_EQ(syslogPriority(LogLevel::kInfo), 6);
  EXPECT_EQ(syslogPriority(LogLevel::kDebug), 7);
}

TEST_F(LogTest, JournalLinesCarryThePriorityAndNoTime) {
  int fd = openLog();
  ASSERT_GE(fd, 0);
  {
    Logger log(fd, LogOptions{LogLevel::kDebug, /*journal=*/true}, [] { return int64_t{0}; });
    log.log(LogLevel::kError, "store event=failed");
    log.log(LogLevel::kWarn, "p2p event=refused");
    log.log(LogLevel::kInfo, "listening on 127.0.0.1:7400");
    log.log(LogLevel::kDebug, "admin args=\"search flom\"");
  }
  ::close(fd);
  EXPECT_EQ(written(),
            "<3>store event=failed\n<4>p2p event=refused\n<6>listening on 127.0.0.1:7400\n"
            "<7>admin args=\"search flom\"\n");
}

TEST_F(LogTest, PlainLinesCarryTheTimeAndLevelAndDropWhatIsBelowTheLevel) {
  int fd = openLog();
  ASSERT_GE(fd, 0);
  {
    Logger log(fd, LogOptions{LogLevel::kInfo, false}, [] { return int64_t{1'700'000'000'123}; });
    log.log(LogLevel::kDebug, "not shown");
    log.log(LogLevel::kInfo, "shown");
    log.setLevel(LogLevel::kError);
    log.log(LogLevel::kWarn, "not shown either");
    log.log(LogLevel::kError, "two\nlines");
  }
  ::close(fd);
  EXPECT_EQ(written(),
            "2023-11-14T22:13:20.123Z INFO shown\n2023-11-14T22:13:20.123Z ERROR two lines\n");
}

TEST_F(LogTest, TheJournalStreamIsRecognisedByDeviceAndInode) {
  int fd = openLog();
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  EXPECT_TRUE(isJournalStream(mine.c_str(), fd));
  EXPECT_FALSE(isJournalStream(other.c_str(), fd)) << "stderr was redirected elsewhere";
  EXPECT_FALSE(isJournalStream(nullptr, fd));
  for (const char* junk : {"", ":", "12", "a:b", "1:2:3", "-1:5", "99999999999999999999999:1"}) {
    EXPECT_FALSE(isJournalStream(junk, fd)) << junk;
  }
  ::close(fd);
}

TEST_F(LogTest, TheConfigKeySetsTheLevelAndARefusalNamesTheKey) {
  std::string path = dir_ / "allmenning.toml";
  testing::writeFile(path, "[node]\nname = 'Lom kommune'\nlog_level = 'debug'\n");
  auto c = loadConfig(path);
  ASSERT_TRUE(c.isOk()) << c.status().message();
  EXPECT_EQ(c->logLevel, LogLevel::kDebug);
  EXPECT_NE(renderConfig(*c).find("log_level = 'debug'"), std::string::npos) << renderConfig(*c);

  testing::writeFile(path, "[node]\nname = 'Lom kommune'\n");
  c = loadConfig(path);
  ASSERT_TRUE(c.isOk()) << c.status().message();
  EXPECT_EQ(c->logLevel, LogLevel::kInfo);

  testing::writeFile(path, "[node]\nname = 'Lom kommune'\nlog_level = 'loud'\n");
  c = loadConfig(path);
  ASSERT_FALSE(c.isOk());
  EXPECT_EQ(c.status().exitCode(), 2);
  EXPECT_EQ(c.status().message(),
            path + ": node.log_level: log level \"loud\" is not one of debug, info, warn, error");
  testing::writeFile(path, "[node]\nname = 'Lom kommune'\nlog_level = 7\n");
  c = loadConfig(path);
  ASSERT_FALSE(c.isOk());
  EXPECT_EQ(c.status().message(), path + ": node.log_level: must be a string");
}

}  // namespace
}  // namespace allmenning
