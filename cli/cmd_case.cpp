// allmenning case put | show | retract
#include <cstdio>

#include "cli/cli.h"
#include "protocol/case_json.h"

namespace allmenning::cli {
namespace {

// Wide enough for the longest field name, lessons_learned.
constexpr size_t kLabelWidth = 16;

std::string textOf(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
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

void printHistory(std::ostream& out, const Json& history) {
  out << "\nhistory\n";
  for (const auto& v : history) {
    char row[512];
    std::snprintf(row, sizeof row, "  seq %-6llu %s  %-8s %-16s %s\n",
                  static_cast<unsigned long long>(v["seq"].get<uint64_t>()),
                  v["time"].get<std::string>().c_str(), v["kind"].get<std::string>().c_str(),
                  v.contains("status") ? v["status"].get<std::string>().c_str() : "-",
                  v["entryHash"].get<std::string>().c_str());
    out << row;
  }
}

// Why this node holds the author's entries, naming whoever vouched.
std::string trustText(const Json& c) {
  std::string trust = c["trust"];
  if (trust == "self") return "this node's own key";
  if (trust == "trusted") return "trusted directly (trust add)";
  std::string by;
  for (const auto& v : c["vouchedBy"]) {
    by += by.empty() ? "" : ", ";
    by += v["name"].is_null() ? v["key"].get<std::string>().substr(0, 16)
                              : v["name"].get<std::string>();
  }
  return by.empty() ? trust : "vouched for by " + by;
}

void printCase(std::ostream& out, const Json& c) {
  auto line = [&out](const std::string& label, const std::string& value) {
    out << label << std::string(label.size() < kLabelWidth ? kLabelWidth - label.size() : 0, ' ')
        << ' ' << value << '\n';
  };
  line("case", c["case"]);
  std::string name = c["authorName"].is_null()
                         ? "name not published"
                         : c["authorName"].get<std::string>() + ", self-declared";
  line("author", c["author"].get<std::string>() + " (" + name + ")");
  line("trust", trustText(c));
  line("seq", std::to_string(c["seq"].get<uint64_t>()));
  line("entry", c["entryHash"]);
  line("signature", c["signature"]);
  line("chain", c["chain"]);
  line("time", c["time"]);
  if (c["retracted"].get<bool>()) line("retracted", "yes: hidden from search");
  out << "\n";
  for (const auto& [key, value] : c["record"].items()) line(key, textOf(value));
  if (c.contains("history")) printHistory(out, c["history"]);
}

}  // namespace

void addCase(CLI::App& app, Globals& g) {
  auto* group = app.add_subcommand("case", "Publish, show and retract cases");
  group->require_subcommand(1);
  group->fallthrough();

  auto* put =
      group->add_subcommand("put", "Create or update a case from a JSON file; prints its id");
  auto file = std::make_shared<std::string>();
  put->add_option("FILE", *file, "Case file in the case format (docs/case-format.md), or -")
      ->required();
  put->callback([&g, file] {
    if (*file == "-") readStdin(g, kMaxCaseJsonBytes);
    withNode(g, [&](Node& node) -> Status {
      auto text = readInputFile(g, *file, kMaxCaseJsonBytes);
      if (!text.isOk()) return text.status();
      auto r = node.putCase(*text);
      if (!r.isOk()) return r.status().withContext(*file);
      g.out() << caseRef(r->key) << "\n";
      g.err() << (r->unchanged ? "unchanged: identical to seq " : "published as seq ") << r->seq
              << "\n";
      return Status::ok();
    });
  });

  auto* show = group->add_subcommand("show", "Show a case, who signed it, and whether it verifies");
  auto ref = std::make_shared<std::string>();
  auto history = std::make_shared<bool>(false);
  show->add_option("ID", *ref, "<author-hex>/<id>, or <id> for this node's own case")->required();
  show->add_flag("--history", *history, "List every version");
  show->callback([&g, ref, history] {
    withNode(g, [&](Node& node) -> Status {
      auto key = node.parseCaseRef(*ref);
      if (!key.isOk()) return key.status();
      auto c = node.showCase(*key, *history);
      if (!c.isOk()) return c.status();
      g.json ? printJson(g, *c) : printCase(g.out(), *c);
      return Status::ok();
    });
  });

  auto* retract = group->add_subcommand("retract", "Retract one of this node's cases");
  auto rref = std::make_shared<std::string>();
  retract->add_option("ID", *rref, "<id> or <author-hex>/<id>")->required();
  retract->callback([&g, rref] {
    withNode(g, [&](Node& node) -> Status {
      auto key = node.parseCaseRef(*rref);
      if (!key.isOk()) return key.status();
      ALM_RETURN_IF_ERROR(node.retractCase(*key));
      g.out() << "retracted " << caseRef(*key) << "\n";
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
