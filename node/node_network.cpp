// The Node's federation side: trust, vouches, peers and status.
#include <algorithm>

#include "node/node.h"

namespace allmenning {
namespace {

// "host:port" with a port of 1..65535; the host is resolved when dialed.
Result<DialPeer> parseAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  std::string port = colon == std::string::npos ? "" : address.substr(colon + 1);
  if (colon == 0 || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) == 0 ||
      std::stoi(port) > 65535) {
    return Status::invalid("address \"" + address + "\" is not HOST:PORT (port 1..65535)");
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.size() > 253 || host.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::invalid("address \"" + address + "\": bad host name");
  }
  return DialPeer{host, static_cast<uint16_t>(std::stoi(port)), PublicKey{}};
}

}  // namespace

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
