// The authoring hold: a node that may have lost entries its key signed
// signs nothing until a peer confirms its head (docs/operations.md, "Back up
// and restore"). The intent file (node/intent.h) catches a database restored
// alone; a home copied or restored whole, intent included, is caught here.
#include "node/node.h"

namespace allmenning {
namespace {

constexpr const char* kCopiedReason =
    "this home's database is not in the folder it was created in: the home was copied or "
    "restored (cp -a, rsync, a backup tool), so its peers may hold entries this key signed "
    "after that copy was taken";

}  // namespace

// The database records the placement of its folder. A folder that is not
// the recorded one is a copy: hold, in the same write that records the new
// placement, so the hold cannot be lost to a crash in between. A database
// with no placement recorded (made before they were) gets one, unheld.
Status Node::checkPlacement() {
  auto now = placementOf(paths_.db());
  if (!now.isOk()) return now.status();
  auto recorded = store_->placement();
  if (!recorded.isOk()) return recorded.status();
  if (*recorded && **recorded == *now) return Status::ok();
  auto hold = store_->authoringHold();
  if (!hold.isOk()) return hold.status();
  if (!*recorded || *hold) return store_->setAuthoringHold(*hold, *now);
  return store_->setAuthoringHold(AuthoringHold{clock_(), kCopiedReason}, *now);
}

// A peer confirms the head when its latest Heads shows this node's log at
// exactly this node's head: it holds nothing newer that this key signed.
// A peer ahead of us is being fetched from; one behind us fetches from us
// and confirms with its next Heads.
Result<std::optional<AuthoringHold>> Node::authoringHold() {
  auto hold = store_->authoringHold();
  NetworkView* net = network_.load();
  if (!hold.isOk() || !*hold || net == nullptr) return hold;
  auto head = store_->head(id());
  if (!head.isOk()) return head.status();
  for (const PeerStatus& p : net->peers()) {
    const auto& claim = p.selfHead;
    if (!claim || claim->forked || claim->seq != head->seq || claim->hash != head->hash) continue;
    ALM_RETURN_IF_ERROR(store_->setAuthoringHold(std::nullopt));
    net->log(LogLevel::kInfo, "authoring resumed: peer " + toHex(p.key) +
                                  " confirmed this node's head at seq " +
                                  std::to_string(head->seq));
    return std::optional<AuthoringHold>();
  }
  return hold;
}

Result<bool> Node::resumeAuthoring() {
  auto hold = store_->authoringHold();
  if (!hold.isOk()) return hold.status();
  if (!*hold) return false;
  ALM_RETURN_IF_ERROR(store_->setAuthoringHold(std::nullopt));
  if (NetworkView* net = network_.load()) {
    net->log(LogLevel::kWarn,
             "authoring resumed by the operator, with no peer confirming the head");
  }
  return true;
}

Status Node::checkNotHeld() {
  auto hold = authoringHold();
  if (!hold.isOk()) return hold.status();
  if (!*hold) return Status::ok();
  return Status::refused(
      "authoring is held since " + isoTime((*hold)->since) + ": " + (*hold)->reason +
      ". Signing now could put a second entry at a seq its peers already hold, and fork this "
      "node's log. Run the node (`allmenning run`) with a peer that holds its log: it fetches "
      "its own entries, and authors again once a peer confirms its head (`allmenning status` "
      "shows the hold). If this node has no peers, run `allmenning authoring resume "
      "--i-have-no-peers`");
}

}  // namespace allmenning
