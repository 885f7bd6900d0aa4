// allmenning profile show | set
//
// The body's name, orgnr and kommunenummer live in one place: the signed
// profile entries of the node's own log. `init` publishes the first, `profile
// set` each change, and peers learn it as they learn any entry.
#include "cli/cli.h"
#include "cli/show_text.h"

namespace allmenning::cli {
namespace {

Json profileJson(const Node& node, const ProfileRecord& p) {
  return Json{{"key", toHex(node.id())},
              {"name", p.name},
              {"orgnr", p.orgnr.empty() ? Json(nullptr) : Json(p.orgnr)},
              {"kommunenummer", p.kommunenummer.empty() ? Json(nullptr) : Json(p.kommunenummer)}};
}

void printProfile(Globals& g, const Json& p) {
  auto field = [](const Json& v) {
    return v.is_null() ? std::string("-") : shown(v.get<std::string>());
  };
  g.out() << "name           " << field(p["name"]) << "\n"
          << "orgnr          " << field(p["orgnr"]) << "\n"
          << "kommunenummer  " << field(p["kommunenummer"]) << "\n";
}

void addProfileShow(CLI::App& group, Globals& g) {
  auto* show = group.add_subcommand("show", "Print the profile this node publishes");
  show->callback([&g] {
    withNode(g, [&](Node& node) -> Status {
      auto p = node.profile();
      if (!p.isOk()) return p.status();
      answer(g, profileJson(node, *p), printProfile);
      return Status::ok();
    });
  });
}

// Options not given keep their current value; an empty value clears orgnr
// or kommunenummer.
struct ProfileOptions {
  std::string name, orgnr, kommunenummer;
  CLI::Option* nameOpt = nullptr;
  CLI::Option* orgnrOpt = nullptr;
  CLI::Option* kommuneOpt = nullptr;
  ProfileRecord over(ProfileRecord p) const {
    if (nameOpt->count() > 0) p.name = name;
    if (orgnrOpt->count() > 0) p.orgnr = orgnr;
    if (kommuneOpt->count() > 0) p.kommunenummer = kommunenummer;
    return p;
  }
};

void addProfileSet(CLI::App& group, Globals& g) {
  auto* set = group.add_subcommand(
      "set", "Publish a new signed profile entry; options not given keep their value");
  auto o = std::make_shared<ProfileOptions>();
  o->nameOpt = set->add_option("--name", o->name, "Name of the body running this node");
  o->orgnrOpt =
      set->add_option("--orgnr", o->orgnr, "Organisation number (9 digits, MOD11; \"\" clears it)");
  o->kommuneOpt = set->add_option("--kommunenummer", o->kommunenummer,
                                  "Municipality number (4 digits; \"\" clears it)");
  set->callback([&g, o] {
    if (o->nameOpt->count() + o->orgnrOpt->count() + o->kommuneOpt->count() == 0) {
      return finish(g, Status::invalid("profile set: give --name, --orgnr or --kommunenummer"));
    }
    withNode(g, [&](Node& node) -> Status {
      auto current = node.profile();
      if (!current.isOk()) return current.status();
      ProfileRecord wanted = o->over(*current);
      auto r = node.setProfile(wanted);
      if (!r.isOk()) return r.status();
      Json j = profileJson(node, wanted);
      j["seq"] = r->seq;
      j["unchanged"] = r->unchanged;
      answer(g, std::move(j), [](Globals& g, const Json& r) {
        g.out() << (r["unchanged"].get<bool>() ? "unchanged: identical to seq "
                                               : "published as seq ")
                << r["seq"].get<uint64_t>() << "\n";
      });
      return Status::ok();
    });
  });
}

}  // namespace

void addProfile(CLI::App& app, Globals& g) {
  auto* group =
      app.add_subcommand("profile", "The name, orgnr and kommunenummer this node publishes");
  group->require_subcommand(1);
  group->fallthrough();
  addProfileShow(*group, g);
  addProfileSet(*group, g);
}

}  // namespace allmenning::cli
