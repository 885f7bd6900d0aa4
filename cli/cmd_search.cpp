// allmenning search
#include <ostream>

#include "cli/cli.h"
#include "cli/show_text.h"
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

// "2 cases" when the page holds every match; else which part of how many
// it is, and the option that shows the next part.
std::string countLine(size_t shown, size_t total, size_t offset) {
  if (offset == 0 && shown == total)
    return std::to_string(total) + (total == 1 ? " case" : " cases");
  std::string line = std::to_string(shown) + " of " + std::to_string(total) + " cases";
  if (shown == 0) return line + " (--offset " + std::to_string(offset) + " is past the last)";
  line += " (" + std::to_string(offset + 1) + " to " + std::to_string(offset + shown) + ")";
  if (offset + shown < total) line += "; more with --offset " + std::to_string(offset + shown);
  return line;
}

void printRows(std::ostream& out, const Json& page) {
  const Json& rows = page["cases"];
  if (page.contains("corrections") && !page["corrections"].empty()) {
    std::string typed, searched;
    for (const auto& c : page["corrections"]) {
      typed += (typed.empty() ? "" : ", ") + shown(c["typed"]);
      searched += (searched.empty() ? "" : ", ") + shown(c["searched"]);
    }
    out << "no match for " << typed << "; showing results for " << searched << "\n";
  }
  for (const auto& r : rows) {
    out << shown(r["case"]) << (r.value("partial", false) ? "  (holds some of the words)" : "")
        << "\n    " << shown(r["title"]) << "\n    " << whoText(r) << " | " << shown(r["procedure"])
        << " | " << shown(r["status"]) << " | updated " << shown(r["updated"]) << "\n";
    if (r.contains("snippet") && !r["snippet"].get<std::string>().empty()) {
      out << "    " << shown(r["snippet"]) << "\n";
    }
  }
  out << countLine(rows.size(), page["total"].get<size_t>(), page["offset"].get<size_t>()) << "\n";
  if (page.contains("full") && page["full"].get<size_t>() < page["total"].get<size_t>()) {
    size_t full = page["full"].get<size_t>();
    out << full << (full == 1 ? " holds" : " hold") << " every word\n";
  }
  if (page.contains("unmatched") && !page["unmatched"].empty()) {
    std::string names;
    for (const auto& w : page["unmatched"]) names += (names.empty() ? "" : ", ") + shown(w);
    out << "no case holds: " << names << "\n";
  }
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
  cmd->add_option("--offset", a->filter.offset,
                  "Results to skip first, for the next page (the count line names it)")
      ->check(CLI::Range(0, 100000000));
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
