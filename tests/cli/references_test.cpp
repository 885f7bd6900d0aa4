// What the documentation and the code comments point at exists: every file
// a comment or a page names, every input file of an example command, and
// the figures the README quotes from the code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "node/net/p2p_node.h"

namespace allmenning::testing {
namespace {

namespace fs = std::filesystem;
const fs::path kRoot = ALLMENNING_SOURCE_DIR;

struct Tree {
  std::set<std::string> paths;  // relative to the root
  std::set<std::string> names;  // the last part of each
};

// The project's own files: no build folders, no hidden ones.
const Tree& tree() {
  static const Tree t = [] {
    Tree out;
    for (auto it = fs::recursive_directory_iterator(kRoot); it != fs::end(it); ++it) {
      std::string name = it->path().filename().string();
      if (it->is_directory() && (name.starts_with(".") || name.starts_with("build"))) {
        it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file()) continue;
      out.paths.insert(fs::relative(it->path(), kRoot).string());
      out.names.insert(name);
    }
    return out;
  }();
  return t;
}

std::vector<std::string> linesOfFile(const std::string& relative) {
  std::ifstream in(kRoot / relative);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool hasSuffix(const std::string& s, std::initializer_list<const char*> suffixes) {
  for (const char* x : suffixes) {
    if (s.ends_with(x)) return true;
  }
  return false;
}

// A file name as text names it: "docs/ocds.md", "record_json.cpp". A path
// is relative to the root or to the page's folder; a bare name is any file
// of that name.
bool named(const std::string& token, const std::string& from) {
  const Tree& t = tree();
  if (token.find('/') == std::string::npos) return t.names.count(token) > 0;
  std::string besides = (fs::path(from).parent_path() / token).lexically_normal().string();
  return t.paths.count(token) > 0 || t.paths.count(besides) > 0;
}

std::vector<std::string> brokenNames(const std::string& file, const std::string& text) {
  static const std::regex kFile(R"((^|[^\w./<-])([A-Za-z0-9_][\w./-]*\.(h|cpp|md|sh|capnp))\b)");
  std::vector<std::string> out;
  for (std::sregex_iterator m(text.begin(), text.end(), kFile), end; m != end; ++m) {
    if (!named((*m)[2], file)) out.push_back(file + ": " + (*m)[2].str());
  }
  return out;
}

TEST(ReferencesTest, EveryFileACommentOrAPageNamesExists) {
  std::vector<std::string> broken;
  for (const std::string& file : tree().paths) {
    bool code = hasSuffix(file, {".h", ".cpp"});
    bool page = file.ends_with(".md") && (file == "README.md" || file.starts_with("docs/"));
    if (!code && !page) continue;
    for (const std::string& line : linesOfFile(file)) {
      size_t comment = line.find("//");
      if (code && comment == std::string::npos) continue;
      auto b = brokenNames(file, code ? line.substr(comment) : line);
      broken.insert(broken.end(), b.begin(), b.end());
    }
  }
  EXPECT_TRUE(broken.empty()) << ::testing::PrintToString(broken);
}

// Each `$ allmenning ...` line's input files (of put and import) are
// shipped, unless the same page wrote them first with -o.
TEST(ReferencesTest, EveryExampleCommandsInputFileIsShipped) {
  std::vector<std::string> pages{"README.md"};
  for (const std::string& f : tree().paths) {
    if (f.starts_with("docs/") && f.ends_with(".md")) pages.push_back(f);
  }
  std::vector<std::string> missing;
  size_t checked = 0;
  for (const std::string& page : pages) {
    std::set<std::string> written;
    for (const std::string& line : linesOfFile(page)) {
      size_t at = line.find("$ allmenning ");
      if (at == std::string::npos) continue;
      std::istringstream words(line.substr(at + 2));
      std::vector<std::string> w;
      for (std::string x; words >> x && x != "<" && x != "|" && x != ">";) w.push_back(x);
      bool input = false;
      for (size_t i = 0; i < w.size(); ++i) {
        if (w[i] == "put" || w[i] == "import") input = true;
        if (w[i] == "-o" && i + 1 < w.size()) written.insert(w[i + 1]);
        bool option = i > 0 && w[i - 1].starts_with("-");
        if (!input || option || w[i].starts_with("-") || !hasSuffix(w[i], {".json", ".jsonl"})) {
          continue;
        }
        ++checked;
        if (!written.count(w[i]) && !tree().paths.count(w[i]))
          missing.push_back(page + ": " + w[i]);
      }
    }
  }
  EXPECT_GT(checked, 5u);
  EXPECT_TRUE(missing.empty()) << ::testing::PrintToString(missing);
}

TEST(ReferencesTest, ReadmeRedialCeilingIsTheCodes) {
  std::string readme;
  for (const std::string& line : linesOfFile("README.md")) readme += line + " ";
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      readme, m,
      std::regex(R"(keeps refusing us is redialed with a growing\s+pause, up to (\d+) s)")))
      << "README.md no longer says how long a refusing peer waits";
  auto ceiling = std::chrono::duration_cast<std::chrono::seconds>(P2PConfig{}.reconnectMax);
  EXPECT_EQ(std::stoll(m[1].str()), ceiling.count());
}

}  // namespace
}  // namespace allmenning::testing
