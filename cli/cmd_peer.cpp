// allmenning peer add | list | remove
#include "cli/cli.h"
#include "cli/keys_arg.h"

namespace allmenning::cli {
namespace {

void addPeerAdd(CLI::App& group, Globals& g) {
  auto* add = group.add_subcommand("add", "Dial this peer (now, if the node runs, and at start)");
  auto address = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  add->add_option("HOST:PORT", *address, "Where the peer listens")->required();
  add->add_option("PUBKEY", *key, "The key the peer must prove (its `allmenning id`)")->required();
  add->callback([&g, address, key] {
    withNode(g, [&](Node& node) -> Status {
      auto k = parsePublicKey(*key);
      if (!k.isOk()) return k.status();
      ALM_RETURN_IF_ERROR(node.addPeer(*address, *k));
      answer(g, Json{{"peer", toHex(*k)}, {"address", *address}}, [](Globals& g, const Json& r) {
        g.out() << "peer " << r["peer"].get<std::string>() << " at "
                << r["address"].get<std::string>() << "\n";
      });
      return Status::ok();
    });
  });
}

void addPeerRemove(CLI::App& group, Globals& g) {
  auto* remove = group.add_subcommand("remove", "Stop dialing this peer and close its connection");
  auto key = std::make_shared<std::string>();
  remove->add_option("PUBKEY", *key, "The peer's key")->required();
  remove->callback([&g, key] {
    withNode(g, [&](Node& node) -> Status {
      auto k = parsePublicKey(*key);
      if (!k.isOk()) return k.status();
      ALM_RETURN_IF_ERROR(node.removePeer(*k));
      answer(g, Json{{"removed", toHex(*k)}}, [](Globals& g, const Json& r) {
        g.out() << "removed peer " << r["removed"].get<std::string>() << "\n";
      });
      return Status::ok();
    });
  });
}

// "connected", or why not, as far as the dialer knows.
std::string peerState(const Json& p) {
  if (!p["nodeRunning"].get<bool>()) return "node not running";
  if (p["connected"].get<bool>()) return "connected";
  std::string out = "not connected";
  if (!p["lastError"].is_null()) out += ": " + p["lastError"].get<std::string>();
  if (p["inbound"].get<bool>()) out += " (the peer is connected to us, from its side)";
  return out;
}

void printPeers(Globals& g, const Json& peers) {
  for (const auto& p : peers) {
    g.out() << p["key"].get<std::string>() << "  " << p["address"].get<std::string>() << "  "
            << peerState(p) << "\n";
  }
}

}  // namespace

void addPeer(CLI::App& app, Globals& g) {
  auto* group = app.add_subcommand("peer", "The peers this node dials");
  group->require_subcommand(1);
  group->fallthrough();
  addPeerAdd(*group, g);
  addPeerRemove(*group, g);
  auto* list =
      group->add_subcommand("list", "Peers this node dials, and whether they are connected");
  list->callback([&g] {
    withNode(g, [&](Node& node) -> Status {
      auto s = node.status();
      if (!s.isOk()) return s.status();
      // Each row says whether the node runs: the JSON stays the list it was.
      Json peers = (*s)["peers"];
      for (auto& p : peers) p["nodeRunning"] = (*s)["node"]["running"];
      answer(g, std::move(peers), printPeers);
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
