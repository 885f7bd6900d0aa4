#include "search/letters.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

namespace allmenning::search {
namespace {

struct Fold {
  std::string_view letter;  // UTF-8, lowercase
  std::string_view digraph;
  std::string_view single;
};
constexpr Fold kFolds[] = {{"æ", "ae", "a"}, {"ø", "oe", "o"}, {"å", "aa", "a"}};

std::string replaceAll(std::string s, bool digraph) {
  for (const Fold& f : kFolds) {
    std::string_view to = digraph ? f.digraph : f.single;
    for (size_t at = s.find(f.letter); at != std::string::npos; at = s.find(f.letter, at)) {
      s.replace(at, f.letter.size(), to);
      at += to.size();
    }
  }
  return s;
}

}  // namespace

std::string nfc(std::string_view text) {
  // Plain ASCII is already in NFC: the common case skips ICU.
  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c < 0x80;
  if (ascii) return std::string(text);
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(err);
  if (U_FAILURE(err)) return std::string(text);
  icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  icu::UnicodeString out = n->normalize(in, err);
  if (U_FAILURE(err)) return std::string(text);
  std::string utf8;
  out.toUTF8String(utf8);
  return utf8;
}

std::vector<std::string> foldings(const std::string& lowerWord) {
  bool any = false;
  for (const Fold& f : kFolds) any = any || lowerWord.find(f.letter) != std::string::npos;
  if (!any) return {};
  return {replaceAll(lowerWord, true), replaceAll(lowerWord, false)};
}

}  // namespace allmenning::search
