// The table of invalid case documents, shared by the parser's unit tests and
// the node test that runs each one against a real database.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "protocol/case_json.h"

namespace allmenning::invalid_cases {

using Json = nlohmann::ordered_json;

inline const std::string kAuthorHex(64, 'a');

// A valid case that uses every field, so each table entry can break one.
inline Json baseCase() {
  return Json::parse(R"({
    "id": "sensor-pilot",
    "title": "Sensorer som varsler vannlekkasjer i skolebygg",
    "summary": "Kommunen prøvde trådløse fuktsensorer i ti skoler.\nSensorene varsler driften.",
    "need": "Lekkasjer ble oppdaget først når skaden var skjedd.",
    "language": "nb",
    "buyers": [
      {"name": "Oslo kommune", "orgnr": "958935420", "kommunenummer": "0301", "role": "lead"},
      {"name": "Trøndelag fylkeskommune", "orgnr": "817920632", "role": "participant"}
    ],
    "procedure": "innovation-partnership",
    "innovation_types": ["prod-innov", "rd-act"],
    "cpv": ["45000000-7", "72212000-4"],
    "sector": "building",
    "status": "completed",
    "started": "2022-03-01",
    "ended": "2024-02-29",
    "suppliers": [{"name": "Fukt og Data AS", "orgnr": "100000016"}],
    "value": {"amount": 2500000, "currency": "NOK"},
    "solution": "Batteridrevne sensorer koblet til driftssystemet.",
    "results": "Tre lekkasjer ble stoppet tidlig det første året.",
    "lessons_learned": "Dekningen i kjellere måtte måles før utrulling.",
    "documents": [{"title": "Konkurransegrunnlag", "type": "biddingDocuments",
                   "url": "https://example.org/kgr.pdf", "sha256": ")" +
                     std::string(64, 'e') + R"("}],
    "contact": {"role": "Prosjektleder", "name": "Kari Nordmann", "email": "kari@example.org"},
    "doffin": ["2022-123456"],
    "related": [{"case": ")" +
                     kAuthorHex + R"(/flomvarsling-ottadalen", "relationship": "derived-from"}],
    "tags": ["sensor", "vannskade"]
  })");
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// ---- The table of invalid documents ----------------------------------------

struct BadCase {
  std::string name;
  std::function<std::string()> input;
  std::string expected;  // a substring of the message naming path and rule
};

// gtest prints parameters on failure; the name says more than the bytes.
inline void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

inline std::function<std::string()> edit(std::function<void(Json&)> mutate) {
  return [mutate] {
    Json j = baseCase();
    mutate(j);
    return j.dump(2);
  };
}

inline std::function<std::string()> raw(std::string text) {
  return [text] { return text; };
}

inline std::vector<BadCase> badCases() {
  const std::string ocdsCodes = "is not an OCDS documentType code";
  return {
      {"MalformedJson", raw(R"({"id": "x",})"),
       "input: malformed JSON: parse error at line 1, column 12"},
      {"TrailingGarbage", raw(R"({"id": "x"} x)"),
       "input: malformed JSON: parse error at line 1, column 13"},
      {"EmptyInput", raw(""), "input: malformed JSON: parse error at line 1, column 1"},
      {"NumberOverflow", raw(R"({"value": {"amount": 1e400}})"),
       "input: malformed JSON: number overflow parsing '1e400'"},
      {"AmountNotNumber", edit([](Json& j) { j["value"]["amount"] = "9 mill"; }),
       "value.amount: must be a number"},
      {"InvalidUtf8InString", raw("{\"title\": \"Skj\xC3\x28k\"}"),
       "input: not valid UTF-8 at byte 14"},
      {"OverlongUtf8", raw("{\"id\": \"a\xC0\xAF\"}"), "input: not valid UTF-8 at byte 9"},
      {"NotAnObject", raw(R"(["sensor-pilot"])"), "input: must be a JSON object"},
      {"NulAfterTheObject", raw(std::string("{\"id\": \"x\"}\0garbage", 19)),
       "input: NUL byte at byte 11"},
      {"TooLarge", raw(std::string(kMaxCaseJsonBytes + 1, ' ')),
       "input: 262145 bytes exceeds the limit of 262144"},
      {"DuplicateKey", raw(R"({"id": "a", "title": "x", "title": "y"})"), "title: duplicate key"},
      {"NestedDuplicateKey", raw(R"({"buyers": [{"name": "a"}, {"name": "b", "name": "c"}]})"),
       "buyers[1].name: duplicate key"},
      {"MissingId", edit([](Json& j) { j.erase("id"); }), "id: is required"},
      {"MissingTitle", edit([](Json& j) { j.erase("title"); }), "title: is required"},
      {"MissingProcedure", edit([](Json& j) { j.erase("procedure"); }), "procedure: is required"},
      {"MissingStatus", edit([](Json& j) { j.erase("status"); }), "status: is required"},
      {"BadId", edit([](Json& j) { j["id"] = "Sensor_Pilot"; }),
       R"(id: "Sensor_Pilot" does not match [a-z0-9][a-z0-9-]{0,79})"},
      {"LongValueIsShortenedInMessage", edit([](Json& j) { j["id"] = std::string(100, 'X'); }),
       "id: \"" + std::string(80, 'X') + "...\" does not match"},
      {"TitleTooLong", edit([](Json& j) { j["title"] = repeat("ø", 301); }),
       "title: must be at most 300 characters long (has 301)"},
      {"TitleNotString", edit([](Json& j) { j["title"] = 42; }), "title: must be a string"},
      {"TitleWithNewline", edit([](Json& j) { j["title"] = "Linje\nto"; }),
       "title: must not contain control character U+000A"},
      {"EmptySummary", edit([](Json& j) { j["summary"] = ""; }), "summary: must not be empty"},
      {"BadLanguage", edit([](Json& j) { j["language"] = "norsk"; }),
       R"(language: "norsk" is not a language tag)"},
      {"BuyersNotList", edit([](Json& j) { j["buyers"] = j["buyers"][0]; }),
       "buyers: must be a list"},
      {"BuyerNotObject", edit([](Json& j) { j["buyers"][0] = "Oslo"; }),
       "buyers[0]: must be an object"},
      {"BuyerWithoutName", edit([](Json& j) { j["buyers"][1].erase("name"); }),
       "buyers[1].name: is required"},
      {"OrgnrChecksum", edit([](Json& j) { j["buyers"][0]["orgnr"] = "958935421"; }),
       "buyers[0].orgnr: 958935421 fails the MOD11 check"},
      {"OrgnrLength", edit([](Json& j) { j["buyers"][1]["orgnr"] = "81792063"; }),
       R"(buyers[1].orgnr: "81792063" must be 9 digits)"},
      {"KommunenummerThreeDigits", edit([](Json& j) { j["buyers"][0]["kommunenummer"] = "301"; }),
       R"(buyers[0].kommunenummer: "301" must be 4 digits)"},
      {"BadRole", edit([](Json& j) { j["buyers"][1]["role"] = "boss"; }),
       R"(buyers[1].role: "boss" is not one of lead, participant)"},
      {"UnknownBuyerField", edit([](Json& j) { j["buyers"][0]["phone"] = "22 00 00 00"; }),
       "buyers[0].phone: unknown field"},
      {"KommunenummerOnSupplier",
       edit([](Json& j) { j["suppliers"][0]["kommunenummer"] = "0301"; }),
       "suppliers[0].kommunenummer: unknown field"},
      {"BadProcedure", edit([](Json& j) { j["procedure"] = "auction"; }),
       R"(procedure: "auction" is not one of open, restricted, negotiated, competitive-dialogue, )"
       R"(innovation-partnership, pre-commercial, innovation-competition, design-contest, )"
       R"(market-consultation, other)"},
      {"BadInnovationType", edit([](Json& j) { j["innovation_types"][1] = "magic"; }),
       R"(innovation_types[1]: "magic" is not one of buy-eff, fp-requ)"},
      {"DuplicateInnovationType", edit([](Json& j) { j["innovation_types"][1] = "prod-innov"; }),
       R"(innovation_types[1]: "prod-innov" is listed twice)"},
      {"TooManyInnovationTypes",
       edit([](Json& j) { j["innovation_types"] = std::vector<std::string>(9, "other"); }),
       "innovation_types: must have at most 8 items (has 9)"},
      {"BadCpv", edit([](Json& j) { j["cpv"][0] = "4500000"; }),
       R"(cpv[0]: "4500000" is not a CPV code (DDDDDDDD-D or DDDDDDDD))"},
      {"EmptyCpvList", edit([](Json& j) { j["cpv"] = Json::array(); }), "cpv: must not be empty"},
      {"BadSector", edit([](Json& j) { j["sector"] = "farming"; }),
       R"(sector: "farming" is not one of health-care, building, transport)"},
      {"BadStatus", edit([](Json& j) { j["status"] = "done"; }),
       R"(status: "done" is not one of planning, market-dialogue)"},
      {"BadDateShape", edit([](Json& j) { j["started"] = "01.03.2022"; }),
       R"(started: "01.03.2022" is not a date (YYYY-MM-DD))"},
      {"ImpossibleDate", edit([](Json& j) { j["ended"] = "2023-02-30"; }),
       R"(ended: "2023-02-30" is not a date (YYYY-MM-DD))"},
      {"EndedBeforeStarted", edit([](Json& j) { j["ended"] = "2022-02-28"; }),
       R"(ended: "2022-02-28" is before started "2022-03-01")"},
      {"NegativeAmount", edit([](Json& j) { j["value"]["amount"] = -1; }),
       "value.amount: must not be negative"},
      {"AmountTooLarge", raw(R"({"value": {"amount": 9007199254740993}})"),
       "value.amount: must be at most 9007199254740992"},
      {"MissingAmount", edit([](Json& j) { j["value"].erase("amount"); }),
       "value.amount: is required"},
      {"BadCurrency", edit([](Json& j) { j["value"]["currency"] = "nok"; }),
       R"(value.currency: "nok" is not an ISO 4217 code)"},
      {"DocumentWithoutUrl", edit([](Json& j) { j["documents"][0].erase("url"); }),
       "documents[0].url: is required"},
      {"BadDocumentType", edit([](Json& j) { j["documents"][0]["type"] = "brochure"; }),
       R"(documents[0].type: "brochure" )" + ocdsCodes},
      {"FtpUrl", edit([](Json& j) { j["documents"][0]["url"] = "ftp://example.org/a"; }),
       R"(documents[0].url: "ftp://example.org/a" is not an http:// or https:// URL)"},
      {"UrlTooLong",
       edit([](Json& j) { j["documents"][0]["url"] = "https://e.org/" + std::string(1987, 'a'); }),
       "documents[0].url: must be at most 2000 characters long (has 2001)"},
      {"BadSha256", edit([](Json& j) { j["documents"][0]["sha256"] = std::string(64, 'E'); }),
       "documents[0].sha256: \"" + std::string(64, 'E') +
           "\" is not a SHA-256 digest (64 lowercase hex digits)"},
      {"EmptyContact", edit([](Json& j) { j["contact"] = Json::object(); }),
       "contact: must not be empty"},
      {"BadEmail", edit([](Json& j) { j["contact"]["email"] = "kari.example.org"; }),
       R"(contact.email: "kari.example.org" is not an email address)"},
      {"BadDoffinId", edit([](Json& j) { j["doffin"][0] = "2022-12345"; }),
       R"(doffin[0]: "2022-12345" is not a Doffin notice id (YYYY-NNNNNN))"},
      {"BadRelatedCase", edit([](Json& j) { j["related"][0]["case"] = "abc/flom"; }),
       R"(related[0].case: "abc/flom" is not a case reference (<64 lowercase hex>/<id>))"},
      {"BadRelationship", edit([](Json& j) { j["related"][0]["relationship"] = "cousin"; }),
       R"(related[0].relationship: "cousin" is not one of derived-from, prior, follow-up, )"
       R"(same-need)"},
      {"UnknownTopLevelField", edit([](Json& j) { j["frobnicate"] = true; }),
       "frobnicate: unknown field"},
      {"OddUnknownKey", edit([](Json& j) { j["contact"]["e mail"] = "x"; }),
       R"(contact."e mail": unknown field)"},
      {"TagNotString", edit([](Json& j) { j["tags"][1] = 7; }), "tags[1]: must be a string"},
      {"TagTooLong", edit([](Json& j) { j["tags"][0] = std::string(61, 't'); }),
       "tags[0]: must be at most 60 characters long (has 61)"},
      {"DuplicateTag", edit([](Json& j) { j["tags"][1] = "sensor"; }),
       R"(tags[1]: "sensor" is listed twice)"},
      {"TooManyTags", edit([](Json& j) {
         j["tags"] = Json::array();
         for (int i = 0; i < 31; ++i) j["tags"].push_back("t" + std::to_string(i));
       }),
       "tags: must have at most 30 items (has 31)"},
      {"NulInName", edit([](Json& j) { j["suppliers"][0]["name"] = std::string("a\0b", 3); }),
       "suppliers[0].name: must not contain control character U+0000"},
  };
}

}  // namespace allmenning::invalid_cases
