// The one text rule for every name and text of every record (cases, needs,
// experiences, profiles, vouches, and the names given with `trust add`).
// Records are printed on the terminals of nodes that never chose their
// authors' taste, so no text may carry a character a terminal acts on or
// that reorders what is shown:
//
//   - C0 controls and DEL (U+0000..U+001F, U+007F); multi-line text may hold
//     tab, LF and CR;
//   - C1 controls (U+0080..U+009F; U+009B is CSI, which starts a terminal
//     escape sequence);
//   - the bidi embeddings, overrides and isolates (U+202A..U+202E,
//     U+2066..U+2069), which make a line read in another order;
//   - the line and paragraph separators U+2028 and U+2029 in one-line text
//     (multi-line text may hold them, as it may hold LF).
//
// Zero-width and other invisible format characters are allowed (a joiner
// is part of some words and emoji); terminals show them escaped
// (isHiddenOnTerminal). The rule is checked at input (recordFromJson,
// checkProfile) and again on every payload from storage or peers
// (checkPayload), so both sides apply this one definition.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace allmenning::rules {

enum class TextForm {
  kLine,       // names, titles, codes: one line
  kMultiLine,  // long text: summary, need, lessons, ...
};

// The first code point of valid UTF-8 `s` that the rule forbids in `form`.
std::optional<char32_t> forbiddenCharacter(std::string_view s, TextForm form);
// "bidi control character U+202E": how a refusal names a code point.
std::string describeCodePoint(char32_t c);
// `s` (valid UTF-8) with every code point forbidden in `form` replaced by a
// space: for importers that fit outside data to the rule (OCDS).
std::string replaceForbidden(std::string_view s, TextForm form);

// Whether a terminal would act on `c`, or show nothing for it: every
// control character (C0, DEL, C1), the line and paragraph separators, and
// the format characters (Unicode category Cf: bidi controls, zero-width
// spaces and joiners, word joiner, BOM, soft hyphen, tags, ...) plus the
// invisible Hangul fillers. The CLI prints these escaped (\u202E).
bool isHiddenOnTerminal(char32_t c);

// Decodes the code point at s[i] and advances i past it. A byte that starts
// no valid sequence is returned as 0xFFFFFFFF, and i moves one byte on.
char32_t nextCodePoint(std::string_view s, size_t& i);
inline constexpr char32_t kInvalidByte = 0xFFFFFFFF;

}  // namespace allmenning::rules
