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
      g.out() << "peer " << *key << " at " << *address << "\n";
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
      g.out() << "removed peer " << *key << "\n";
      return Status::ok();
    });
  });
}

// "connected", or why not, as far as the dialer knows.
std::string peerState(const Json& p, bool running) {
  if (!running) return "node not running";
  if (p["connected"].get<bool>()) return "connected";
  std::string out = "not connected";
  if (!p["lastError"].is_null()) out += ": " + p["lastError"].get<std::string>();
  if (p["inbound"].get<bool>()) out += " (the peer is connected to us, from its side)";
  return out;
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
      if (g.json) {
        printJson(g, (*s)["peers"]);
        return Status::ok();
      }
      for (const auto& p : (*s)["peers"]) {
        g.out() << p["key"].get<std::string>() << "  " << p["address"].get<std::string>() << "  "
                << peerState(p, (*s)["node"]["running"].get<bool>()) << "\n";
      }
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
