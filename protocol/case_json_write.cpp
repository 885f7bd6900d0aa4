// The rules of the case format (docs/case-format.md) applied to a parsed JSON
// document, filling a schema::Case builder as each field passes.
//
// Keys are visited in document order and the first violation ends the check,
// so the message always names the earliest problem in the user's file. The
// checkers and the templates that bind them to builders are shared with the
// need and experience formats (record_fields.h); this file holds the tables
// of the case and of the objects only a case has.
#include <cmath>
#include <cstdint>

#include "protocol/record_fields.h"

namespace allmenning::case_json {
namespace {

using CaseB = schema::Case::Builder;
using PartyB = schema::Party::Builder;
using ValueB = schema::Value::Builder;
using DocumentB = schema::Document::Builder;
using RelatedB = schema::Related::Builder;

constexpr size_t kMaxInnovationTypes = 8;  // one of each code
constexpr size_t kMaxDocuments = 100;
constexpr size_t kMaxDoffin = 20;
constexpr size_t kMaxRelated = 50;
constexpr size_t kMaxTags = 30;
// Amounts are doubles on the wire. Up to 2^53 every whole number has an exact
// double, so an amount written as an integer comes back as that integer.
constexpr uint64_t kMaxAmount = uint64_t{1} << 53;

Status setAmount(const Json& v, const std::string& path, ValueB& b) {
  if (!v.is_number()) return fail(path, "must be a number");
  const double amount = v.get<double>();
  if (!std::isfinite(amount)) return fail(path, "must be a finite number");
  if (amount < 0) return fail(path, "must not be negative");
  // An unsigned integer is compared before rounding: 2^53 + 1 would round
  // down to 2^53 and be stored as a different number without complaint.
  const bool tooLarge = v.is_number_unsigned() ? v.get<uint64_t>() > kMaxAmount
                                               : amount > static_cast<double>(kMaxAmount);
  if (tooLarge) return fail(path, "must be at most " + std::to_string(kMaxAmount));
  // -0.0 has other bits than 0.0; storing one zero keeps one encoding.
  b.setAmount(amount == 0 ? 0.0 : amount);
  return Status::ok();
}

// Suppliers are companies: a kommunenummer on one is a mistake, not data.
const Field<PartyB> kSupplierFields[] = {
    {"name", true, setText<PartyB, &PartyB::setName, checkShortText>},
    {"orgnr", false, setText<PartyB, &PartyB::setOrgnr, checkOrgnr>},
    {"role", false, setText<PartyB, &PartyB::setRole, checkRole>},
};
const Field<ValueB> kValueFields[] = {
    {"amount", true, setAmount},
    {"currency", false, setText<ValueB, &ValueB::setCurrency, checkCurrency>},
};
const Field<DocumentB> kDocumentFields[] = {
    {"title", true, setText<DocumentB, &DocumentB::setTitle, checkShortText>},
    {"type", true, setText<DocumentB, &DocumentB::setType, checkDocumentType>},
    {"url", true, setText<DocumentB, &DocumentB::setUrl, checkUrl>},
    {"sha256", false, setText<DocumentB, &DocumentB::setSha256, checkSha256>},
};
const Field<RelatedB> kRelatedFields[] = {
    {"case", true, setText<RelatedB, &RelatedB::setCase, checkCaseRef>},
    {"relationship", true, setText<RelatedB, &RelatedB::setRelationship, checkRelationship>},
};

Status setSuppliers(const Json& v, const std::string& p, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, p, kMaxParties));
  return fillEach(v, p, kSupplierFields, b.initSuppliers(static_cast<unsigned>(v.size())));
}
Status setDocuments(const Json& v, const std::string& p, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, p, kMaxDocuments));
  return fillEach(v, p, kDocumentFields, b.initDocuments(static_cast<unsigned>(v.size())));
}
Status setRelated(const Json& v, const std::string& p, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, p, kMaxRelated));
  return fillEach(v, p, kRelatedFields, b.initRelated(static_cast<unsigned>(v.size())));
}
Status setValue(const Json& v, const std::string& p, CaseB& b) {
  ValueB value = b.initValue();
  return fillObject(v, p, kValueFields, value);
}

// The case fields in case-format order (the order decodeCase writes).
const Field<CaseB> kCaseFields[] = {
    {"id", true, setText<CaseB, &CaseB::setId, checkId>},
    {"title", true, setText<CaseB, &CaseB::setTitle, checkShortText>},
    {"summary", false, setText<CaseB, &CaseB::setSummary, checkLongText>},
    {"need", false, setText<CaseB, &CaseB::setNeed, checkLongText>},
    {"language", false, setText<CaseB, &CaseB::setLanguage, checkLanguage>},
    {"buyers", false, setBuyers<CaseB, &CaseB::initBuyers>},
    {"procedure", true, setText<CaseB, &CaseB::setProcedure, checkProcedure>},
    {"innovation_types", false,
     setTextList<CaseB, &CaseB::initInnovationTypes, kMaxInnovationTypes, checkInnovationType>},
    {"cpv", false, setTextList<CaseB, &CaseB::initCpv, kMaxCpv, checkCpv>},
    {"sector", false, setText<CaseB, &CaseB::setSector, checkSector>},
    {"status", true, setText<CaseB, &CaseB::setStatus, checkStatus>},
    {"started", false, setText<CaseB, &CaseB::setStarted, checkDate>},
    {"ended", false, setText<CaseB, &CaseB::setEnded, checkDate>},
    {"suppliers", false, setSuppliers},
    {"value", false, setValue},
    {"solution", false, setText<CaseB, &CaseB::setSolution, checkLongText>},
    {"results", false, setText<CaseB, &CaseB::setResults, checkLongText>},
    {"lessons_learned", false, setText<CaseB, &CaseB::setLessonsLearned, checkLongText>},
    {"documents", false, setDocuments},
    {"contact", false, setContact<CaseB, &CaseB::initContact>},
    {"doffin", false, setTextList<CaseB, &CaseB::initDoffin, kMaxDoffin, checkDoffin>},
    {"related", false, setRelated},
    {"tags", false, setTextList<CaseB, &CaseB::initTags, kMaxTags, checkTag>},
};

}  // namespace

Status buildCase(const Json& doc, schema::Case::Builder out) {
  ALM_RETURN_IF_ERROR(fillRecord(doc, kCaseFields, out));
  // Both dates are valid YYYY-MM-DD by now, and such strings sort by date.
  auto started = doc.find("started"), ended = doc.find("ended");
  if (started != doc.end() && ended != doc.end() && *ended < *started) {
    return fail("ended", quote(ended->get_ref<const std::string&>()) + " is before started " +
                             quote(started->get_ref<const std::string&>()));
  }
  return Status::ok();
}

}  // namespace allmenning::case_json
