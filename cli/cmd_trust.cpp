// allmenning trust add | list | remove, and allmenning vouch
#include "cli/cli.h"
#include "cli/keys_arg.h"
#include "cli/show_text.h"

namespace allmenning::cli {
namespace {

void printTrust(Globals& g, const Json& list) {
  for (const auto& t : list["trusted"]) {
    g.out() << t["key"].get<std::string>() << "  trusted  "
            << (t["self"].get<bool>() ? "(this node) " : "")
            << (t["authorName"].is_string() ? authorText(t, "key") : "(no name)") << "\n";
  }
  for (const auto& v : list["vouched"]) {
    g.out() << v["key"].get<std::string>() << "  vouched  " << listedText(v, "key") << "\n";
  }
}

void addTrustAdd(CLI::App& group, Globals& g) {
  auto* add = group.add_subcommand("add", "Accept entries signed by this key");
  auto key = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  add->add_option("PUBKEY", *key, "The body's public key (64 hex characters)")->required();
  add->add_option("--name", *name, "A name to remember the key by");
  add->callback([&g, key, name] {
    withNode(g, [&](Node& node) -> Status {
      auto k = parsePublicKey(*key);
      if (!k.isOk()) return k.status();
      ALM_RETURN_IF_ERROR(node.trustKey(*k, *name));
      answer(g, Json{{"trusted", toHex(*k)}, {"name", *name}}, [](Globals& g, const Json& r) {
        g.out() << "trusted " << r["trusted"].get<std::string>() << "\n";
      });
      return Status::ok();
    });
  });
}

void addTrustRemove(CLI::App& group, Globals& g) {
  auto* remove = group.add_subcommand(
      "remove", "Stop accepting and relaying this key's entries (stored ones stay)");
  auto key = std::make_shared<std::string>();
  remove->add_option("PUBKEY", *key, "The key to stop trusting")->required();
  remove->callback([&g, key] {
    withNode(g, [&](Node& node) -> Status {
      auto k = parsePublicKey(*key);
      if (!k.isOk()) return k.status();
      ALM_RETURN_IF_ERROR(node.distrustKey(*k));
      answer(g, Json{{"distrusted", toHex(*k)}}, [](Globals& g, const Json& r) {
        g.out() << "no longer trusted: " << r["distrusted"].get<std::string>() << "\n";
      });
      return Status::ok();
    });
  });
}

}  // namespace

void addTrust(CLI::App& app, Globals& g) {
  auto* group = app.add_subcommand("trust", "Which bodies' entries this node accepts");
  group->require_subcommand(1);
  group->fallthrough();
  addTrustAdd(*group, g);
  addTrustRemove(*group, g);
  auto* list = group->add_subcommand(
      "list", "Keys trusted directly, and keys accepted because a trusted body vouched");
  list->callback([&g] {
    withNode(g, [&](Node& node) -> Status {
      auto l = node.trustList();
      if (!l.isOk()) return l.status();
      answer(g, std::move(*l), printTrust);
      return Status::ok();
    });
  });
}

void addVouch(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "vouch",
      "Publish a signed statement that a key belongs to a body; nodes that trust "
      "this node accept that key too");
  auto key = std::make_shared<std::string>();
  auto v = std::make_shared<VouchRecord>();
  cmd->add_option("PUBKEY", *key, "The body's public key (64 hex characters)")->required();
  cmd->add_option("--name", v->name, "The body's name")->required();
  cmd->add_option("--orgnr", v->orgnr, "Its organisation number (9 digits, MOD11)");
  cmd->add_option("--kommunenummer", v->kommunenummer, "Its municipality number (4 digits)");
  auto update = std::make_shared<bool>(false);
  cmd->add_flag("--update", *update,
                "Replace this node's earlier vouch for the key when it said something else");
  cmd->callback([&g, key, v, update] {
    withNode(g, [&](Node& node) -> Status {
      auto k = parsePublicKey(*key);
      if (!k.isOk()) return k.status();
      v->key = *k;
      auto r = node.vouchFor(*v, *update);
      if (!r.isOk()) return r.status();
      Json j{{"vouched", toHex(v->key)},
             {"name", v->name},
             {"seq", r->seq},
             {"unchanged", r->unchanged}};
      if (!v->orgnr.empty()) j["orgnr"] = v->orgnr;
      if (!v->kommunenummer.empty()) j["kommunenummer"] = v->kommunenummer;
      answer(g, std::move(j), [](Globals& g, const Json& r) {
        std::string key = r["vouched"].get<std::string>();
        std::string name = shown(r["name"].get<std::string>());
        if (r["unchanged"].get<bool>()) {
          g.out() << "unchanged: " << key << " is vouched for as " << name << " at seq "
                  << r["seq"].get<uint64_t>() << "\n";
        } else {
          g.out() << "vouched for " << key << " (" << name << ") as seq "
                  << r["seq"].get<uint64_t>() << "\n";
        }
      });
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
