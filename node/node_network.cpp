// The Node's federation side: trust, vouches, peers and status.
#include <algorithm>

#include "node/address.h"
#include "node/node.h"

namespace allmenning {
namespace {

// A peer's address, by the one rule of node/address.h; the host is resolved
// when dialed.
Result<DialPeer> parseAddress(const std::string& address) {
  auto parsed = parseHostPort(address, PortZero::kRefused);
  if (!parsed.isOk()) return parsed.status().withContext("address");
  return DialPeer{parsed->host, parsed->port, PublicKey{}};
}

}  // namespace

Status Node::trustKey(const PublicKey& key, const std::string& name) {
  if (!name.empty()) {
    Status st = checkProfile(ProfileRecord{name, "", ""});
    if (!st.isOk()) return st;
  }
  return store_->trust(key, name);
}

Status Node::distrustKey(const PublicKey& key) {
  if (key == id()) return Status::refused("this node's own key is always trusted");
  auto removed = store_->distrust(key);
  if (!removed.isOk()) return removed.status();
  if (!*removed) return Status::notFound(toHex(key) + " is not trusted");
  return Status::ok();
}

Result<Json> Node::trustList() {
  auto trusted = store_->trusted();
  if (!trusted.isOk()) return trusted.status();
  Json direct = Json::array();
  for (const TrustedKey& t : *trusted) {
    direct.push_back({{"key", toHex(t.key)}, {"name", t.name}, {"self", t.key == id()}});
  }
  auto authors = store_->authors();
  if (!authors.isOk()) return authors.status();
  Json vouched = Json::array();
  for (const PublicKey& a : *authors) {
    if (store_->trusts(a) || !store_->accepts(a)) continue;
    auto by = vouchersOf(a);
    if (!by.isOk()) return by.status();
    auto name = store_->authorName(a);
    if (!name.isOk()) return name.status();
    vouched.push_back({{"key", toHex(a)},
                       {"name", *name ? Json(**name) : Json(nullptr)},
                       {"vouchedBy", std::move(*by)}});
  }
  return Json{{"trusted", std::move(direct)}, {"vouched", std::move(vouched)}};
}

Result<uint64_t> Node::vouchFor(const VouchRecord& vouch) {
  ALM_RETURN_IF_ERROR(checkVouch(vouch));
  if (vouch.key == id()) return Status::invalid("a node cannot vouch for its own key");
  auto entries = author({{Kind::kVouch, encodeVouch(vouch)}});
  if (!entries.isOk()) return entries.status();
  return entries->back().header.seq;
}

Result<Json> Node::vouchersOf(const PublicKey& author) {
  Json out = Json::array();
  for (const PublicKey& v : store_->vouchersOf(author)) {
    auto name = store_->authorName(v);
    if (!name.isOk()) return name.status();
    out.push_back({{"key", toHex(v)}, {"name", *name ? Json(**name) : Json(nullptr)}});
  }
  return out;
}

std::string Node::trustOf(const PublicKey& author) const {
  if (author == id()) return "self";
  if (store_->trusts(author)) return "trusted";
  return store_->accepts(author) ? "vouched" : "not trusted";
}

Status Node::addPeer(const std::string& address, const PublicKey& key) {
  auto peer = parseAddress(address);
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
  if (!*removed) return Status::notFound("no peer " + toHex(key));
  if (NetworkView* net = network_.load()) net->forget(key);
  return Status::ok();
}

Result<std::vector<DialPeer>> Node::peers() {
  auto stored = store_->peers();
  if (!stored.isOk()) return stored.status();
  std::vector<DialPeer> out;
  for (const PeerAddress& p : *stored) {
    auto peer = parseAddress(p.address);
    if (!peer.isOk()) return Status::corruption("peers: " + peer.status().message());
    peer->key = p.key;
    out.push_back(std::move(*peer));
  }
  return out;
}

bool Node::allowsPeer(const PublicKey& key) const {
  return config_.acceptPeers != "trusted" || store_->accepts(key);
}

void Node::published(const std::vector<Entry>& entries) {
  if (NetworkView* net = network_.load(); net && !entries.empty()) net->publish(entries);
}

}  // namespace allmenning
