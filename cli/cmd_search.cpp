// allmenning search
#include <ostream>

#include "cli/cli.h"
#include "protocol/case_rules.h"
#include "protocol/echo.h"

namespace allmenning::cli {
namespace {

struct SearchArgs {
  SearchFilter filter;
  std::string author;
  std::vector<std::string> words;  // joined into filter.text
  int year = 0;
};

// Checks the filter values so a typo is reported instead of matching nothing.
Status checkArgs(SearchArgs& a) {
  const std::string& cpv = a.filter.cpvPrefix;
  if (!cpv.empty() && (cpv.size() > 10 || cpv.find_first_not_of("0123456789-") != cpv.npos)) {
    return Status::invalid("--cpv: " + quote(cpv) +
                           " is not a CPV code prefix (digits, DDDDDDDD-D)");
  }
  if (!a.filter.kommune.empty() && !rules::isValidKommunenummer(a.filter.kommune)) {
    return Status::invalid("--kommune: " + quote(a.filter.kommune) + " is not 4 digits");
  }
  if (!a.author.empty()) {
    auto key = fromHexFixed<32>(a.author);
    if (!key) return Status::invalid("--author: must be 64 hex digits");
    a.filter.author = *key;
  }
  a.filter.text.clear();
  for (const auto& w : a.words) a.filter.text += (a.filter.text.empty() ? "" : " ") + w;
  if (a.year != 0) a.filter.year = a.year;
  return Status::ok();
}

void printRows(std::ostream& out, const Json& rows) {
  for (const auto& r : rows) {
    // The name is what the author says of itself; the trust says why it is here.
    std::string who = (r["authorName"].is_null() ? r["author"].get<std::string>().substr(0, 16)
                                                 : r["authorName"].get<std::string>()) +
                      " (" + (r["trust"] == "self" ? "this node" : r["trust"].get<std::string>()) +
                      ")";
    out << r["case"].get<std::string>() << "\n    " << r["title"].get<std::string>() << "\n    "
        << who << " | " << r["procedure"].get<std::string>() << " | "
        << r["status"].get<std::string>() << " | updated " << r["updated"].get<std::string>()
        << "\n";
    if (r.contains("snippet") && !r["snippet"].get<std::string>().empty()) {
      out << "    " << r["snippet"].get<std::string>() << "\n";
    }
  }
  out << rows.size() << (rows.size() == 1 ? " case\n" : " cases\n");
}

}  // namespace

void addSearch(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "search", "Find cases by free text (Norwegian, ranked) and by CPV, procedure, sector, ...");
  auto a = std::make_shared<SearchArgs>();
  cmd->add_option("TEXT", a->words,
                  "Words every result contains, in any inflection or as the last part of a "
                  "compound (varsling finds flomvarsling); best matches first");
  cmd->add_option("--cpv", a->filter.cpvPrefix, "CPV code prefix, e.g. 72 or 72000000-5");
  cmd->add_option("--procedure", a->filter.procedure, "Procedure code")
      ->check(CLI::IsMember(rules::procedureCodes()));
  cmd->add_option("--sector", a->filter.sector, "Sector code")
      ->check(CLI::IsMember(rules::sectorCodes()));
  cmd->add_option("--status", a->filter.status, "Status code")
      ->check(CLI::IsMember(rules::statusCodes()));
  cmd->add_option("--kommune", a->filter.kommune, "A buyer's kommunenummer (4 digits)");
  cmd->add_option("--author", a->author, "Author public key (64 hex)");
  cmd->add_option("--year", a->year,
                  "A year the case ran in (started to ended; else the year it was published)")
      ->check(CLI::Range(1900, 2200));
  cmd->add_option("--limit", a->filter.limit, "Most results to show")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->callback([&g, a] {
    withNode(g, [&](Node& node) -> Status {
      ALM_RETURN_IF_ERROR(checkArgs(*a));
      auto rows = node.search(a->filter);
      if (!rows.isOk()) return rows.status();
      answer(g, std::move(*rows), [](Globals& g, const Json& rows) { printRows(g.out(), rows); });
      return Status::ok();
    });
  });
}

void addReindex(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("reindex",
                                 "Rebuild the full-text index (<home>/search) from the database");
  cmd->callback([&g] {
    withNode(g, [&](Node& node) -> Status {
      ALM_RETURN_IF_ERROR(node.reindex([&g](std::string_view line) { g.err() << line << "\n"; }));
      // The progress lines on stderr are the text form.
      answer(g, Json{{"reindexed", true}}, [](Globals&, const Json&) {});
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
