#include "services/federation/domain/federation.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/strings.h"
#include "common/errors/errors.h"
#include "common/time/time.h"

namespace zx::federation {
namespace {

using zx::monitoring::v1::ColourCounts;
using zx::monitoring::v1::NamedCount;
using zx::monitoring::v1::Rollup;

std::string DescribePeer(const auth::Principal& caller) {
  return absl::StrCat(caller.instance_level, ":", caller.division.str());
}

void AddColours(ColourCounts& into, const ColourCounts& from) {
  into.set_red(into.red() + from.red());
  into.set_orange(into.orange() + from.orange());
  into.set_yellow(into.yellow() + from.yellow());
  into.set_green(into.green() + from.green());
  into.set_unassessed(into.unassessed() + from.unassessed());
}

void AddNamed(std::map<std::string, int64_t>& into,
              const google::protobuf::RepeatedPtrField<NamedCount>& from) {
  for (const NamedCount& c : from) into[c.name()] += c.count();
}

void SetNamed(google::protobuf::RepeatedPtrField<NamedCount>* out,
              const std::map<std::string, int64_t>& counts) {
  for (const auto& [name, count] : counts) {
    NamedCount* c = out->Add();
    c->set_name(name);
    c->set_count(count);
  }
}

}  // namespace

std::string RelationName(Relation relation) {
  switch (relation) {
    case Relation::kParent:
      return "parent";
    case Relation::kChild:
      return "child";
    case Relation::kPartner:
      return "partner";
  }
  return "?";
}

std::string Peer::identity() const { return absl::StrCat(LevelName(level), ":", division.str()); }

const Peer* Topology::parent() const {
  for (const Peer& p : peers) {
    if (p.relation == Relation::kParent) return &p;
  }
  return nullptr;
}

const Peer* Topology::Find(const division::Code& division, Relation relation) const {
  for (const Peer& p : peers) {
    if (p.relation == relation && p.division == division) return &p;
  }
  return nullptr;
}

const Peer* Topology::ChildContaining(const division::Code& division) const {
  for (const Peer& p : peers) {
    if (p.relation == Relation::kChild && p.division.IsAncestorOrSelfOf(division)) return &p;
  }
  return nullptr;
}

std::vector<const Peer*> Topology::children() const {
  std::vector<const Peer*> out;
  for (const Peer& p : peers) {
    if (p.relation == Relation::kChild) out.push_back(&p);
  }
  return out;
}

absl::StatusOr<v1::Level> InstanceLevelOf(const division::Code& division) {
  switch (division.level()) {
    case division::Level::kRegion:
      return v1::LEVEL_REGION;
    case division::Level::kPrefecture:
      return v1::LEVEL_PREFECTURE;
    case division::Level::kCounty:
      return v1::LEVEL_COUNTY;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(division.str(), " is below county level: no instance runs there"));
  }
}

std::string LevelName(v1::Level level) {
  switch (level) {
    case v1::LEVEL_COUNTY:
      return "county";
    case v1::LEVEL_PREFECTURE:
      return "prefecture";
    case v1::LEVEL_REGION:
      return "region";
    case v1::LEVEL_PARTNER:
      return "partner";
    default:
      return "unspecified";
  }
}

const std::vector<std::string>& PartnerGrantNames() {
  static const std::vector<std::string> kNames = {
      "federation.report.read",    // read this instance's agreed reports
      "employment.job.post",       // post jobs (through the gateway, later)
      "consumption.order.submit",  // place orders
      "assets.project.register",   // register funded projects
  };
  return kNames;
}

absl::StatusOr<Topology> BuildTopology(const division::Code& self,
                                       const v1::FederationConfig& config) {
  errors::Validator v;
  Topology topology{self};
  auto own_level = InstanceLevelOf(self);
  if (!own_level.ok()) {
    return errors::InvalidField("--division", std::string(own_level.status().message()));
  }
  if (config.level() != *own_level) {
    v.Add("level", absl::StrCat("must be ", LevelName(*own_level), " for division ", self.str()));
  }
  topology.level = *own_level;

  auto peer_of = [&](const v1::PeerConfig& c, Relation relation,
                     const std::string& field) -> std::optional<Peer> {
    auto code = division::Code::Parse(c.division_code());
    if (!code.ok()) {
      v.Check(field + ".division_code", code.status());
      return std::nullopt;
    }
    Peer peer{relation, *code, c.level(), c.address(), c.name(), {}};
    if (relation == Relation::kPartner) {
      if (c.level() != v1::LEVEL_PARTNER) v.Add(field + ".level", "a partner's level is PARTNER");
      if (code->level() != division::Level::kRegion) {
        v.Add(field + ".division_code", "a partner is named by its province (region) code");
      } else if (code->str() == self.AncestorAt(division::Level::kRegion).str()) {
        v.Add(field + ".division_code", "a partner is another province, not this one");
      }
      for (const std::string& grant : c.grants()) {
        const auto& names = PartnerGrantNames();
        if (std::find(names.begin(), names.end(), grant) == names.end()) {
          v.Add(field + ".grants",
                absl::StrCat("unknown grant \"", grant, "\"; known: ", absl::StrJoin(names, ", ")));
        }
        peer.grants.push_back(grant);
      }
      return peer;
    }
    auto level = InstanceLevelOf(*code);
    if (!level.ok()) {
      v.Check(field + ".division_code", level.status());
      return std::nullopt;
    }
    if (c.level() != *level) {
      v.Add(field + ".level", absl::StrCat("must be ", LevelName(*level), " for ", code->str()));
    }
    if (c.address().empty()) v.Add(field + ".address", "host:port of the peer's TLS listener");
    if (!c.grants().empty()) v.Add(field + ".grants", "only partners carry grants");
    if (relation == Relation::kParent) {
      std::optional<division::Code> own_parent = self.Parent();
      if (!own_parent.has_value() || !(*own_parent == *code)) {
        v.Add(field + ".division_code",
              absl::StrCat(self.str(), " can only be the child of ",
                           own_parent ? own_parent->str() : "(none: a region has no parent)",
                           ", not of ", code->str()));
      }
    } else {
      std::optional<division::Code> child_parent = code->Parent();
      if (!child_parent.has_value() || !(*child_parent == self)) {
        v.Add(field + ".division_code",
              absl::StrCat(code->str(), " is not directly below ", self.str()));
      }
    }
    return peer;
  };

  std::set<std::string> seen;
  auto add = [&](const v1::PeerConfig& c, Relation relation, const std::string& field) {
    std::optional<Peer> peer = peer_of(c, relation, field);
    if (!peer.has_value()) return;
    if (!seen.insert(peer->division.str()).second) {
      v.Add(field + ".division_code", absl::StrCat(peer->division.str(), " is configured twice"));
    }
    topology.peers.push_back(std::move(*peer));
  };
  if (config.has_parent()) add(config.parent(), Relation::kParent, "parent");
  for (int i = 0; i < config.children_size(); ++i) {
    add(config.children(i), Relation::kChild, absl::StrCat("children[", i, "]"));
  }
  for (int i = 0; i < config.partners_size(); ++i) {
    add(config.partners(i), Relation::kPartner, absl::StrCat("partners[", i, "]"));
  }
  if (config.level() == v1::LEVEL_COUNTY && config.children_size() > 0) {
    v.Add("children", "a county instance has no child instances");
  }
  if (config.locked_report_policy() != "" && config.locked_report_policy() != "refuse" &&
      config.locked_report_policy() != "correction") {
    v.Add("locked_report_policy", "must be \"refuse\" or \"correction\"");
  }
  if (!v.ok()) return v.ToStatus();
  return topology;
}

absl::StatusOr<const Peer*> IdentifyPeer(const Topology& topology, const auth::Principal& caller) {
  if (caller.instance_level.empty()) {
    return absl::PermissionDeniedError("peer calls are made by instances, with certificates");
  }
  const std::string who = DescribePeer(caller);
  if (caller.instance_level == "partner") {
    if (const Peer* p = topology.Find(caller.division, Relation::kPartner)) return p;
    return absl::PermissionDeniedError(
        absl::StrCat(who, " is not a partner of ", topology.self.str()));
  }
  for (const Peer& p : topology.peers) {
    if (p.relation != Relation::kPartner && p.division == caller.division) {
      if (p.identity() != who) {
        return absl::PermissionDeniedError(
            absl::StrCat("certificate ", who, " does not match the configured ", p.identity()));
      }
      return &p;
    }
  }
  if (topology.self.IsAncestorOrSelfOf(caller.division)) {
    return absl::PermissionDeniedError(
        absl::StrCat(who, " is not a configured child of ", topology.self.str(),
                     " (a certificate presenting another instance's code)"));
  }
  return absl::PermissionDeniedError(
      absl::StrCat(who, " does not belong to ", topology.self.str(),
                   ": an instance is only ever the child of its own parent division"));
}

absl::Status CheckEnvelopeAllowed(const Peer& peer, const v1::Envelope& envelope) {
  const bool from_child = peer.relation == Relation::kChild;
  const bool from_parent = peer.relation == Relation::kParent;
  bool allowed = false;
  std::string_view kind = "empty";
  switch (envelope.body_case()) {
    case v1::Envelope::kReport:
      kind = "report";
      allowed = from_child && envelope.report().report().division_code() == peer.division.str();
      break;
    case v1::Envelope::kPolicyAck: {
      kind = "policy acknowledgement";
      // For the child itself or an instance below it, never a sibling.
      auto acked = division::Code::Parse(envelope.policy_ack().ack().division_code());
      allowed = from_child && acked.ok() && peer.division.IsAncestorOrSelfOf(*acked);
      break;
    }
    case v1::Envelope::kApproval:
      kind = "approval";
      allowed = from_parent;
      break;
    case v1::Envelope::kPolicy: {
      kind = "policy";
      // Owned by the parent or a level above it: applied here as its owner.
      auto owner = division::Code::Parse(envelope.policy().policy().owner_division_code());
      allowed = from_parent && owner.ok() && owner->IsAncestorOrSelfOf(peer.division);
      break;
    }
    case v1::Envelope::kDirective: {
      kind = "directive";
      const v1::Directive& d = envelope.directive().directive();
      // Issued (or reminded) by the parent for a division inside the
      // receiver; steps come back from the child the directive targets.
      auto target = division::Code::Parse(d.target_division_code());
      allowed = (from_parent && d.issuer_division_code() == peer.division.str()) ||
                (from_child && target.ok() && peer.division.IsAncestorOrSelfOf(*target));
      break;
    }
    case v1::Envelope::kEscalation: {
      kind = "escalation";
      const v1::Escalation& e = envelope.escalation().escalation();
      // Raised by the child itself about a division inside it (a sibling's
      // would be filed here under the sibling); decided by the parent on one
      // of ours.
      auto subject = division::Code::Parse(e.subject_division_code());
      allowed = (from_child && e.raiser_division_code() == peer.division.str() && subject.ok() &&
                 peer.division.IsAncestorOrSelfOf(*subject) &&
                 e.status() == v1::ESCALATION_STATUS_RAISED) ||
                (from_parent && e.status() != v1::ESCALATION_STATUS_RAISED);
      break;
    }
    case v1::Envelope::BODY_NOT_SET:
      break;
  }
  if (allowed) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("a ", RelationName(peer.relation), " (",
                                                  peer.identity(), ") may not send this ",
                                                  AsAbsl(kind), " (seq ", envelope.seq(), ")"));
}

absl::Status ValidateEnvelope(const v1::Envelope& e, int index) {
  errors::Validator v;
  const std::string at = absl::StrCat("envelopes[", index, "].");
  switch (e.body_case()) {
    case v1::Envelope::kReport:
      v.Check(at + "report.report.period", ParsePeriod(e.report().report().period()).status());
      if (e.report().report().revision() < 1) v.Add(at + "report.report.revision", "must be >= 1");
      break;
    case v1::Envelope::kApproval:
      v.Check(at + "approval.period", ParsePeriod(e.approval().period()).status());
      break;
    case v1::Envelope::kPolicy:
      if (e.policy().policy().version().empty()) v.Add(at + "policy.policy.version", "is required");
      break;
    case v1::Envelope::kPolicyAck:
      if (e.policy_ack().version().empty()) v.Add(at + "policy_ack.version", "is required");
      break;
    case v1::Envelope::kDirective: {
      const v1::Directive& d = e.directive().directive();
      v.CheckId(at + "directive.directive.directive_id", d.directive_id(), "dr");
      if (!time::ParseDate(d.deadline()).has_value()) {
        v.Add(at + "directive.directive.deadline", "must be a date YYYY-MM-DD");
      }
      break;
    }
    case v1::Envelope::kEscalation:
      v.CheckId(at + "escalation.escalation.escalation_id",
                e.escalation().escalation().escalation_id(), "es");
      break;
    case v1::Envelope::BODY_NOT_SET:
      v.Add(at + "body", "is empty");
      break;
  }
  return v.ToStatus();
}

bool IsDirectiveStep(v1::DirectiveStatus from, v1::DirectiveStatus to) {
  for (auto step :
       {v1::DIRECTIVE_STEP_ACKNOWLEDGE, v1::DIRECTIVE_STEP_START, v1::DIRECTIVE_STEP_COMPLETE}) {
    auto next = AdvanceDirective(from, step);
    if (next.ok() && *next == to) return true;
  }
  return false;
}

std::vector<int> EnvelopesToApply(int64_t last_applied, const v1::DeliverRequest& request) {
  std::vector<int> out;
  int64_t next = last_applied + 1;
  for (int i = 0; i < request.envelopes_size(); ++i) {
    int64_t seq = request.envelopes(i).seq();
    if (seq < next) continue;  // a duplicate of one already applied
    if (seq != next) break;    // a gap: the sender resends from `next`
    out.push_back(i);
    ++next;
  }
  return out;
}

absl::StatusOr<absl::CivilMonth> ParsePeriod(std::string_view text) {
  auto month = time::ParseMonth(text);
  if (!month.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", AsAbsl(text), "\" is not a month YYYY-MM"));
  }
  return *month;
}

Rollup SumRollups(const std::vector<const Rollup*>& parts, const std::string& division) {
  Rollup out;
  out.set_division_code(division);
  std::map<std::string, int64_t> by_state, by_type, by_risk, eliminated_by_type;
  std::map<std::string, int64_t> counters;
  double income_weighted = 0, growth_weighted = 0;
  for (const Rollup* r : parts) {
    out.set_households(out.households() + r->households());
    out.set_members(out.members() + r->members());
    out.set_lifted_households(out.lifted_households() + r->lifted_households());
    out.set_ordinary_households(out.ordinary_households() + r->ordinary_households());
    out.set_relocated_households(out.relocated_households() + r->relocated_households());
    AddColours(*out.mutable_household_colours(), r->household_colours());
    AddNamed(by_state, r->objects_by_state());
    out.set_monitored_objects(out.monitored_objects() + r->monitored_objects());
    AddNamed(by_type, r->monitored_by_type());
    AddColours(*out.mutable_monitored_colours(), r->monitored_colours());
    AddNamed(by_risk, r->monitored_by_risk_type());
    out.set_eliminated_objects(out.eliminated_objects() + r->eliminated_objects());
    AddNamed(eliminated_by_type, r->eliminated_by_type());
    out.set_assessed_households(out.assessed_households() + r->assessed_households());
    income_weighted += static_cast<double>(r->mean_per_capita_net_income_fen()) *
                       static_cast<double>(r->assessed_households());
    out.set_lifted_compared(out.lifted_compared() + r->lifted_compared());
    out.set_lifted_income_fell(out.lifted_income_fell() + r->lifted_income_fell());
    out.set_compared_households(out.compared_households() + r->compared_households());
    growth_weighted += static_cast<double>(r->income_growth_permille()) *
                       static_cast<double>(r->compared_households());
    for (const auto& [name, value] : r->counters()) counters[name] += value;
    if (out.as_of().empty() || r->as_of() < out.as_of()) out.set_as_of(r->as_of());
  }
  SetNamed(out.mutable_objects_by_state(), by_state);
  SetNamed(out.mutable_monitored_by_type(), by_type);
  SetNamed(out.mutable_monitored_by_risk_type(), by_risk);
  SetNamed(out.mutable_eliminated_by_type(), eliminated_by_type);
  if (out.assessed_households() > 0) {
    out.set_mean_per_capita_net_income_fen(static_cast<int64_t>(
        std::llround(income_weighted / static_cast<double>(out.assessed_households()))));
  }
  if (out.compared_households() > 0) {
    out.set_income_growth_permille(static_cast<int64_t>(
        std::llround(growth_weighted / static_cast<double>(out.compared_households()))));
  }
  if (out.lifted_compared() > 0) {
    out.set_lifted_income_fell_permille(
        static_cast<int32_t>(out.lifted_income_fell() * 1000 / out.lifted_compared()));
  }
  // A median is not additive: the aggregate leaves it unset (0) rather than
  // invent one; the children's reports carry theirs.
  for (const auto& [name, value] : counters) (*out.mutable_counters())[name] = value;
  return out;
}

std::vector<std::string> MissingChildren(const Topology& topology,
                                         const std::vector<std::string>& reported) {
  std::vector<std::string> missing;
  for (const Peer* child : topology.children()) {
    if (std::find(reported.begin(), reported.end(), child->division.str()) == reported.end()) {
      missing.push_back(child->division.str());
    }
  }
  return missing;
}

absl::StatusOr<v1::DirectiveStatus> AdvanceDirective(v1::DirectiveStatus current,
                                                     v1::DirectiveStep step) {
  const bool open =
      current == v1::DIRECTIVE_STATUS_ISSUED || current == v1::DIRECTIVE_STATUS_ACKNOWLEDGED ||
      current == v1::DIRECTIVE_STATUS_IN_PROGRESS || current == v1::DIRECTIVE_STATUS_OVERDUE;
  if (!open) {
    return absl::FailedPreconditionError(
        absl::StrCat("the directive is ", v1::DirectiveStatus_Name(current), ": no further step"));
  }
  switch (step) {
    case v1::DIRECTIVE_STEP_ACKNOWLEDGE:
      if (current == v1::DIRECTIVE_STATUS_ISSUED || current == v1::DIRECTIVE_STATUS_OVERDUE) {
        return current == v1::DIRECTIVE_STATUS_OVERDUE ? v1::DIRECTIVE_STATUS_OVERDUE
                                                       : v1::DIRECTIVE_STATUS_ACKNOWLEDGED;
      }
      return absl::FailedPreconditionError("the directive was already acknowledged");
    case v1::DIRECTIVE_STEP_START:
      if (current == v1::DIRECTIVE_STATUS_ISSUED) {
        return absl::FailedPreconditionError("acknowledge the directive before starting it");
      }
      if (current == v1::DIRECTIVE_STATUS_IN_PROGRESS) {
        return absl::FailedPreconditionError("the directive is already in progress");
      }
      return current == v1::DIRECTIVE_STATUS_OVERDUE ? v1::DIRECTIVE_STATUS_OVERDUE
                                                     : v1::DIRECTIVE_STATUS_IN_PROGRESS;
    case v1::DIRECTIVE_STEP_COMPLETE:
      if (current == v1::DIRECTIVE_STATUS_ISSUED) {
        return absl::FailedPreconditionError("acknowledge the directive before completing it");
      }
      return v1::DIRECTIVE_STATUS_COMPLETED;
    default:
      return absl::InvalidArgumentError("step must be ACKNOWLEDGE, START or COMPLETE");
  }
}

bool IsOverdue(const v1::Directive& directive, absl::CivilDay today) {
  if (directive.status() == v1::DIRECTIVE_STATUS_COMPLETED ||
      directive.status() == v1::DIRECTIVE_STATUS_OVERDUE) {
    return false;
  }
  auto deadline = time::ParseDate(directive.deadline());
  return deadline.has_value() && today > *deadline;
}

const std::vector<std::string>& EscalationKinds() {
  static const std::vector<std::string> kKinds = {"scale_warning", "asset_disposal", "other"};
  return kKinds;
}

absl::Status CheckEscalationDecision(v1::EscalationStatus current, v1::EscalationStatus decision) {
  if (decision != v1::ESCALATION_STATUS_APPROVED && decision != v1::ESCALATION_STATUS_REJECTED &&
      decision != v1::ESCALATION_STATUS_NOTED) {
    return absl::InvalidArgumentError("decision must be APPROVED, REJECTED or NOTED");
  }
  if (current != v1::ESCALATION_STATUS_RAISED) {
    return absl::FailedPreconditionError(absl::StrCat("the escalation was already decided (",
                                                      v1::EscalationStatus_Name(current), ")"));
  }
  return absl::OkStatus();
}

absl::Duration Backoff(int attempt, absl::Duration initial, absl::Duration max, double jitter) {
  absl::Duration delay = initial;
  for (int i = 1; i < attempt && delay < max; ++i) delay *= 2;
  delay = std::min(delay, max);
  return delay * std::clamp(jitter, 0.5, 1.0);
}

}  // namespace zx::federation
