// Node::status: what `allmenning status` shows.
#include "node/node.h"

namespace allmenning {
namespace {

Json connectionJson(const PeerStatus& p) {
  Json j{
      {"key", toHex(p.key)},       {"address", p.address}, {"direction", p.dialed ? "out" : "in"},
      {"since", isoTime(p.since)}, {"bytesIn", p.bytesIn}, {"bytesOut", p.bytesOut}};
  if (p.lagKnown) {
    j["ahead"] = p.ahead;
    j["behind"] = p.behind;
  } else {
    j["ahead"] = nullptr;
    j["behind"] = nullptr;
  }
  return j;
}

}  // namespace

Result<Json> Node::status() {
  NetworkView* net = network_.load();
  std::vector<PeerStatus> open = net ? net->peers() : std::vector<PeerStatus>{};
  Config config = this->config();
  auto own = profile();
  if (!own.isOk()) return own.status();
  Json node{{"key", toHex(id())},
            {"name", own->name},
            {"network", config.network},
            {"running", net != nullptr},
            {"listen", net ? net->listenAddress() : config.listen}};
  Json connections = Json::array();
  for (const PeerStatus& p : open) connections.push_back(connectionJson(p));
  auto configured = peers();
  if (!configured.isOk()) return configured.status();
  Json dialing = Json::array();
  for (const DialPeer& p : *configured) {
    bool connected =
        std::any_of(open.begin(), open.end(), [&](const PeerStatus& s) { return s.key == p.key; });
    dialing.push_back({{"key", toHex(p.key)},
                       {"address", p.host + ":" + std::to_string(p.port)},
                       {"connected", connected}});
  }
  auto authors = authorsStatus();
  if (!authors.isOk()) return authors.status();
  auto forks = forksStatus();
  if (!forks.isOk()) return forks.status();
  return Json{{"node", std::move(node)},
              {"connections", std::move(connections)},
              {"peers", std::move(dialing)},
              {"authors", std::move(*authors)},
              {"forks", std::move(*forks)}};
}

// Every author with entries here: name, head, when its head was signed, and
// why this node accepts it.
Result<Json> Node::authorsStatus() {
  auto heads = store_->heads();
  if (!heads.isOk()) return heads.status();
  Json out = Json::array();
  for (const auto& [author, head] : *heads) {
    auto name = store_->authorName(author);
    if (!name.isOk()) return name.status();
    auto e = store_->entry(author, head.seq);
    if (!e.isOk()) return e.status();
    int64_t ts = *e ? (*e)->header.timestamp : 0;
    out.push_back({{"key", toHex(author)},
                   {"name", *name ? Json(**name) : Json(nullptr)},
                   {"seq", head.seq},
                   {"head", toHex(head.hash)},
                   {"lastUpdate", isoTime(ts)},
                   {"trust", trustOf(author)},
                   {"forked", store_->frozen(author)}});
  }
  return out;
}

Result<Json> Node::forksStatus() {
  Json out = Json::array();
  Status st = store_->forEachFork([&](const PublicKey& author, Result<ForkProof> proof) -> Status {
    if (!proof.isOk()) return proof.status();
    auto a = entryFromParts(proof->a.header, proof->a.signature, std::nullopt);
    auto b = entryFromParts(proof->b.header, proof->b.signature, std::nullopt);
    if (!a.isOk()) return a.status();
    if (!b.isOk()) return b.status();
    auto name = store_->authorName(author);
    if (!name.isOk()) return name.status();
    out.push_back({{"author", toHex(author)},
                   {"name", *name ? Json(**name) : Json(nullptr)},
                   {"seq", a->header.seq},
                   {"entries", {toHex(a->hash), toHex(b->hash)}}});
    return Status::ok();
  });
  if (!st.isOk()) return st;
  return out;
}

}  // namespace allmenning
