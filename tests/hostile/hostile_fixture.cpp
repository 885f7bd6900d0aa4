#include "tests/hostile/hostile_fixture.h"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

namespace allmenning::testing {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

long long msBetween(SteadyClock::time_point a, SteadyClock::time_point b) {
  return static_cast<long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count());
}

}  // namespace

void HostileTest::SetUp() {
  ASSERT_TRUE(initCrypto().isOk());
  ASSERT_EQ(v_.key().size(), 64u) << "victim did not init";
  ASSERT_EQ(h_.key().size(), 64u) << "honest node did not init";
  network_ = networkId("allmenning");
  std::string path = v_.home() + "/allmenning.toml";
  baseConfig_ = readFile(path);
  writeFile(path, baseConfig_ + victimLimits());
  trustEachOther({&v_, &h_});
  ASSERT_TRUE(connect(v_, h_));  // V dials H: outbound, never under V's inbound limits
  ASSERT_TRUE(h_.start()) << h_.log();
  ASSERT_TRUE(v_.start()) << v_.log();
  victimPort_ = static_cast<uint16_t>(std::stoi(v_.address().substr(v_.address().rfind(':') + 1)));
  victimPid_ = pidOfRun(v_.home());
  ASSERT_GT(victimPid_, 0) << "no process runs " << v_.home();
  load_ = std::make_unique<HonestLoad>(h_, v_, dir_.path(), kLoadPeriod);
  ASSERT_TRUE(waitUntil([&] { return v_.seqOf(h_.key()) >= 1; }, 15s))
      << "V does not sync with H before any attack:\n"
      << v_.log();
  rss_ = std::make_unique<RssSampler>(victimPid_);
}

// V's [limits]: the fixture's, then what the test adds (extraLimits()).
std::string HostileTest::victimLimits() const {
  return "\n[limits]\nhandshake_timeout_ms = " + std::to_string(kHandshakeTimeoutMs) +
         "\nhello_timeout_ms = " + std::to_string(kHelloTimeoutMs) +
         "\nban_seconds = " + std::to_string(kBanSeconds) +
         "\nmax_handshakes = " + std::to_string(kMaxHandshakes) +
         "\nmax_handshakes_per_address = " + std::to_string(kMaxHandshakesPerAddress) + "\n" +
         extraLimits();
}

bool HostileTest::reloadVictimLimits(const std::string& extra) {
  size_t before = victimLogCount("config event=reloaded");
  writeFile(v_.home() + "/allmenning.toml", baseConfig_ + victimLimits() + extra + "\n");
  if (::kill(victimPid_, SIGHUP) != 0) return false;
  return waitUntil([&] { return victimLogCount("config event=reloaded") > before; }, 5s)
      .has_value();
}

void HostileTest::TearDown() {
  if (!load_ || !rss_) return;  // SetUp failed and said why
  if (attackStart_ != SteadyClock::time_point{} && !attackEnded()) endAttack();
  checkProgressDuringAttack();
  load_->stop();
  checkAllReceived();
  rss_->stop();
  uint64_t growth = rss_->maxKiB() > rss_->baselineKiB() ? rss_->maxKiB() - rss_->baselineKiB() : 0;
  std::printf("[figures] V RSS baseline %llu KiB, max %llu KiB, growth %llu KiB (%zu samples)\n",
              static_cast<unsigned long long>(rss_->baselineKiB()),
              static_cast<unsigned long long>(rss_->maxKiB()),
              static_cast<unsigned long long>(growth), rss_->samples());
  EXPECT_GT(rss_->samples(), 0u);
  EXPECT_LT(growth, kMaxRssGrowthKiB) << "V's memory grew by 64 MB or more";
}

// H's cases kept arriving at V while it was attacked: some reading taken
// inside the window shows a head past the one at its start.
void HostileTest::checkProgressDuringAttack() {
  ASSERT_NE(attackStart_, SteadyClock::time_point{}) << "the test never started its attack";
  uint64_t best = seqAtStart_;
  size_t inside = 0;
  for (const auto& s : load_->samples()) {
    if (s.at <= attackStart_ || s.at > attackEnd_) continue;
    ++inside;
    best = std::max(best, s.seq);
  }
  std::printf("[figures] attack window %lld ms: V's head for H %llu -> %llu (%zu readings)\n",
              msBetween(attackStart_, attackEnd_), static_cast<unsigned long long>(seqAtStart_),
              static_cast<unsigned long long>(best), inside);
  EXPECT_GT(best, seqAtStart_) << "V received nothing from H during the attack";
}

void HostileTest::checkAllReceived() {
  size_t puts = load_->puts();
  EXPECT_EQ(load_->failures(), 0u) << "H failed to author some cases";
  uint64_t authored = h_.seqOf(h_.key());  // the cases, and what `init` signed
  EXPECT_GE(authored, puts);
  auto took = waitUntil([&] { return v_.seqOf(h_.key()) == authored; }, 10s);
  EXPECT_TRUE(took) << "V holds " << v_.seqOf(h_.key()) << " of H's " << authored << " entries";
  auto verify = v_.cli({"verify"});
  EXPECT_EQ(verify.exitCode, 0) << describe(verify);
  std::printf("[figures] H published %zu cases, all at V\n", puts);
}

std::shared_ptr<const SecretKey> HostileTest::newKey(bool trusted) {
  std::shared_ptr<const SecretKey> key = SecretKey::generate();
  if (trusted) {
    auto r = v_.cli({"trust", "add", toHex(key->publicKey()), "--name", "attacker"});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
  }
  return key;
}

std::string HostileTest::freshPrefix() {
  // 127.1.0 onwards; 127.0.0.0/24 stays the honest peers' network.
  static std::atomic<int> next{0};
  int n = next++;
  return "127." + std::to_string(1 + n / 256) + "." + std::to_string(n % 256);
}

std::unique_ptr<Attacker> HostileTest::newAttacker(std::shared_ptr<const SecretKey> key) {
  return std::make_unique<Attacker>(freshAddress(), std::move(key), network_);
}

std::unique_ptr<Attacker> HostileTest::openSession(std::shared_ptr<const SecretKey> key) {
  auto a = newAttacker(std::move(key));
  Status st = a->open(victimPort_);
  EXPECT_TRUE(st.isOk()) << st.message() << "\n" << v_.log();
  if (!st.isOk()) return nullptr;
  EXPECT_TRUE(a->send(Hello{kProtocolVersion, network_, false}));
  EXPECT_TRUE(a->nextOf<Hello>(5s)) << "V sent no Hello";
  return a;
}

void HostileTest::beginAttack() {
  seqAtStart_ = v_.seqOf(h_.key());
  rss_->markBaseline();
  attackStart_ = SteadyClock::now();
}

void HostileTest::endAttack() {
  std::this_thread::sleep_until(attackStart_ + kMinAttack);
  attackEnd_ = SteadyClock::now();
}

std::pair<size_t, size_t> HostileTest::victimThrottled(const std::string& event) const {
  size_t lines = 0, events = 0;
  std::string one = "event=" + event + " ", more = "event=" + event + "_more count=";
  for (const std::string& line : linesOf(v_.log())) {
    size_t at = line.find(more);
    if (at != std::string::npos) {
      ++lines;
      events += std::stoul(line.substr(at + more.size()));
    } else if (line.find(one) != std::string::npos) {
      ++lines;
      ++events;
    }
  }
  return {lines, events};
}

size_t HostileTest::victimLogCount(const std::string& text) const {
  std::string log = v_.log();
  size_t n = 0;
  for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
  return n;
}

HostileTest::VictimState HostileTest::victimState() const {
  VictimState out;
  FedJson s = v_.status();
  if (s.is_null() || s.is_discarded()) return out;
  for (const auto& a : s["authors"]) out.authors[a["key"]] = a["seq"].get<uint64_t>();
  out.honestSeq = out.authors[h_.key()];
  for (const auto& c : s["connections"]) {
    if (c["key"] == h_.key()) out.bytesToHonest = c["bytesOut"].get<uint64_t>();
  }
  return out;
}

}  // namespace allmenning::testing
