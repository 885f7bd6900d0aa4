// The put and retract subcommands of every record kind, and the text form of
// a shown record.
#include "cli/record_cmds.h"

#include "cli/show_text.h"
#include "protocol/case_json.h"

namespace allmenning::cli {
namespace {

// Wide enough for the longest field name, lessons_learned.
constexpr size_t kLabelWidth = 16;

// The author's name in `case show`, where it comes from, and the flag when
// its profile says otherwise.
std::string authorLine(const Json& c) {
  const std::string source = c["nameSource"].is_string() ? c["nameSource"].get<std::string>() : "";
  if (source.empty()) return "name not published";
  const char* from = source == "trust"   ? "named with trust add"
                     : source == "vouch" ? "as vouched"
                                         : "self-declared";
  return nameText(c) + ", " + from + differsText(c);
}

// `put`: the ref on stdout, what became of it on stderr.
void printPut(Globals& g, const Json& r) {
  g.out() << r["ref"].get<std::string>() << "\n";
  if (r.contains("warning")) {
    g.err() << "allmenning: warning: " << r["warning"].get<std::string>() << "\n";
  }
  g.err() << (r["unchanged"].get<bool>() ? "unchanged: identical to seq " : "published as seq ")
          << r["seq"].get<uint64_t>() << "\n";
}

Json putJson(Kind kind, const PutResult& r) {
  Json j{{"kind", kindName(kind)}, {"ref", caseRef(r.key)}, {"author", toHex(r.key.author)},
         {"id", r.key.id},         {"seq", r.seq},          {"unchanged", r.unchanged}};
  if (!r.warning.empty()) j["warning"] = r.warning;
  return j;
}

}  // namespace

std::string textOf(const Json& v) {
  if (v.is_string()) return shownBlock(v.get<std::string>(), kLabelWidth + 1);
  if (v.is_array()) {
    std::string out;
    for (const auto& x : v) {
      if (!out.empty()) out += x.is_string() ? ", " : "\n" + std::string(kLabelWidth + 1, ' ');
      out += textOf(x);
    }
    return out;
  }
  if (v.is_object()) {
    std::string out;
    for (const auto& [k, x] : v.items()) out += (out.empty() ? "" : ", ") + k + "=" + textOf(x);
    return out;
  }
  return v.dump();
}

void printRecord(std::ostream& out, const Json& c, const std::string& kind) {
  auto line = [&out](const std::string& label, const std::string& value) {
    out << label << std::string(label.size() < kLabelWidth ? kLabelWidth - label.size() : 0, ' ')
        << ' ' << value << '\n';
  };
  line(kind, shown(c[kind]));
  line("author", c["author"].get<std::string>() + " (" + authorLine(c) + ")");
  line("trust", trustText(c, Detail::kFull));
  line("seq", std::to_string(c["seq"].get<uint64_t>()));
  line("entry", textOf(c["entryHash"]));
  line("signature", shown(c["signature"]));
  line("chain", shown(c["chain"]));
  line("time", shown(c["time"]));
  if (c["retracted"].get<bool>()) line("retracted", "yes: hidden from search");
  out << "\n";
  for (const auto& [key, value] : c["record"].items()) line(key, textOf(value));
}

CLI::App& addGroup(CLI::App& app, const std::string& name, const std::string& description) {
  auto* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  group->fallthrough();
  return *group;
}

void addPut(CLI::App& group, Globals& g, Kind kind, const std::string& format) {
  const std::string name = kindName(kind);
  auto* put = group.add_subcommand(
      "put", "Create or update " + std::string(kind == Kind::kExperience ? "an " : "a ") + name +
                 " from a JSON file; prints its id");
  auto file = std::make_shared<std::string>();
  put->add_option("FILE", *file, "File in the " + name + " format (" + format + "), or -")
      ->required();
  put->callback([&g, file, kind] {
    if (*file == "-") readStdin(g, kMaxCaseJsonBytes);
    withNode(g, [&](Node& node) -> Status {
      auto text = readInputFile(g, *file, kMaxCaseJsonBytes);
      if (!text.isOk()) return text.status();
      auto r = node.put(kind, *text);
      if (!r.isOk()) return r.status().withContext(*file);
      answer(g, putJson(kind, *r), printPut);
      return Status::ok();
    });
  });
}

void addRetract(CLI::App& group, Globals& g, Kind kind) {
  const std::string name = kindName(kind);
  auto* retract = group.add_subcommand("retract", "Retract one of this node's " + name + "s");
  auto ref = std::make_shared<std::string>();
  retract->add_option("ID", *ref, "<id> or <author-hex>/<id>")->required();
  retract->callback([&g, ref, kind] {
    withNode(g, [&](Node& node) -> Status {
      auto key = node.parseCaseRef(*ref, kind);
      if (!key.isOk()) return key.status();
      ALM_RETURN_IF_ERROR(node.retract(kind, *key));
      answer(g, Json{{"kind", kindName(kind)}, {"retracted", caseRef(*key)}},
             [](Globals& g, const Json& r) {
               g.out() << "retracted " << r["retracted"].get<std::string>() << "\n";
             });
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
