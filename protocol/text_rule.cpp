// The text rule of every record, and which characters a terminal would hide.
#include "protocol/text_rule.h"

#include <cstdio>

#include "protocol/case_rules.h"

namespace allmenning::rules {
namespace {

struct Range {
  char32_t first, last;
  const char* name;  // how a refusal calls it
};

// The range of `list` holding `c`, or nullptr.
template <size_t N>
const Range* find(const Range (&list)[N], char32_t c) {
  for (const Range& r : list) {
    if (c >= r.first && c <= r.last) return &r;
  }
  return nullptr;
}

// What the rule forbids in every text, beyond C0 and DEL.
constexpr Range kForbidden[] = {
    {0x80, 0x9F, "control character"},  // C1
    {0x202A, 0x202E, "bidi control character"},
    {0x2066, 0x2069, "bidi control character"},
};
// Forbidden in one-line text only.
constexpr Range kLineBreaks[] = {{0x2028, 0x2028, "line separator"},
                                 {0x2029, 0x2029, "paragraph separator"}};

// Unicode category Cf (format characters), plus the Hangul fillers, which
// render as nothing: none of them shows on a terminal.
constexpr Range kInvisible[] = {
    {0x00AD, 0x00AD, "soft hyphen"},
    {0x0600, 0x0605, "Arabic format character"},
    {0x061C, 0x061C, "Arabic letter mark"},
    {0x06DD, 0x06DD, "Arabic end of ayah"},
    {0x070F, 0x070F, "Syriac abbreviation mark"},
    {0x0890, 0x0891, "Arabic format character"},
    {0x08E2, 0x08E2, "Arabic disputed end of ayah"},
    {0x115F, 0x1160, "Hangul filler"},
    {0x180E, 0x180E, "Mongolian vowel separator"},
    {0x200B, 0x200F, "zero-width character or direction mark"},
    {0x2028, 0x202E, "separator or bidi control"},
    {0x2060, 0x2064, "word joiner or invisible operator"},
    {0x2066, 0x206F, "bidi isolate or deprecated format character"},
    {0x3164, 0x3164, "Hangul filler"},
    {0xFEFF, 0xFEFF, "zero-width no-break space"},
    {0xFFA0, 0xFFA0, "Hangul filler"},
    {0xFFF9, 0xFFFB, "interlinear annotation"},
    {0x110BD, 0x110BD, "Kaithi number sign"},
    {0x110CD, 0x110CD, "Kaithi number sign"},
    {0x13430, 0x1343F, "Egyptian hieroglyph format control"},
    {0x1BCA0, 0x1BCA3, "shorthand format control"},
    {0x1D173, 0x1D17A, "musical symbol format control"},
    {0xE0001, 0xE0001, "language tag"},
    {0xE0020, 0xE007F, "tag character"},
};

bool isC0OrDel(char32_t c) { return c < 0x20 || c == 0x7F; }

bool forbidden(char32_t c, TextForm form) {
  if (isC0OrDel(c)) return !(form == TextForm::kMultiLine && (c == '\t' || c == '\n' || c == '\r'));
  if (c < 0x80) return false;  // printable ASCII: most of every text
  return find(kForbidden, c) || (form == TextForm::kLine && find(kLineBreaks, c));
}

const char* nameOf(char32_t c) {
  if (isC0OrDel(c)) return "control character";
  const Range* r = find(kForbidden, c);
  if (!r) r = find(kLineBreaks, c);
  return r ? r->name : "character";
}

}  // namespace

char32_t nextCodePoint(std::string_view s, size_t& i) {
  if (static_cast<uint8_t>(s[i]) < 0x80) return static_cast<char32_t>(s[i++]);
  const size_t len = utf8SequenceLength(s, i);
  if (len == 0) {
    ++i;
    return kInvalidByte;
  }
  auto b = [&](size_t k) { return static_cast<char32_t>(static_cast<uint8_t>(s[i + k])); };
  char32_t c = len == 1 ? b(0) : len == 2 ? b(0) & 0x1F : len == 3 ? b(0) & 0x0F : b(0) & 0x07;
  for (size_t k = 1; k < len; ++k) c = (c << 6) | (b(k) & 0x3F);
  i += len;
  return c;
}

std::optional<char32_t> forbiddenCharacter(std::string_view s, TextForm form) {
  for (size_t i = 0; i < s.size();) {
    const char32_t c = nextCodePoint(s, i);
    if (c != kInvalidByte && forbidden(c, form)) return c;
  }
  return std::nullopt;
}

std::string describeCodePoint(char32_t c) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(c));
  return std::string(nameOf(c)) + " " + hex;
}

std::string replaceForbidden(std::string_view s, TextForm form) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t start = i;
    const char32_t c = nextCodePoint(s, i);
    if (c != kInvalidByte && forbidden(c, form)) {
      out += ' ';
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

bool isHiddenOnTerminal(char32_t c) {
  return isC0OrDel(c) || (c >= 0x80 && c <= 0x9F) || find(kInvisible, c);
}

}  // namespace allmenning::rules
