// The stage of every hostile test: a victim node V and an honest node H,
// real `allmenning run` processes on loopback that trust each other, V
// dialing H. H authors a case every 250 ms throughout; each test attacks V
// between beginAttack() and endAttack(), and TearDown checks what every
// attack must leave intact:
//   - V received H's cases during the attack (its head for H advanced),
//   - V holds every case H published once the load stops, and verify passes,
//   - V's RSS grew by less than 64 MB from just before the attack.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "tests/cli/federation.h"
#include "tests/hostile/attacker.h"
#include "tests/hostile/victim.h"
#include "tests/test_util.h"

namespace allmenning::testing {

class HostileTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kMaxRssGrowthKiB = 64 * 1024;
  static constexpr auto kMinAttack = std::chrono::milliseconds(2000);
  static constexpr auto kLoadPeriod = std::chrono::milliseconds(250);
  // V's [limits]: a short handshake timeout and ban, so the tests that wait
  // for them stay short; the handshake pool at its defaults, written out.
  static constexpr int64_t kHandshakeTimeoutMs = 3000;
  static constexpr int64_t kHelloTimeoutMs = 1500;
  static constexpr int64_t kBanSeconds = 5;  // room for the checks inside it on a loaded machine
  static constexpr size_t kMaxHandshakes = 32;
  static constexpr size_t kMaxHandshakesPerAddress = 4;

  void SetUp() override;
  void TearDown() override;
  // More lines for V's [limits], for a test that needs a limit lowered.
  virtual std::string extraLimits() const { return ""; }

  // A fresh identity; with `trusted`, V accepts its entries.
  std::shared_ptr<const SecretKey> newKey(bool trusted);
  // An attacker with its own loopback address (none is ever reused).
  std::unique_ptr<Attacker> newAttacker(std::shared_ptr<const SecretKey> key);
  // A /24 of loopback no other attacker uses, as "127.A.B"; its addresses
  // are prefix + ".2" up to prefix + ".254".
  std::string freshPrefix();
  // An attacker that completed the handshake and the Hello exchange.
  std::unique_ptr<Attacker> openSession(std::shared_ptr<const SecretKey> key);
  // A loopback address no other attacker uses, in a /24 of its own.
  std::string freshAddress() { return freshPrefix() + ".2"; }

  // Starts the attack window (and the RSS baseline), and ends it; the
  // window lasts at least kMinAttack so H's load can be seen crossing it.
  void beginAttack();
  void endAttack();
  // Whether the attack window is over.
  bool attackEnded() const { return attackEnd_ != std::chrono::steady_clock::time_point{}; }

  uint16_t victimPort() const { return victimPort_; }
  pid_t victimPid() const { return victimPid_; }
  std::chrono::milliseconds handshakeTimeout() const {
    return std::chrono::milliseconds(kHandshakeTimeoutMs);
  }
  std::chrono::seconds banTime() const { return std::chrono::seconds(kBanSeconds); }
  // How many log lines of V contain `text`.
  size_t victimLogCount(const std::string& text) const;
  // Of V's throttled lines (node/net/log_throttle.h) of `event`: the lines,
  // and the events they stand for (a "_more count=N" line for N).
  std::pair<size_t, size_t> victimThrottled(const std::string& event) const;
  // Rewrites V's [limits] as SetUp wrote them plus `extra` lines (keys
  // not set there), sends V a SIGHUP and waits until V logs the reload.
  bool reloadVictimLimits(const std::string& extra);

  // What V's `status` shows: every author's head, and the bytes V sent on
  // its connection to H.
  struct VictimState {
    std::map<std::string, uint64_t> authors;  // hex key -> head seq
    uint64_t honestSeq = 0;
    uint64_t bytesToHonest = 0;
  };
  VictimState victimState() const;

  TempDir dir_;
  FedNode v_{dir_.path(), "victim", "3434"};
  FedNode h_{dir_.path(), "honest", "3433"};
  Hash network_{};

 private:
  std::string victimLimits() const;
  void checkProgressDuringAttack();
  void checkAllReceived();

  std::string baseConfig_;  // V's config file before SetUp added [limits]
  uint16_t victimPort_ = 0;
  pid_t victimPid_ = -1;
  std::unique_ptr<HonestLoad> load_;
  std::unique_ptr<RssSampler> rss_;
  std::chrono::steady_clock::time_point attackStart_{};
  std::chrono::steady_clock::time_point attackEnd_{};
  uint64_t seqAtStart_ = 0;
};

}  // namespace allmenning::testing
