// An author's standing at this node: why this node holds (or no longer
// accepts) its entries, and the name to show for it. Node::standingOf
// computes it in one place, and every view (case show, need show, search,
// need match, trust list, status, the experiences and links under a case)
// prints it through toJson() and the CLI's one text form of it, so that no
// two views can give different answers.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "protocol/bytes.h"
#include "protocol/records.h"

namespace allmenning {

// In order of precedence: the first that holds is the author's standing.
enum class Trust {
  kSelf,        // this node's own key
  kFrozen,      // caught signing two entries at one seq (a fork proof is stored)
  kTrusted,     // trusted directly (trust add)
  kVouched,     // vouched for by a directly trusted body
  kDistrusted,  // removed with `trust remove`, and vouched for by no trusted body
  kNotTrusted,  // none of the above: its entries are no longer accepted
};
// "self", "frozen", "trusted", "vouched", "distrusted", "not trusted".
std::string trustCode(Trust t);

// Where the shown name comes from, most authoritative first.
enum class NameSource {
  kNone,     // no name known: show the key
  kTrust,    // given by this node's operator with `trust add --name`
  kVouch,    // given by a directly trusted body in its vouch
  kProfile,  // the author's own profile: self-declared
};

// A directly trusted body's vouch for the author.
struct Voucher {
  PublicKey key{};
  std::optional<std::string> name;  // the voucher's own name here, if known
  VouchRecord vouch;                // what it said: name, orgnr, kommunenummer
};

struct Standing {
  Trust trust = Trust::kNotTrusted;
  std::optional<std::string> name;  // the name to show; nullopt: none known
  NameSource nameSource = NameSource::kNone;
  std::optional<std::string> profileName;  // what the author's own profile says
  // The vouches that count: those of directly trusted bodies, by key.
  std::vector<Voucher> vouchers;

  // The self-declared name exists and is not the name shown: a view flags it.
  bool nameDiffers() const {
    return nameSource != NameSource::kProfile && profileName && profileName != name;
  }
};

// The standing's fields as every JSON view carries them beside the author's
// key: authorName, nameSource, profileName, nameDiffers, trust, vouchedBy.
nlohmann::ordered_json toJson(const Standing& s);
// The keys toJson() writes: what depends on this node's trust, not on the
// signed entries (tests compare the rest across nodes).
const std::vector<std::string>& standingKeys();

}  // namespace allmenning
