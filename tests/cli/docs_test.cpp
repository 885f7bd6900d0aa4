// The man page and the bash completion the build writes (cli/cli_docs.h),
// checked against what the binary itself says: every command reached from
// `allmenning --help`, and every option and argument in each command's
// --help, appears in allmenning(1) under that command and in the completion.
// The help text is parsed here independently of the generator, so a command
// the generator missed, or a stale page, fails.
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <regex>
#include <set>

#include "tests/cli/process.h"
#include "tests/test_util.h"

namespace allmenning::testing {
namespace {

// What one --help lists.
struct Help {
  std::string summary;                   // its first line
  std::vector<std::string> options;      // every spelling: "-o", "--output"
  std::vector<std::string> positionals;  // "FILE"
  std::vector<std::string> subcommands;  // "put"
};

Help parseHelp(const std::string& text) {
  Help h;
  auto lines = linesOf(text);
  if (!lines.empty()) h.summary = lines[0];
  std::string section;
  for (const auto& line : lines) {
    if (!line.empty() && line[0] != ' ') {
      section = line;
      continue;
    }
    if (line.size() < 3 || line[2] == ' ') continue;  // a wrapped description
    std::string first = line.substr(2, line.find(' ', 2) - 2);
    if (section == "Subcommands:") h.subcommands.push_back(first);
    if (section == "Positionals:") h.positionals.push_back(first);
    if (section == "Options:") {
      std::stringstream names(first);
      for (std::string n; std::getline(names, n, ',');) h.options.push_back(n);
    }
  }
  return h;
}

// roff source as a reader sees it: escapes and font changes removed.
std::string plain(std::string roff) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\\-", "-"}, {"\\fB", ""}, {"\\fR", ""}, {"\\fI", ""}, {"\\e", "\\"}, {"\\&", ""}}) {
    for (size_t at = roff.find(from); at != std::string::npos;
         at = roff.find(from, at + to.size())) {
      roff.replace(at, from.size(), to);
    }
  }
  return roff;
}

// Whether `word` stands in `text` as a whole word (not inside "--history2").
bool hasWord(const std::string& text, const std::string& word) {
  auto isWordChar = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; };
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    bool left = at == 0 || !isWordChar(text[at - 1]);
    bool right = at + word.size() >= text.size() || !isWordChar(text[at + word.size()]);
    if (left && right) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

class DocsTest : public ::testing::Test {
 protected:
  // Every command path reachable from the top --help, with its help.
  std::vector<std::pair<std::vector<std::string>, Help>> commands() {
    std::vector<std::pair<std::vector<std::string>, Help>> out;
    std::deque<std::vector<std::string>> todo{{}};
    while (!todo.empty()) {
      auto path = todo.front();
      todo.pop_front();
      std::vector<std::string> argv{ALLMENNING_BINARY};
      argv.insert(argv.end(), path.begin(), path.end());
      argv.push_back("--help");
      auto r = runProcess(argv);
      EXPECT_EQ(r.exitCode, 0) << joined(path) << ": " << describe(r);
      Help h = parseHelp(r.out);
      for (const auto& sub : h.subcommands) {
        auto next = path;
        next.push_back(sub);
        todo.push_back(next);
      }
      out.emplace_back(path, h);
    }
    return out;
  }

  // The man page's text from `heading` to the next heading of either level.
  std::string section(const std::string& heading) {
    size_t at = man_.find(heading + "\n");
    if (at == std::string::npos) return "";
    size_t end = std::min(man_.find("\n.SS ", at + 1), man_.find("\n.SH ", at + 1));
    return plain(man_.substr(at, end == std::string::npos ? std::string::npos : end - at));
  }

  std::string man_ = readFile(ALLMENNING_MANPAGE);
};

TEST_F(DocsTest, TheManPageCoversEveryCommandAndOptionOfHelp) {
  ASSERT_FALSE(man_.empty()) << ALLMENNING_MANPAGE;
  auto all = commands();
  ASSERT_GT(all.size(), 20u) << "the top --help lists the commands";
  size_t sections = 0;
  for (const auto& [path, help] : all) {
    std::string name = joined(path);
    SCOPED_TRACE(name.empty() ? "(global options)" : name);
    std::string text =
        path.empty() ? section(".SH GLOBAL OPTIONS") : section(".SS \"allmenning " + name + "\"");
    ASSERT_FALSE(text.empty()) << "no section in the man page";
    sections += !path.empty();
    if (!path.empty()) {
      EXPECT_NE(text.find(help.summary), std::string::npos) << help.summary;
    }
    for (const auto& o : help.options) EXPECT_TRUE(hasWord(text, o)) << o << " in\n" << text;
    for (const auto& p : help.positionals) EXPECT_TRUE(hasWord(text, p)) << p << " in\n" << text;
    for (const auto& s : help.subcommands) {
      EXPECT_NE(man_.find(".SS \"allmenning " + (name.empty() ? "" : name + " ") + s + "\""),
                std::string::npos)
          << s;
    }
  }
  // Nothing the binary no longer has: one section per command.
  size_t headings = 0;
  for (size_t at = man_.find("\n.SS "); at != std::string::npos; at = man_.find("\n.SS ", at + 1)) {
    ++headings;
  }
  EXPECT_EQ(headings, sections);
}

TEST_F(DocsTest, TheManPageIsValidRoff) {
  // groff reports unknown requests and escapes as warnings on stderr.
  if (!std::filesystem::exists("/usr/bin/groff")) GTEST_SKIP() << "groff is not installed";
  auto r = runProcess({"/usr/bin/groff", "-man", "-Tutf8", "-ww", "-z", ALLMENNING_MANPAGE});
  EXPECT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_EQ(r.err, "");
}

// Runs the completion for the words typed so far (the last one is being
// completed) and returns what it offers.
std::set<std::string> complete(const std::vector<std::string>& typed) {
  std::string words;
  for (const auto& w : typed) words += " '" + w + "'";
  std::string script = "source '" ALLMENNING_COMPLETION "'\nCOMP_WORDS=(allmenning" + words +
                       ")\nCOMP_CWORD=" + std::to_string(typed.size()) +
                       "\n_allmenning\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
  auto r = runProcess({"/bin/bash", "--norc", "-c", script});
  EXPECT_EQ(r.exitCode, 0) << describe(r);
  auto lines = linesOf(r.out);
  return {lines.begin(), lines.end()};
}

TEST_F(DocsTest, CompletionOffersEveryCommandAndOptionOfHelp) {
  for (const auto& [path, help] : commands()) {
    SCOPED_TRACE(joined(path));
    auto typed = path;
    typed.push_back("");
    std::set<std::string> offered = complete(typed);
    for (const auto& s : help.subcommands) EXPECT_TRUE(offered.count(s)) << s;
    typed.back() = "-";
    offered = complete(typed);
    for (const auto& o : help.options) EXPECT_TRUE(offered.count(o)) << o;
  }
}

TEST_F(DocsTest, CompletionFollowsTheCommandWordsAndSkipsOptionValues) {
  EXPECT_EQ(complete({"ca"}), std::set<std::string>{"case"});
  // --home takes a value: the folder's name is no command word.
  EXPECT_EQ(complete({"--home", "case", "ca"}), std::set<std::string>{"case"});
  EXPECT_EQ(complete({"--home", "/tmp/x", "case", "p"}), std::set<std::string>{"put"});
  EXPECT_EQ(complete({"case", "show", "--his"}), std::set<std::string>{"--history"});
  EXPECT_EQ(complete({"search", "--sec"}), std::set<std::string>{"--sector"});
  // A global option after the command, as the parser allows.
  EXPECT_TRUE(complete({"status", "--js"}).count("--json"));
}

}  // namespace
}  // namespace allmenning::testing
