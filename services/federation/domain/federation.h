// Pure rules of the federation gateway (docs/ARCHITECTURE.md §19): which
// instances may be whose parent, child or partner, what each may send, the
// in-order exactly-once acceptance of envelopes, approval, the directive
// life, report aggregation and the retry backoff. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/auth.h"
#include "common/division/division.h"
#include "zx/federation/v1/federation.pb.h"

namespace zx::federation {

namespace v1 = zx::federation::v1;

enum class Relation { kParent, kChild, kPartner };
std::string RelationName(Relation relation);

// A configured peer, checked.
struct Peer {
  Relation relation;
  division::Code division;
  v1::Level level;
  std::string address;
  std::string name;
  std::vector<std::string> grants;  // partners only
  // What its certificate must say: "<level>:<division>".
  std::string identity() const;
};

// The checked configuration of one instance.
struct Topology {
  explicit Topology(division::Code self) : self(std::move(self)) {}
  division::Code self;
  v1::Level level = v1::LEVEL_UNSPECIFIED;
  std::vector<Peer> peers;  // parent first (if any), then children, then partners

  const Peer* parent() const;
  const Peer* Find(const division::Code& division, Relation relation) const;
  // The child whose division contains `division`, if any.
  const Peer* ChildContaining(const division::Code& division) const;
  std::vector<const Peer*> children() const;
};

// The instance level a division code runs at (region, prefecture, county).
absl::StatusOr<v1::Level> InstanceLevelOf(const division::Code& division);
std::string LevelName(v1::Level level);  // "county", ...

// Checks a configuration for the instance at `self`: INVALID_ARGUMENT naming
// the field. The level must match the code; a parent must be the instance's
// own parent division one level up (a county is only ever the child of its
// own prefecture code); children must lie directly below; partners are
// provinces outside this instance's region, with known grants.
absl::StatusOr<Topology> BuildTopology(const division::Code& self,
                                       const v1::FederationConfig& config);

// Operations a partner may be granted.
const std::vector<std::string>& PartnerGrantNames();

// Who a certificate-authenticated caller is to this instance: the peer it
// must be configured as, or PERMISSION_DENIED saying why not (a county
// certificate of another county, a child claiming a parent it does not
// belong to, an unknown partner).
absl::StatusOr<const Peer*> IdentifyPeer(const Topology& topology, const auth::Principal& caller);

// Whether `peer` may send an envelope of this kind: reports and policy
// acknowledgements go up, approvals and policies down, directives both ways.
absl::Status CheckEnvelopeAllowed(const Peer& peer, const v1::Envelope& envelope);

// The fields of a peer's envelope the receiver's tables rely on (period,
// ids, dates): INVALID_ARGUMENT naming "envelopes[<index>]....".
absl::Status ValidateEnvelope(const v1::Envelope& envelope, int index);

// Whether one step of the directive life leads from `from` to `to`.
bool IsDirectiveStep(v1::DirectiveStatus from, v1::DirectiveStatus to);

// In-order, exactly-once acceptance: given the last sequence applied from
// a sender, the indexes of `envelopes` to apply now (duplicates skipped; the
// batch stops at the first gap or disorder).
std::vector<int> EnvelopesToApply(int64_t last_applied, const v1::DeliverRequest& request);

// "YYYY-MM" periods.
absl::StatusOr<absl::CivilMonth> ParsePeriod(std::string_view text);

// Sum of roll-ups: every counter and additive figure; the aggregate's
// division is `division`; median and means are recomputed only where they
// are additive-derived (mean per-capita income weighted by households).
zx::monitoring::v1::Rollup SumRollups(const std::vector<const zx::monitoring::v1::Rollup*>& parts,
                                      const std::string& division);

// The children that have not submitted a report for the period.
std::vector<std::string> MissingChildren(const Topology& topology,
                                         const std::vector<std::string>& reported);

// Directive life: issued → acknowledged → in progress → completed; overdue
// once the deadline passed before completion (it may still be acknowledged,
// started and completed; completion after the deadline is recorded as late).
absl::StatusOr<v1::DirectiveStatus> AdvanceDirective(v1::DirectiveStatus current,
                                                     v1::DirectiveStep step);
bool IsOverdue(const v1::Directive& directive, absl::CivilDay today);

// Escalation kinds a child may raise.
const std::vector<std::string>& EscalationKinds();
// A decision on a raised escalation: APPROVED, REJECTED or NOTED, once.
absl::Status CheckEscalationDecision(v1::EscalationStatus current, v1::EscalationStatus decision);

// Exponential backoff with jitter: the delay before retry `attempt` (1, 2,
// ...): min(max, initial * 2^(attempt-1)) scaled by `jitter` in [0.5, 1.0).
absl::Duration Backoff(int attempt, absl::Duration initial, absl::Duration max, double jitter);

}  // namespace zx::federation
