// The need and experience formats: their field tables, built from the
// checkers the case format uses (record_fields.h), their JSON forms, and the
// dispatch from an entry kind to its format.
#include "protocol/record_json.h"

#include "protocol/case_json.h"
#include "protocol/record_codec.h"
#include "protocol/record_fields.h"

namespace allmenning::case_json {
namespace {

using NeedB = schema::Need::Builder;
using ExperienceB = schema::Experience::Builder;

// The need fields in format order (the order decodeRecord writes).
const Field<NeedB> kNeedFields[] = {
    {"id", true, setText<NeedB, &NeedB::setId, checkId>},
    {"title", true, setText<NeedB, &NeedB::setTitle, checkShortText>},
    {"need", true, setText<NeedB, &NeedB::setNeed, checkLongText>},
    {"cpv", false, setTextList<NeedB, &NeedB::initCpv, kMaxCpv, checkCpv>},
    {"sector", false, setText<NeedB, &NeedB::setSector, checkSector>},
    {"buyers", false, setBuyers<NeedB, &NeedB::initBuyers>},
    {"contact", false, setContact<NeedB, &NeedB::initContact>},
};

const Field<ExperienceB> kExperienceFields[] = {
    {"id", true, setText<ExperienceB, &ExperienceB::setId, checkId>},
    {"case", true, setText<ExperienceB, &ExperienceB::setCase, checkCaseRef>},
    {"text", true, setText<ExperienceB, &ExperienceB::setText, checkLongText>},
    {"results", false, setText<ExperienceB, &ExperienceB::setResults, checkLongText>},
};

Status buildNeed(const Json& doc, NeedB out) { return fillRecord(doc, kNeedFields, out); }

Status buildExperience(const Json& doc, ExperienceB out) {
  return fillRecord(doc, kExperienceFields, out);
}

Json needToJson(schema::Need::Reader n) {
  Json j = Json::object();
  if (n.hasId()) j["id"] = textJson(n.getId());
  if (n.hasTitle()) j["title"] = textJson(n.getTitle());
  if (n.hasNeed()) j["need"] = textJson(n.getNeed());
  if (n.hasCpv()) j["cpv"] = textListJson(n.getCpv());
  if (n.hasSector()) j["sector"] = textJson(n.getSector());
  if (n.hasBuyers()) j["buyers"] = listJson(n.getBuyers(), partyJson);
  if (n.hasContact()) j["contact"] = contactJson(n.getContact());
  return j;
}

Json experienceToJson(schema::Experience::Reader x) {
  Json j = Json::object();
  if (x.hasId()) j["id"] = textJson(x.getId());
  if (x.hasCase()) j["case"] = textJson(x.getCase());
  if (x.hasText()) j["text"] = textJson(x.getText());
  if (x.hasResults()) j["results"] = textJson(x.getResults());
  return j;
}

// One record format, bound to its schema struct and its two functions.
struct Format {
  Result<Bytes> (*encode)(const Json& value);
  Result<Json> (*decode)(ByteView payload);
  Result<std::string> (*id)(ByteView payload);
};

template <typename T, Build<T> build, ToJson<T> toJson, const char* name>
struct FormatOf {
  static Result<Bytes> encode(const Json& v) { return encodeAs<T>(v, build, name); }
  static Result<Json> decode(ByteView p) { return decodeAs<T>(p, toJson, build, name); }
  static Result<std::string> id(ByteView p) { return idOf<T>(p, name); }
  static constexpr Format format{encode, decode, id};
};

constexpr char kNeedName[] = "need";
constexpr char kExperienceName[] = "experience";

// The format of `kind`; nullptr for kinds whose payload is no JSON record.
const Format* formatOf(Kind kind) {
  static constexpr Format kCase{caseFromJsonValue, decodeCase, caseIdOf};
  switch (kind) {
    case Kind::kCase:
      return &kCase;
    case Kind::kNeed:
      return &FormatOf<schema::Need, buildNeed, needToJson, kNeedName>::format;
    case Kind::kExperience:
      return &FormatOf<schema::Experience, buildExperience, experienceToJson,
                       kExperienceName>::format;
    default:
      return nullptr;
  }
}

Status notARecord(Kind kind) {
  return Status::invalid("entries of kind " + kindName(kind) + " hold no JSON record");
}

}  // namespace
}  // namespace allmenning::case_json

namespace allmenning {

using case_json::formatOf;
using case_json::notARecord;

bool isRecordKind(Kind kind) { return formatOf(kind) != nullptr; }

Result<Bytes> recordFromJson(Kind kind, std::string_view text) {
  auto doc = case_json::parseRecordText(text);
  if (!doc.isOk()) return doc.status();
  return recordFromJsonValue(kind, *doc);
}

Result<Bytes> recordFromJsonValue(Kind kind, const nlohmann::ordered_json& value) {
  const auto* format = formatOf(kind);
  return format ? format->encode(value) : notARecord(kind);
}

Result<nlohmann::ordered_json> decodeRecord(Kind kind, ByteView payload) {
  const auto* format = formatOf(kind);
  return format ? format->decode(payload) : notARecord(kind);
}

Result<std::string> recordIdOf(Kind kind, ByteView payload) {
  const auto* format = formatOf(kind);
  return format ? format->id(payload) : notARecord(kind);
}

}  // namespace allmenning
