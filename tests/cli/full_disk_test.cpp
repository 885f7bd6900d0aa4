// A full disk: a node's home on a small tmpfs, filled until ENOSPC. Writes
// must fail with an error that names the problem, nothing may be
// acknowledged falsely (now or after a restart), reads keep working, and
// once space is freed the running node writes again without a restart.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "tests/cli/federation.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using testing::FedNode;
using testing::ProcessResult;

// Big enough that RocksDB resumes: it wants 64 MiB free (its write buffer).
constexpr const char* kSize = "size=128m";
constexpr off_t kPage = 4096;

// A tmpfs mounted at `dir` for the life of the object.
class TmpfsMount {
 public:
  explicit TmpfsMount(const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, kSize) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// Writes `path` until the file system is full, down to the last byte.
// False when a write fails for another reason than ENOSPC.
bool fill(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::string chunk(1 << 20, 'x');
  bool full = true;
  for (size_t size : {chunk.size(), size_t{4096}, size_t{1}}) {
    ssize_t n;
    while ((n = ::write(fd, chunk.data(), size)) > 0) {
    }
    if (n < 0 && errno != ENOSPC) full = false;
  }
  ::close(fd);
  return full;
}

bool mentionsNoSpace(const ProcessResult& r) {
  return r.err.find("no space left on device") != std::string::npos &&
         r.err.find("free space and retry") != std::string::npos;
}

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs";
    mount_ = std::make_unique<TmpfsMount>(dir_ / "n");
    if (!mount_->mounted()) GTEST_SKIP() << "cannot mount a tmpfs: " << mount_->error();
    node_ = std::make_unique<FedNode>(dir_.path(), "n", "0301");
    ASSERT_EQ(node_->key().size(), 64u) << "init failed on the tmpfs";
  }

  void TearDown() override {
    node_.reset();  // stops the node before its home is unmounted
    mount_.reset();
  }

  ProcessResult put(const std::string& id) {
    std::string file = dir_ / (id + ".json");
    testing::writeFile(file, testing::caseJson(id));
    return node_->cli({"case", "put", file});
  }

  bool exists(const std::string& id) { return node_->show(node_->key() + "/" + id).has_value(); }

  // Every acknowledged case is there and no refused one is.
  void checkCases(const std::string& when) {
    for (const auto& id : acked_) EXPECT_TRUE(exists(id)) << when << ": lost " << id;
    for (const auto& id : refused_) EXPECT_FALSE(exists(id)) << when << ": " << id << " appeared";
    auto v = node_->cli({"verify"});
    EXPECT_EQ(v.exitCode, 0) << when << ": " << testing::describe(v);
  }

  // A put that must fail for lack of space.
  void putOnFullDisk(const std::string& id) {
    auto r = put(id);
    EXPECT_NE(r.exitCode, 0) << "acknowledged on a full disk: " << r.out;
    EXPECT_TRUE(mentionsNoSpace(r)) << testing::describe(r);
    (r.exitCode == 0 ? acked_ : refused_).insert(id);
  }

  void putOk(const std::string& id) {
    auto r = put(id);
    EXPECT_EQ(r.exitCode, 0) << testing::describe(r);
    if (r.exitCode == 0) acked_.insert(id);
  }

  testing::TempDir dir_;
  std::unique_ptr<TmpfsMount> mount_;
  std::unique_ptr<FedNode> node_;
  std::string filler_ = dir_ / "n/filler";
  std::set<std::string> acked_, refused_;
};

TEST_F(FullDiskTest, RunningNodeRefusesWritesAndRecovers) {
  ASSERT_TRUE(node_->start()) << node_->log();
  putOk("before");
  ASSERT_TRUE(fill(filler_));

  putOnFullDisk("full-1");
  putOnFullDisk("full-2");
  EXPECT_TRUE(exists("before"));
  for (const auto& args : {std::vector<std::string>{"search", "--status", "completed"},
                           std::vector<std::string>{"status"}}) {
    auto r = node_->cli(args);
    EXPECT_EQ(r.exitCode, 0) << args[0] << " on a full disk: " << testing::describe(r);
  }

  // A few pages free: room for the signing intent but not for the
  // database's reserve, so a put fails after its intent was written. That
  // intent must never be committed later (checkCases looks after every
  // later put and after a restart).
  ASSERT_EQ(::truncate(filler_.c_str(), std::filesystem::file_size(filler_) - 4 * kPage), 0);
  bool failed = false;
  for (int i = 1; i <= 200 && !failed; ++i) {
    std::string id = "tight-" + std::to_string(i);
    auto r = put(id);
    failed = r.exitCode != 0;
    if (failed) {
      EXPECT_TRUE(mentionsNoSpace(r)) << testing::describe(r);
    }
    (failed ? refused_ : acked_).insert(id);
  }
  EXPECT_TRUE(failed) << "the disk never filled up again";
  checkCases("on the full disk");

  std::filesystem::remove(filler_);
  putOk("after-1");
  putOk("after-2");
  checkCases("after space was freed, without a restart");

  ASSERT_TRUE(node_->stop());
  ASSERT_TRUE(node_->start()) << node_->log();
  checkCases("after a restart");
}

// Entries from a peer go to RocksDB without a signing intent: the database
// itself hits ENOSPC and stops accepting writes, and must resume once space
// is freed, without a restart.
TEST_F(FullDiskTest, SyncOnFullDiskResumesOnceSpaceIsFreed) {
  FedNode peer(dir_.path(), "p", "3434");
  testing::trustEachOther({node_.get(), &peer});
  ASSERT_TRUE(testing::connect(*node_, peer));
  std::string file = dir_ / "peer.jsonl";
  std::string lines;
  for (int i = 1; i <= 200; ++i) lines += testing::caseJson("p-" + std::to_string(i)) + "\n";
  testing::writeFile(file, lines);
  ASSERT_EQ(peer.cli({"import", "--format", "jsonl", file}).exitCode, 0);
  uint64_t peerHead = peer.seqOf(peer.key());
  // The node backs off from a peer whose entries it could not store; a
  // short ceiling lets the test see it dial again soon after space returns.
  std::ofstream(node_->home() + "/allmenning.toml", std::ios::app) << "\n[limits]\n"
                                                                   << "reconnect_max_ms = 1000\n";
  ASSERT_TRUE(node_->start()) << node_->log();
  ASSERT_TRUE(fill(filler_));
  ASSERT_TRUE(peer.start()) << peer.log();
  // The node receives the log but cannot store it.
  ASSERT_TRUE(testing::waitUntil([&] { return node_->log().find("no space") != std::string::npos; },
                                 std::chrono::seconds(20)))
      << node_->log();
  EXPECT_LT(node_->seqOf(peer.key()), peerHead);
  EXPECT_EQ(node_->log().find("kind=misbehaved"), std::string::npos)
      << "the peer was blamed for this node's full disk";
  putOnFullDisk("full-1");
  EXPECT_EQ(node_->cli({"status"}).exitCode, 0);

  std::filesystem::remove(filler_);
  putOk("after");
  EXPECT_TRUE(testing::waitUntil([&] { return node_->seqOf(peer.key()) == peerHead; },
                                 std::chrono::seconds(30)))
      << "the sync did not resume:\n"
      << node_->log();
  checkCases("after space was freed, without a restart");
}

TEST_F(FullDiskTest, StoppedNodeRefusesWritesAndRecovers) {
  putOk("before");
  ASSERT_TRUE(fill(filler_));
  putOnFullDisk("full-1");
  std::filesystem::remove(filler_);
  putOk("after");
  checkCases("after space was freed");
}

}  // namespace
}  // namespace allmenning
