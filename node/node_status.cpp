// Node::status: what `allmenning status` shows.
#include <algorithm>

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

// Whether this node may sign (node/authoring_hold.cpp); alert on held.
Json holdJson(const std::optional<AuthoringHold>& hold) {
  if (!hold) return Json{{"held", false}, {"since", nullptr}, {"reason", nullptr}};
  return Json{{"held", true}, {"since", isoTime(hold->since)}, {"reason", hold->reason}};
}

}  // namespace

Result<Json> Node::status() {
  NetworkView* net = network_.load();
  std::vector<PeerStatus> open = net ? net->peers() : std::vector<PeerStatus>{};
  auto hold = authoringHold();
  if (!hold.isOk()) return hold.status();
  Config config = this->config();
  auto own = profile();
  if (!own.isOk()) return own.status();
  Json node{{"key", toHex(id())},
            {"name", own->name},
            {"network", config.network},
            {"running", net != nullptr},
            {"listen", net ? net->listenAddress() : config.listen},
            {"authoring", holdJson(*hold)}};
  Json connections = Json::array();
  for (const PeerStatus& p : open) connections.push_back(connectionJson(p));
  auto configured = peers();
  if (!configured.isOk()) return configured.status();
  Json dialing = Json::array();
  std::vector<DialStatus> dialed = net ? net->dialing() : std::vector<DialStatus>{};
  for (const DialPeer& p : *configured) {
    std::string address = p.host + ":" + std::to_string(p.port);
    // Connected only through a session dialed to this very address: one
    // the peer opened to us, or one to an address since replaced, is not.
    auto slot = std::find_if(dialed.begin(), dialed.end(), [&](const DialStatus& d) {
      return d.key == p.key && d.address == address;
    });
    bool connected = slot != dialed.end() && slot->connected;
    bool inbound = std::any_of(open.begin(), open.end(),
                               [&](const PeerStatus& s) { return s.key == p.key && !s.dialed; });
    Json lastError =
        slot == dialed.end() || slot->lastError.empty() ? Json(nullptr) : Json(slot->lastError);
    dialing.push_back({{"key", toHex(p.key)},
                       {"address", address},
                       {"connected", connected},
                       {"inbound", inbound},
                       {"lastError", std::move(lastError)}});
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
    auto standing = standingJson(author);
    if (!standing.isOk()) return standing.status();
    auto e = store_->entry(author, head.seq);
    if (!e.isOk()) return e.status();
    int64_t ts = *e ? (*e)->header.timestamp : 0;
    Json row{{"key", toHex(author)}};
    row.update(*standing);
    row.update(Json{{"seq", head.seq},
                    {"head", toHex(head.hash)},
                    {"lastUpdate", isoTime(ts)},
                    {"forked", store_->frozen(author)}});
    out.push_back(std::move(row));
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
    auto standing = standingJson(author);
    if (!standing.isOk()) return standing.status();
    Json row{{"author", toHex(author)}};
    row.update(*standing);
    row.update(Json{{"seq", a->header.seq}, {"entries", {toHex(a->hash), toHex(b->hash)}}});
    out.push_back(std::move(row));
    return Status::ok();
  });
  if (!st.isOk()) return st;
  return out;
}

}  // namespace allmenning
