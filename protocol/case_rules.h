// Field rules of the case format, each a pure predicate, shared by the JSON
// parser and by later importers (OCDS) so that one rule has one definition.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace allmenning::rules {

// Norwegian organisation number: 9 digits, MOD11 with weights 3,2,7,6,5,4,3,2.
bool isValidOrgnr(std::string_view s);
// Kommunenummer: exactly 4 digits.
bool isValidKommunenummer(std::string_view s);
// CPV code: DDDDDDDD-D, or DDDDDDDD without its check digit.
bool isValidCpv(std::string_view s);
// Case, need and experience ids: [a-z0-9][a-z0-9-]{0,79}.
bool isValidId(std::string_view s);
// Calendar date YYYY-MM-DD that exists (leap years included).
bool isValidDate(std::string_view s);
// Doffin notice id: YYYY-NNNNNN.
bool isValidDoffinId(std::string_view s);
// Well-formed UTF-8 without overlong forms or surrogates.
bool isValidUtf8(std::string_view s);
// Length of the UTF-8 sequence starting at s[i] (i < s.size()), or 0 when
// it is malformed. The one UTF-8 decoder of protocol/.
size_t utf8SequenceLength(std::string_view s, size_t i);
// Number of Unicode code points in valid UTF-8 text.
size_t codePoints(std::string_view s);

// The closed code lists of the case format, for callers that offer them as
// choices (the CLI's filters). One definition: protocol/case_json_codes.cpp.
std::vector<std::string> procedureCodes();
std::vector<std::string> sectorCodes();
std::vector<std::string> statusCodes();

}  // namespace allmenning::rules
