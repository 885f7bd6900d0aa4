#include "tests/sim/simulation.h"

#include <algorithm>
#include <sstream>

#include "protocol/records.h"

namespace allmenning::testing {
namespace {

std::pair<int, int> ordered(int a, int b) { return {std::min(a, b), std::max(a, b)}; }

std::string shortHex(const PublicKey& k) { return toHex(k).substr(0, 8); }

}  // namespace

Simulation::Simulation(SimConfig config)
    : config_(config), network_(networkId("sim")), rng_(config.seed) {
  for (int i = 0; i < config_.nodes; ++i)
    nodes_.push_back(std::make_unique<Node>(network_, config_.seed * 1000 + i));
  if (config_.adversary) nodes_.back()->honest = false;
  if (config_.equivocator)
    equivocator_ = std::make_unique<SimAuthor>(network_, config_.seed * 1000 + 999);
  buildTopology();
}

// Hubs form a clique and every leaf hangs off one hub; a mesh is a random
// spanning tree plus extra random links. The adversary gets two links so
// that it is dropped more than once.
void Simulation::buildTopology() {
  int n = config_.nodes - (config_.adversary ? 1 : 0);
  std::uniform_int_distribution<int> any(0, n - 1);
  if (config_.mesh) {
    for (int i = 1; i < n; ++i) link(i, std::uniform_int_distribution<int>(0, i - 1)(rng_));
    for (int extra = 0; extra < n / 2; ++extra) {
      int a = any(rng_), b = any(rng_);
      if (a != b) link(a, b);
    }
  } else {
    for (int h = 0; h < config_.hubs; ++h) {
      for (int g = h + 1; g < config_.hubs; ++g) link(h, g);
    }
    std::uniform_int_distribution<int> hub(0, config_.hubs - 1);
    for (int i = config_.hubs; i < n; ++i) link(i, hub(rng_));
  }
  if (config_.adversary) {
    link(n, any(rng_));
    link(n, any(rng_));
  }
  for (int i = 0; i < config_.nodes; ++i) {
    for (auto& [peer, session] : nodes_[i]->sessions) handle(i, peer, session->onConnected(now_));
  }
}

void Simulation::link(int a, int b) {
  if (a == b || nodes_[a]->sessions.count(b)) return;
  nodes_[a]->sessions[b] = std::make_unique<SyncSession>(nodes_[a]->log, config_.sync);
  nodes_[b]->sessions[a] = std::make_unique<SyncSession>(nodes_[b]->log, config_.sync);
}

std::string Simulation::run() {
  int authoringEvery = std::max(1, config_.authoringSteps / std::max(1, config_.entries));
  for (int s = 0; s < config_.authoringSteps; ++s) {
    if (s % authoringEvery == 0 && stats_.authored < config_.entries) author();
    if (equivocator_ && s == config_.authoringSteps / 3) equivocate();
    if (config_.adversary && s % 25 == 7) inject();
    if (s == config_.authoringSteps / 5) partition();
    if (s == healAt_) cut_.clear();
    step();
  }
  // Settle: no more authoring, every partition healed, no more loss.
  cut_.clear();
  lossy_ = false;
  for (int s = 0; s < config_.maxSettleSteps; ++s) {
    step();
    if (s % 10 == 0 && queue_.empty() && checkConverged().empty()) {
      stats_.settleSteps = s;
      break;
    }
  }
  std::string bad = checkHonestLogs();
  if (bad.empty() && !honestDisconnects_.empty()) bad = honestDisconnects_.front();
  if (bad.empty()) bad = checkConverged();
  return bad;
}

void Simulation::step() {
  now_ += config_.stepMs;
  deliverDue();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    // Sessions may be removed while handling effects: iterate over a copy.
    std::vector<int> peers;
    for (auto& [peer, session] : nodes_[i]->sessions) peers.push_back(peer);
    for (int peer : peers) {
      auto it = nodes_[i]->sessions.find(peer);
      if (it != nodes_[i]->sessions.end()) handle(int(i), peer, it->second->onTick(now_));
    }
  }
}

void Simulation::deliverDue() {
  while (!queue_.empty() && queue_.begin()->first.first <= now_) {
    Pending p = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    auto it = nodes_[p.to]->sessions.find(p.from);
    if (it == nodes_[p.to]->sessions.end()) continue;  // the link was closed
    handle(p.to, p.from, it->second->onBytes(p.bytes, now_));
  }
}

void Simulation::handle(int node, int peer, Effects fx) {
  for (const Message& m : fx.send) send(node, peer, m);
  fanOut(node, peer, fx.accepted, fx.forks);
  if (fx.disconnect) disconnect(node, peer, *fx.disconnect);
}

// What one session accepted is pushed to every other peer of the node.
void Simulation::fanOut(int node, int except, const std::vector<Entry>& entries,
                        const std::vector<ForkProof>& forks) {
  if (entries.empty() && forks.empty()) return;
  std::vector<int> peers;
  for (auto& [peer, session] : nodes_[node]->sessions) {
    if (peer != except) peers.push_back(peer);
  }
  for (int peer : peers) {
    auto it = nodes_[node]->sessions.find(peer);
    if (it == nodes_[node]->sessions.end()) continue;
    if (!entries.empty()) handle(node, peer, it->second->onLocalAccepted(entries, now_));
    for (const ForkProof& f : forks) handle(node, peer, it->second->onLocalFork(f));
  }
}

void Simulation::send(int from, int to, const Message& m) {
  ++stats_.messages;
  std::uniform_real_distribution<double> coin(0, 1);
  if (cut_.count(ordered(from, to)) || (lossy_ && coin(rng_) < config_.loss)) {
    ++stats_.lost;
    return;
  }
  int64_t delay = std::uniform_int_distribution<int64_t>(1, 40)(rng_);
  queue_[{now_ + delay, rng_()}] = Pending{from, to, encodeMessage(m)};
}

void Simulation::disconnect(int a, int b, const PeerError& reason) {
  if (honestLink(a, b)) {
    honestDisconnects_.push_back("honest node " + std::to_string(a) + " dropped honest node " +
                                 std::to_string(b) + ": " + reason.text);
  } else {
    ++stats_.adversaryDisconnects;
  }
  nodes_[a]->sessions.erase(b);
  nodes_[b]->sessions.erase(a);
}

void Simulation::author() {
  std::vector<int> honest;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->honest) honest.push_back(int(i));
  }
  int i = honest[std::uniform_int_distribution<size_t>(0, honest.size() - 1)(rng_)];
  Node& n = *nodes_[i];
  Entry e = n.author.next(now_);
  auto r = n.log.apply({e});
  if (!r.isOk() || (*r)[0].outcome != Outcome::kAccepted) return;
  ++stats_.authored;
  fanOut(i, -1, {e}, {});
}

// The extra author signs two different entries for seq 1 and hands them to
// two different honest nodes, as if it had published each to one of them.
void Simulation::equivocate() {
  Entry first = equivocator_->nextRetract(now_);
  Entry second = equivocator_->sibling(1, Hash{}, now_);
  int a = 0, b = config_.nodes - 2;
  for (auto [node, e] : {std::pair{a, first}, std::pair{b, second}}) {
    auto r = nodes_[node]->log.apply({e});
    if (r.isOk() && (*r)[0].outcome == Outcome::kAccepted) fanOut(node, -1, {e}, {});
  }
}

// The adversary sends one of three invalid entries to one of its peers: a
// forged signature on another author's next entry, a real entry with a
// swapped payload, or its own validly signed entry with a bad record.
void Simulation::inject() {
  Node& adv = *nodes_.back();
  if (adv.sessions.empty()) return;
  auto it = adv.sessions.begin();
  std::advance(it, std::uniform_int_distribution<size_t>(0, adv.sessions.size() - 1)(rng_));
  int victim = it->first;
  auto heads = adv.log.heads();
  Entry bad;
  int kind = std::uniform_int_distribution<int>(0, 2)(rng_);
  if (kind < 2 && heads.isOk() && !heads->empty()) {
    const AuthorHead& h =
        (*heads)[std::uniform_int_distribution<size_t>(0, heads->size() - 1)(rng_)];
    if (kind == 0) {
      Header forged{network_, h.author, h.seq + 1, h.hash, Kind::kCase, now_, {}, 0};
      bad = signEntry(adv.author.key(), forged, SimAuthor::casePayload(h.seq + 1));
    } else {
      bad = **adv.log.entry(h.author, h.seq);
      bad.payload = SimAuthor::casePayload(1000 + h.seq);
    }
  } else {
    Header own{network_, adv.author.id(), 1, {}, Kind::kCase, now_, {}, 0};
    bad = signEntry(adv.author.key(), own, Bytes(16, 0));
  }
  ++stats_.injected;
  send(int(nodes_.size()) - 1, victim, Entries{{toWire(bad)}});
}

// Cuts a random third of the links for a random while.
void Simulation::partition() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (auto& [peer, session] : nodes_[i]->sessions) {
      if (int(i) < peer && std::uniform_int_distribution<int>(0, 2)(rng_) == 0) {
        cut_.insert({int(i), peer});
      }
    }
  }
  healAt_ = config_.authoringSteps / 5 +
            std::uniform_int_distribution<int>(30, config_.authoringSteps / 2)(rng_);
}

// Every stored entry of every honest node passes the acceptance rules and
// chains to its predecessor, and nothing of the adversary's was accepted.
std::string Simulation::checkHonestLogs() const {
  const PublicKey& adversary = nodes_.back()->author.id();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i]->honest) continue;
    const MemoryLog& log = nodes_[i]->log;
    auto heads = log.heads();  // kept alive: a range-for does not extend it through *
    if (!heads.isOk()) return heads.status().message();
    for (const AuthorHead& h : *heads) {
      if (config_.adversary && h.author == adversary) {
        return "node " + std::to_string(i) + " accepted an entry of the adversary";
      }
      Hash prev{};
      for (uint64_t seq = 1; seq <= h.seq; ++seq) {
        auto e = log.entry(h.author, seq);
        if (!e.isOk() || !*e) return "node " + std::to_string(i) + ": missing entry";
        const Entry& entry = **e;
        Status st = checkEntry(entry, network_);
        if (st.isOk() && entry.header.prev != prev) st = Status::corruption("broken chain");
        if (st.isOk()) st = checkPayload(entry.header.kind, *entry.payload);
        if (!st.isOk())
          return "node " + std::to_string(i) + " holds an invalid entry: " + st.message();
        prev = entry.hash;
      }
    }
  }
  return "";
}

// All honest nodes hold the same heads for every author that is not frozen,
// and every honest node froze the equivocator.
std::string Simulation::checkConverged() const {
  auto unfrozen = [](const MemoryLog& log) {
    std::vector<AuthorHead> out;
    auto heads = log.heads();
    if (!heads.isOk()) return out;
    for (const AuthorHead& h : *heads) {
      if (!log.frozen(h.author)) out.push_back(h);
    }
    return out;
  };
  std::vector<AuthorHead> reference = unfrozen(nodes_[0]->log);
  size_t total = 0;
  for (const AuthorHead& h : reference) total += h.seq;
  if (total != size_t(stats_.authored)) {
    return "node 0 holds " + std::to_string(total) + " entries of " +
           std::to_string(stats_.authored) + " authored";
  }
  for (size_t i = 1; i < nodes_.size(); ++i) {
    if (!nodes_[i]->honest) continue;
    auto heads = unfrozen(nodes_[i]->log);
    if (heads != reference) {
      std::ostringstream out;
      out << "node " << i << " has " << heads.size() << " authors, node 0 has " << reference.size();
      for (size_t k = 0; k < std::min(heads.size(), reference.size()); ++k) {
        if (heads[k] != reference[k]) {
          out << "; first difference: author " << shortHex(heads[k].author) << " seq "
              << heads[k].seq << " vs " << shortHex(reference[k].author) << " seq "
              << reference[k].seq;
          break;
        }
      }
      return out.str();
    }
  }
  for (size_t i = 0; equivocator_ && i < nodes_.size(); ++i) {
    if (nodes_[i]->honest && !nodes_[i]->log.frozen(equivocator_->id())) {
      return "node " + std::to_string(i) + " did not learn of the equivocation";
    }
  }
  return "";
}

}  // namespace allmenning::testing
