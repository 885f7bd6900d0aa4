// The Node's federation side: trust, vouches, peers and status.
#include <algorithm>

#include "node/node.h"

namespace allmenning {

// init publishes the profile as seq 1, so every node has one; a log whose
// profile payload was lost reads as corrupt rather than nameless.
Result<ProfileRecord> Node::profile() const {
  auto p = store_->profile(id());
  if (!p.isOk()) return p.status();
  if (!*p) return Status::corruption("this node's log holds no profile entry");
  return std::move((*p)->record);
}

Result<PutResult> Node::setProfile(const ProfileRecord& profile) {
  ALM_RETURN_IF_ERROR(checkProfile(profile));
  auto current = store_->profile(id());
  if (!current.isOk()) return current.status();
  PutResult out{CaseKey{id(), ""}, 0, false, ""};
  if (*current && (*current)->record == profile) {
    out.seq = (*current)->seq;
    out.unchanged = true;
    return out;
  }
  auto entries = author({{Kind::kProfile, encodeProfile(profile)}});
  if (!entries.isOk()) return entries.status();
  out.seq = entries->back().header.seq;
  return out;
}

Status Node::trustKey(const PublicKey& key, const std::string& name) {
  std::string chosen = name;
  if (!name.empty()) {
    ALM_RETURN_IF_ERROR(checkProfile(ProfileRecord{name, "", ""}));
  } else {
    // Without --name, a name given before stays (this node's own included).
    auto given = store_->trustName(key);
    if (!given.isOk()) return given.status();
    chosen = given->value_or("");
  }
  ALM_RETURN_IF_ERROR(store_->trust(key, chosen));
  if (NetworkView* net = network_.load()) net->trustChanged();
  return Status::ok();
}

Status Node::distrustKey(const PublicKey& key) {
  if (key == id()) return Status::refused("this node's own key is always trusted");
  auto removed = store_->distrust(key);
  if (!removed.isOk()) return removed.status();
  if (!*removed) return Status::notFound(toHex(key) + " is not trusted");
  if (NetworkView* net = network_.load()) net->trustChanged();
  return Status::ok();
}

Result<Json> Node::trustList() {
  auto trusted = store_->trusted();
  if (!trusted.isOk()) return trusted.status();
  Json direct = Json::array();
  for (const TrustedKey& t : *trusted) {
    auto standing = standingJson(t.key);
    if (!standing.isOk()) return standing.status();
    Json row{{"key", toHex(t.key)}, {"self", t.key == id()}};
    row.update(*standing);
    direct.push_back(std::move(row));
  }
  auto authors = store_->authors();
  if (!authors.isOk()) return authors.status();
  Json vouched = Json::array();
  for (const PublicKey& a : *authors) {
    auto standing = standingOf(a);
    if (!standing.isOk()) return standing.status();
    if (standing->trust != Trust::kVouched) continue;
    Json row{{"key", toHex(a)}};
    row.update(toJson(*standing));
    vouched.push_back(std::move(row));
  }
  return Json{{"trusted", std::move(direct)}, {"vouched", std::move(vouched)}};
}

Result<VouchResult> Node::vouchFor(const VouchRecord& vouch, bool update) {
  ALM_RETURN_IF_ERROR(checkVouch(vouch));
  if (vouch.key == id()) return Status::invalid("a node cannot vouch for its own key");
  auto held = store_->vouch(vouch.key, id());
  if (!held.isOk()) return held.status();
  if (*held && (*held)->record == vouch) return VouchResult{(*held)->seq, true};
  if (*held && !update) {
    const VouchRecord& was = (*held)->record;
    return Status::refused(
        toHex(vouch.key) + " is already vouched for at seq " + std::to_string((*held)->seq) +
        " as \"" + was.name + "\"" + (was.orgnr.empty() ? "" : ", orgnr " + was.orgnr) +
        (was.kommunenummer.empty() ? "" : ", kommunenummer " + was.kommunenummer) +
        "; pass --update to publish the new vouch in its place");
  }
  auto entries = author({{Kind::kVouch, encodeVouch(vouch)}});
  if (!entries.isOk()) return entries.status();
  return VouchResult{entries->back().header.seq, false};
}

Status Node::addPeer(const std::string& address, const PublicKey& key) {
  auto peer = parsePeerAddress(address);
  if (!peer.isOk()) return peer.status();
  if (key == id()) return Status::invalid("a node cannot peer with itself");
  ALM_RETURN_IF_ERROR(store_->addPeer(PeerAddress{key, address}));
  peer->key = key;
  if (NetworkView* net = network_.load()) net->dial(*peer);
  return Status::ok();
}

Status Node::removePeer(const PublicKey& key) {
  auto removed = store_->removePeer(key);
  if (!removed.isOk()) return removed.status();
  if (!*removed && config().peers.count(key) != 0) {
    return Status::refused("peer " + toHex(key) + " is in the [peers] section of " +
                           paths_.config() + "; remove it there and reload the config (SIGHUP)");
  }
  if (!*removed) return Status::notFound("no peer " + toHex(key));
  if (NetworkView* net = network_.load()) net->forget(key);
  return Status::ok();
}

Result<std::vector<DialPeer>> Node::peers() {
  auto stored = store_->peers();
  if (!stored.isOk()) return stored.status();
  std::vector<DialPeer> out;
  for (const PeerAddress& p : *stored) {
    auto peer = parsePeerAddress(p.address);
    if (!peer.isOk()) return Status::corruption("peers: " + peer.status().message());
    peer->key = p.key;
    out.push_back(std::move(*peer));
  }
  for (const auto& [configKey, address] : config().peers) {
    const PublicKey& key = configKey;  // a binding cannot be captured by every compiler
    bool stored =
        std::any_of(out.begin(), out.end(), [&](const DialPeer& p) { return p.key == key; });
    auto peer = parsePeerAddress(address);  // checked when the config was loaded
    if (stored || !peer.isOk()) continue;
    peer->key = key;
    out.push_back(std::move(*peer));
  }
  return out;
}

bool Node::allowsPeer(const PublicKey& key) const {
  return config().acceptPeers != "trusted" || store_->accepts(key);
}

Config Node::config() const {
  std::lock_guard lock(configMu_);
  return config_;
}

void Node::reconfigure(Config fresh) {
  std::map<PublicKey, std::string> before;
  bool acceptChanged = false;
  {
    std::lock_guard lock(configMu_);
    before = std::move(config_.peers);
    acceptChanged = config_.acceptPeers != fresh.acceptPeers;
    config_ = fresh;
  }
  NetworkView* net = network_.load();
  if (net != nullptr && acceptChanged) net->trustChanged();
  auto stored = store_->peers();
  if (net == nullptr || !stored.isOk()) return;
  auto isStored = [&](const PublicKey& key) {
    return std::any_of(stored->begin(), stored->end(),
                       [&](const PeerAddress& p) { return p.key == key; });
  };
  for (const auto& [key, address] : fresh.peers) {
    auto it = before.find(key);
    auto peer = parsePeerAddress(address);
    if ((it != before.end() && it->second == address) || isStored(key) || !peer.isOk()) continue;
    peer->key = key;
    net->dial(*peer);
  }
  for (const auto& [key, address] : before) {
    if (fresh.peers.count(key) == 0 && !isStored(key)) net->forget(key);
  }
}

void Node::published(const std::vector<Entry>& entries) {
  if (NetworkView* net = network_.load(); net && !entries.empty()) net->publish(entries);
}

}  // namespace allmenning
