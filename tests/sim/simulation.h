// A seeded, deterministic multi-node simulation of the sync protocol.
//
// Nodes are MemoryLogs with one SyncSession per link, all in one process.
// A simulated clock advances in fixed steps; every message is encoded,
// delayed by a random amount (so delivery order is random, not per-link
// FIFO), and lost with a configurable probability. Partitions cut a set of
// links for a while and heal. Everything random comes from one
// std::mt19937_64 seeded explicitly, so a seed replays exactly.
#pragma once

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "protocol/memory_log.h"
#include "protocol/sync.h"
#include "tests/sim/sim_author.h"

namespace allmenning::testing {

struct SimConfig {
  uint64_t seed = 1;
  int nodes = 20;     // including the adversary when there is one
  bool mesh = false;  // random connected mesh; else hubs and leaves
  int hubs = 3;
  double loss = 0.2;  // probability that a message vanishes
  int64_t stepMs = 10;
  int authoringSteps = 300;  // steps with authoring, loss and partitions
  int entries = 24;          // entries authored by honest nodes per run
  int maxSettleSteps = 4000;
  bool adversary = true;     // the last node injects invalid entries
  bool equivocator = false;  // an extra author signs two entries for one seq
  SyncConfig sync{200, 400, 8, 65536};
};

struct SimStats {
  int64_t messages = 0;
  int64_t lost = 0;
  int authored = 0;
  int injected = 0;
  int adversaryDisconnects = 0;
  int settleSteps = 0;
};

class Simulation {
 public:
  explicit Simulation(SimConfig config);

  // Runs every phase. Returns an empty string on success, else what failed.
  std::string run();
  const SimStats& stats() const { return stats_; }

 private:
  struct Node {
    Node(const Hash& network, uint64_t keySeed) : author(network, keySeed), log(network) {}
    SimAuthor author;
    MemoryLog log;
    std::map<int, std::unique_ptr<SyncSession>> sessions;  // by peer index
    bool honest = true;
  };
  struct Pending {
    int from = 0;
    int to = 0;
    Bytes bytes;
  };
  using Key = std::pair<int64_t, uint64_t>;  // (delivery time, random order)

  void buildTopology();
  void link(int a, int b);
  void step();
  void deliverDue();
  void handle(int node, int peer, Effects fx);
  void fanOut(int node, int except, const std::vector<Entry>& entries,
              const std::vector<ForkProof>& forks);
  void send(int from, int to, const Message& m);
  void disconnect(int a, int b, const PeerError& reason);
  void author();
  void equivocate();
  void inject();
  void partition();

  std::string checkHonestLogs() const;
  std::string checkConverged() const;
  bool honestLink(int a, int b) const { return nodes_[a]->honest && nodes_[b]->honest; }

  SimConfig config_;
  Hash network_;
  std::mt19937_64 rng_;
  int64_t now_ = 0;
  bool lossy_ = true;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::set<std::pair<int, int>> cut_;  // (min, max) links currently partitioned
  int healAt_ = -1;
  std::map<Key, Pending> queue_;
  std::unique_ptr<SimAuthor> equivocator_;
  std::vector<std::string> honestDisconnects_;
  SimStats stats_;
};

}  // namespace allmenning::testing
