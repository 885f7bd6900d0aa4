#include "protocol/acceptance.h"

#include "protocol/records.h"

namespace allmenning {
namespace {

std::string describe(const Entry& e) {
  return "entry " + toHex(e.header.author).substr(0, 16) + "/" + std::to_string(e.header.seq);
}

ApplyOutcome refused(Outcome o, Status st) { return {o, std::move(st), std::nullopt}; }

// Step 2: an exact copy of the stored entry at its seq.
ApplyOutcome storedCopy(const Entry& e) {
  const Header& h = e.header;
  if (e.payload &&
      (e.payload->size() != h.payloadSize || blake2b256(*e.payload) != h.payloadHash)) {
    return refused(Outcome::kInvalid,
                   Status::corruption(describe(e) + ": payload hash does not match the header"));
  }
  return {Outcome::kDuplicate, Status::ok(), std::nullopt};
}

// Step 5: where the entry falls against the head, as an outcome.
std::optional<ApplyOutcome> placementOutcome(const Entry& e, const AuthorView& view) {
  Placement p = placeEntry(view.head, e, view.storedAtSeq);
  auto chainError = [&](Outcome o) {
    return refused(
        o, Status::corruption(describe(e) + ": " + placementName(p) + " in the author's chain"));
  };
  switch (p) {
    case Placement::kNext:
      return std::nullopt;
    case Placement::kDuplicate:  // caught as an exact copy already; kept for completeness
      return ApplyOutcome{Outcome::kDuplicate, Status::ok(), std::nullopt};
    case Placement::kGap:
      return chainError(Outcome::kGap);
    case Placement::kBadPrev:
      return chainError(Outcome::kBadPrev);
    case Placement::kFork:
      return chainError(Outcome::kFork);
  }
  return chainError(Outcome::kInvalid);
}

}  // namespace

std::string outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kAccepted:
      return "accepted";
    case Outcome::kDuplicate:
      return "duplicate";
    case Outcome::kGap:
      return "gap";
    case Outcome::kBadPrev:
      return "wrong prev";
    case Outcome::kFork:
      return "fork";
    case Outcome::kFrozen:
      return "frozen";
    case Outcome::kUntrusted:
      return "untrusted";
    case Outcome::kInvalid:
      return "invalid";
  }
  return "unknown";
}

ApplyOutcome decideEntry(const Entry& e, const Hash& network, const AuthorView& view) {
  if (!view.accepted) {
    return refused(Outcome::kUntrusted,
                   Status::refused(describe(e) + ": author is not trusted by this node"));
  }
  if (view.storedAtSeq && *view.storedAtSeq == e.hash) return storedCopy(e);
  Status st = checkEntry(e, network);
  if (!st.isOk()) return refused(Outcome::kInvalid, std::move(st));
  if (view.frozen) {
    return refused(Outcome::kFrozen,
                   Status::refused(describe(e) + ": author is frozen after a fork"));
  }
  if (auto placed = placementOutcome(e, view)) return std::move(*placed);
  if (!e.payload) {
    return refused(Outcome::kInvalid, Status::corruption(describe(e) + ": payload missing"));
  }
  st = checkPayload(e.header.kind, *e.payload);
  if (!st.isOk()) return refused(Outcome::kInvalid, std::move(st));
  return {Outcome::kAccepted, Status::ok(), std::nullopt};
}

}  // namespace allmenning
