// The [limits] section of allmenning.toml: defaults, parsing, refusals, and
// how the values reach the network shell.
#include "node/limits.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/home.h"
#include "node/net/p2p_node.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using namespace std::chrono_literals;

class LimitsTest : public ::testing::Test {
 protected:
  // Loads a config whose [node] section is valid and whose tail is `extra`.
  Result<Config> load(const std::string& extra) {
    std::string path = dir_ / "allmenning.toml";
    testing::writeFile(path, "[node]\nname = 'Lom kommune'\n" + extra);
    return loadConfig(path);
  }
  // The refusal message for `extra`, or "" when it loaded.
  std::string refusal(const std::string& extra) {
    auto c = load(extra);
    EXPECT_FALSE(c.isOk()) << extra;
    if (!c.isOk()) {
      EXPECT_EQ(c.status().exitCode(), 2) << c.status().message();
    }
    return c.isOk() ? "" : c.status().message();
  }
  testing::TempDir dir_;
};

TEST_F(LimitsTest, DefaultsAreTheNetworkShellsOwn) {
  auto c = load("");
  ASSERT_TRUE(c.isOk()) << c.status().message();
  P2PConfig fromFile;
  fromFile.admission.maxPeers = 1;  // overwritten by every default below
  fromFile.connection.verifyPerSecond = 1;
  applyLimits(c->limits, fromFile);
  const P2PConfig plain;
  const AdmissionLimits &a = fromFile.admission, &b = plain.admission;
  EXPECT_EQ(a.maxPeers, b.maxPeers);
  EXPECT_EQ(a.maxUnacceptedPeers, b.maxUnacceptedPeers);
  EXPECT_EQ(a.maxPeersPerAddress, b.maxPeersPerAddress);
  EXPECT_EQ(a.maxPeersPerPrefix, b.maxPeersPerPrefix);
  EXPECT_EQ(a.maxHandshakes, b.maxHandshakes);
  EXPECT_EQ(a.reservedHandshakes, b.reservedHandshakes);
  EXPECT_EQ(a.maxHandshakesPerAddress, b.maxHandshakesPerAddress);
  EXPECT_EQ(a.maxHandshakesPerPrefix, b.maxHandshakesPerPrefix);
  EXPECT_EQ(a.connectsPerSecondPerAddress, b.connectsPerSecondPerAddress);
  EXPECT_EQ(a.connectsPerSecondPerPrefix, b.connectsPerSecondPerPrefix);
  EXPECT_EQ(a.handshakesPerSecond, b.handshakesPerSecond);
  EXPECT_EQ(fromFile.connection.helloTimeout, plain.connection.helloTimeout);
  EXPECT_EQ(fromFile.banTime, plain.banTime);
  EXPECT_EQ(fromFile.reconnectMax, plain.reconnectMax);
  EXPECT_EQ(fromFile.connection.handshakeTimeout, plain.connection.handshakeTimeout);
  EXPECT_EQ(fromFile.connection.idleTimeout, plain.connection.idleTimeout);
  EXPECT_EQ(fromFile.connection.maxBufferedBytes, plain.connection.maxBufferedBytes);
  EXPECT_EQ(fromFile.connection.pauseReadBytes, plain.connection.pauseReadBytes);
  EXPECT_EQ(fromFile.maxBufferedTotal, plain.maxBufferedTotal);
  EXPECT_EQ(fromFile.connection.verifyPerSecond, plain.connection.verifyPerSecond);
  EXPECT_EQ(fromFile.connection.replyBytesPerSecond, plain.connection.replyBytesPerSecond);
  EXPECT_EQ(fromFile.connection.sync.maxEntriesInFlight, plain.connection.sync.maxEntriesInFlight);
  EXPECT_TRUE(checkLimits(defaultLimits()).isOk());
}

TEST_F(LimitsTest, EveryKeyReachesTheNetworkShell) {
  auto c = load(
      "[limits]\nmax_peers = 7\nmax_handshakes = 9\nmax_handshakes_per_address = 2\n"
      "handshake_timeout_ms = 1500\nidle_timeout_ms = 4000\npeer_buffer_bytes = 3000000\n"
      "peer_read_pause_bytes = 70000\nbuffer_total_bytes = 9000000\n"
      "entries_in_flight = 100\nverify_per_second = 0\nreply_bytes_per_second = 5000\n"
      "ban_seconds = 5\n"
      "reconnect_max_ms = 2500\nmax_unaccepted_peers = 3\nmax_peers_per_address = 2\n"
      "max_peers_per_prefix = 5\nreserved_handshakes = 4\nmax_handshakes_per_prefix = 6\n"
      "connects_per_second_per_address = 11\nconnects_per_second_per_prefix = 12\n"
      "handshakes_per_second = 13\nhello_timeout_ms = 700\nmax_vouched_per_voucher = 40000\n");
  ASSERT_TRUE(c.isOk()) << c.status().message();
  EXPECT_EQ(c->limits.maxVouchedPerVoucher, 40'000u);  // for the store, not the shell
  P2PConfig p;
  applyLimits(c->limits, p);
  const AdmissionLimits& a = p.admission;
  EXPECT_EQ(a.maxPeers, 7u);
  EXPECT_EQ(a.maxHandshakes, 9u);
  EXPECT_EQ(a.maxHandshakesPerAddress, 2u);
  EXPECT_EQ(a.maxUnacceptedPeers, 3u);
  EXPECT_EQ(a.maxPeersPerAddress, 2u);
  EXPECT_EQ(a.maxPeersPerPrefix, 5u);
  EXPECT_EQ(a.reservedHandshakes, 4u);
  EXPECT_EQ(a.maxHandshakesPerPrefix, 6u);
  EXPECT_EQ(a.connectsPerSecondPerAddress, 11u);
  EXPECT_EQ(a.connectsPerSecondPerPrefix, 12u);
  EXPECT_EQ(a.handshakesPerSecond, 13u);
  EXPECT_EQ(p.connection.helloTimeout, 700ms);
  EXPECT_EQ(p.connection.handshakeTimeout, 1500ms);
  EXPECT_EQ(p.connection.idleTimeout, 4000ms);
  EXPECT_EQ(p.connection.maxBufferedBytes, 3'000'000u);
  EXPECT_EQ(p.connection.pauseReadBytes, 70'000u);
  EXPECT_EQ(p.maxBufferedTotal, 9'000'000u);
  EXPECT_EQ(p.connection.sync.maxEntriesInFlight, 100u);
  EXPECT_EQ(p.connection.verifyPerSecond, 0u);
  EXPECT_EQ(p.connection.replyBytesPerSecond, 5000u);
  EXPECT_EQ(p.banTime, 5000ms);
  EXPECT_EQ(p.reconnectMax, 2500ms);
  EXPECT_EQ(limitKeys().size(), 23u);  // one line above per key
}

TEST_F(LimitsTest, BadValuesAreRefusedByName) {
  EXPECT_NE(refusal("[limits]\nmax_pears = 3\n").find("limits.max_pears: unknown key"),
            std::string::npos);
  EXPECT_NE(refusal("[limits]\nmax_peers = 0\n").find("limits.max_peers: 0 is outside 1..10000"),
            std::string::npos);
  EXPECT_NE(refusal("[limits]\nmax_peers = '64'\n").find("limits.max_peers: must be a whole"),
            std::string::npos);
  EXPECT_NE(refusal("[limits]\nidle_timeout_ms = -5\n").find("limits.idle_timeout_ms"),
            std::string::npos);
  EXPECT_NE(refusal("[limits]\nban_seconds = 1.5\n").find("limits.ban_seconds"), std::string::npos);
  EXPECT_NE(refusal("limits = 3\n").find("limits"), std::string::npos);
  EXPECT_NE(refusal("[limits]\nmax_handshakes = 8\nreserved_handshakes = 8\n")
                .find("limits.reserved_handshakes: 8 leaves no handshake slot"),
            std::string::npos);
  EXPECT_NE(refusal("[limitz]\n").find("unknown section [limitz]"), std::string::npos);
  // The file is named, so the operator knows where to look.
  EXPECT_NE(refusal("[limits]\nmax_peers = 0\n").find("allmenning.toml"), std::string::npos);
}

TEST_F(LimitsTest, DescriptorsCountSessionsHandshakesTableFilesAndAReserve) {
  Limits l = defaultLimits();
  EXPECT_EQ(descriptorsNeeded(l), 64u + 32u + 256u + 64u);
  l.maxPeers = 10'000;
  l.maxHandshakes = 10'000;
  // The largest config: the unit's LimitNOFILE=20480 covers it.
  EXPECT_EQ(descriptorsNeeded(l), 20'320u);
  EXPECT_LE(descriptorsNeeded(l), 20'480u);
}

// In a child process, so that the test's own limits stay as they were:
// exit 0 when the soft limit was raised to `needed` and nothing was said,
// 1 when it stopped at the hard limit and said so, naming both numbers.
int raiseInChild(rlim_t soft, rlim_t hard, uint64_t needed) {
  pid_t pid = ::fork();
  if (pid == 0) {
    rlimit rl{soft, hard};
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) ::_exit(3);
    std::string said;
    raiseDescriptorLimit(needed, [&](std::string_view line) { said = line; });
    ::getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur >= needed && said.empty()) ::_exit(0);
    std::string expected = "limits event=descriptors_short allowed=" + std::to_string(hard) +
                           " needed=" + std::to_string(needed);
    ::_exit(rl.rlim_cur == hard && said.rfind(expected, 0) == 0 ? 1 : 2);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(LimitsTest, RunRaisesItsSoftDescriptorLimitUpToTheHardOne) {
  EXPECT_EQ(raiseInChild(100, 4096, 416), 0) << "raised from 100 to 416";
  EXPECT_EQ(raiseInChild(100, 300, 416), 1) << "stopped at 300, and said so";
}

}  // namespace
}  // namespace allmenning
