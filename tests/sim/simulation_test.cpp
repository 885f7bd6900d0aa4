// Many seeded runs of the multi-node simulation (tests/sim/simulation.h).
//
// Every run: 20 nodes (one of them an adversary), 20% message loss, random
// delivery order, one partition that heals, random authoring; then loss
// stops, partitions heal, and the run must settle with identical heads on
// every honest node and no invalid entry stored anywhere.
//
// Replay one seed:  ALLMENNING_SIM_SEED=N ./simulation_tests
#include "tests/sim/simulation.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

namespace allmenning::testing {
namespace {

constexpr uint64_t kSeeds = 200;

// Seeds alternate between the hub topology and a random mesh; every fourth
// run also has an author that equivocates.
SimConfig configFor(uint64_t seed) {
  SimConfig c;
  c.seed = seed;
  c.mesh = seed % 2 == 1;
  c.equivocator = seed % 4 == 0;
  return c;
}

std::vector<uint64_t> seeds() {
  if (const char* env = std::getenv("ALLMENNING_SIM_SEED")) {
    return {std::strtoull(env, nullptr, 10)};
  }
  std::vector<uint64_t> out;
  for (uint64_t s = 1; s <= kSeeds; ++s) out.push_back(s);
  return out;
}

class SimulationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initCrypto().isOk()); }
};

TEST_F(SimulationTest, HonestNodesConvergeUnderLossPartitionsAndAttack) {
  auto start = std::chrono::steady_clock::now();
  SimStats total;
  int failures = 0;
  for (uint64_t seed : seeds()) {
    Simulation sim(configFor(seed));
    std::string failure = sim.run();
    const SimStats& s = sim.stats();
    total.messages += s.messages;
    total.lost += s.lost;
    total.authored += s.authored;
    total.injected += s.injected;
    total.adversaryDisconnects += s.adversaryDisconnects;
    total.settleSteps = std::max(total.settleSteps, s.settleSteps);
    if (!failure.empty()) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << ": " << failure
                    << "\n  replay: ALLMENNING_SIM_SEED=" << seed << " ./simulation_tests";
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "simulation: " << seeds().size() << " runs, " << failures << " failed, "
            << total.authored << " entries authored, " << total.messages << " messages ("
            << total.lost << " lost), " << total.injected << " invalid injections, "
            << total.adversaryDisconnects << " adversary disconnects, slowest settle "
            << total.settleSteps << " steps, " << secs << " s\n";
}

TEST_F(SimulationTest, SameSeedReplaysExactly) {
  Simulation a(configFor(8)), b(configFor(8));
  EXPECT_EQ(a.run(), "");
  EXPECT_EQ(b.run(), "");
  EXPECT_EQ(a.stats().messages, b.stats().messages);
  EXPECT_EQ(a.stats().lost, b.stats().lost);
  EXPECT_EQ(a.stats().settleSteps, b.stats().settleSteps);
}

TEST_F(SimulationTest, AdversaryIsDroppedAndNeverBelieved) {
  SimConfig c = configFor(3);
  c.loss = 0;  // every injection arrives
  Simulation sim(c);
  EXPECT_EQ(sim.run(), "");
  EXPECT_GT(sim.stats().injected, 0);
  EXPECT_GE(sim.stats().adversaryDisconnects, 2);  // both of its links
}

}  // namespace
}  // namespace allmenning::testing
