// An author's standing (node/standing.h): the one place that decides why
// this node holds an author and which name it shows for it.
#include "node/node.h"
#include "node/standing.h"

namespace allmenning {

std::string trustCode(Trust t) {
  switch (t) {
    case Trust::kSelf:
      return "self";
    case Trust::kFrozen:
      return "frozen";
    case Trust::kTrusted:
      return "trusted";
    case Trust::kVouched:
      return "vouched";
    case Trust::kDistrusted:
      return "distrusted";
    case Trust::kNotTrusted:
      break;
  }
  return "not trusted";
}

namespace {

Json orNull(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

const char* sourceCode(NameSource s) {
  switch (s) {
    case NameSource::kTrust:
      return "trust";
    case NameSource::kVouch:
      return "vouch";
    case NameSource::kProfile:
      return "profile";
    case NameSource::kNone:
      break;
  }
  return nullptr;
}

Json voucherJson(const Voucher& v) {
  Json j{{"key", toHex(v.key)}, {"name", orNull(v.name)}, {"as", v.vouch.name}};
  if (!v.vouch.orgnr.empty()) j["orgnr"] = v.vouch.orgnr;
  if (!v.vouch.kommunenummer.empty()) j["kommunenummer"] = v.vouch.kommunenummer;
  return j;
}

}  // namespace

Json toJson(const Standing& s) {
  Json vouchedBy = Json::array();
  for (const Voucher& v : s.vouchers) vouchedBy.push_back(voucherJson(v));
  const char* source = sourceCode(s.nameSource);
  return Json{
      {"authorName", orNull(s.name)},         {"nameSource", source ? Json(source) : Json(nullptr)},
      {"profileName", orNull(s.profileName)}, {"nameDiffers", s.nameDiffers()},
      {"trust", trustCode(s.trust)},          {"vouchedBy", std::move(vouchedBy)}};
}

const std::vector<std::string>& standingKeys() {
  static const std::vector<std::string> kKeys = {"authorName",  "nameSource", "profileName",
                                                 "nameDiffers", "trust",      "vouchedBy"};
  return kKeys;
}

// Vouches count only from bodies this node trusts directly (they do not
// chain), so only those are listed and only those may name the author.
Result<Standing> Node::standingOf(const PublicKey& author) {
  Standing s;
  auto profile = store_->authorName(author);
  if (!profile.isOk()) return profile.status();
  s.profileName = std::move(*profile);
  for (const PublicKey& key : store_->vouchersOf(author)) {
    if (!store_->trusts(key)) continue;
    auto vouch = store_->vouch(author, key);
    if (!vouch.isOk()) return vouch.status();
    if (!*vouch) continue;
    auto name = voucherName(key);
    if (!name.isOk()) return name.status();
    s.vouchers.push_back({key, std::move(*name), std::move((*vouch)->record)});
  }
  auto given = store_->trustName(author);
  if (!given.isOk()) return given.status();
  const bool trusted = given->has_value();
  if (author == id()) {
    s.trust = Trust::kSelf;
  } else if (store_->frozen(author)) {
    s.trust = Trust::kFrozen;
  } else if (trusted) {
    s.trust = Trust::kTrusted;
  } else if (!s.vouchers.empty()) {
    s.trust = Trust::kVouched;
  } else {
    s.trust = store_->distrusted(author) ? Trust::kDistrusted : Trust::kNotTrusted;
  }
  // This node's own name is its profile; anyone else's is what this node's
  // operator called it, else what a trusted voucher did, else its own word.
  if (author != id() && trusted && !(*given)->empty()) {
    s.name = **given;
    s.nameSource = NameSource::kTrust;
  } else if (author != id() && !s.vouchers.empty()) {
    s.name = s.vouchers.front().vouch.name;
    s.nameSource = NameSource::kVouch;
  } else if (s.profileName) {
    s.name = s.profileName;
    s.nameSource = NameSource::kProfile;
  }
  return s;
}

// A voucher is trusted directly, so its name is the operator's, else its own.
Result<std::optional<std::string>> Node::voucherName(const PublicKey& key) {
  auto given = store_->trustName(key);
  if (!given.isOk()) return given.status();
  if (*given && !(*given)->empty()) return *given;
  return store_->authorName(key);
}

Result<Json> Node::standingJson(const PublicKey& author) {
  auto s = standingOf(author);
  if (!s.isOk()) return s.status();
  return toJson(*s);
}

}  // namespace allmenning
