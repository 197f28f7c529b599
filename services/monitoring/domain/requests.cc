#include "services/monitoring/domain/requests.h"

#include <cstddef>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/strings.h"
#include "common/time/time.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/domain/lifecycle_proto.h"

namespace zx::monitoring {
namespace {

namespace lc = lifecycle;

// Code points, not bytes: officials write Chinese.
std::size_t Utf8Length(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

void CheckText(errors::Validator& v, const std::string& field, const std::string& text,
               std::string_view what) {
  if (absl::StripAsciiWhitespace(text).empty()) {
    v.Add(field, absl::StrCat("is required: ", AsAbsl(what)));
  } else if (Utf8Length(text) > kMaxTextChars) {
    v.Add(field, absl::StrCat("must be at most ", kMaxTextChars, " characters"));
  }
}

void CheckHouseholdId(errors::Validator& v, const std::string& id) {
  if (!IsHouseholdId(id)) v.Add("household_id", "must look like hh- and 20 hex digits");
}

void CheckTimestamp(errors::Validator& v, const std::string& field,
                    const google::protobuf::Timestamp& t) {
  // The range a Timestamp may hold (RFC 3339 years 1–9999), valid nanos.
  if (t.seconds() < -62135596800 || t.seconds() > 253402300799 || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    v.Add(field, "is not a valid timestamp");
  }
}

bool IsDecisionStep(lc::ActionKind kind) {
  return kind == lc::ActionKind::kTownshipReview || kind == lc::ActionKind::kCountyConfirm ||
         kind == lc::ActionKind::kConfirmElimination;
}

}  // namespace

// The name of the RPC that takes `kind`, for idempotency keys.
std::string_view RpcName(lc::ActionKind kind) {
  switch (kind) {
    case lc::ActionKind::kRecordHomeVerification:
      return "RecordHomeVerification";
    case lc::ActionKind::kRecordDataComparison:
      return "RecordDataComparison";
    case lc::ActionKind::kVillageAssess:
      return "VillageAssess";
    case lc::ActionKind::kStartPublicity:
      return "StartPublicity";
    case lc::ActionKind::kRecordObjection:
      return "RecordObjection";
    case lc::ActionKind::kResolveObjection:
      return "ResolveObjection";
    case lc::ActionKind::kEndPublicity:
      return "EndPublicity";
    case lc::ActionKind::kTownshipReview:
      return "TownshipReview";
    case lc::ActionKind::kCountyConfirm:
      return "CountyConfirm";
    case lc::ActionKind::kAddPlan:
      return "AddPlan";
    case lc::ActionKind::kProposeElimination:
      return "ProposeElimination";
    case lc::ActionKind::kConfirmElimination:
      return "ConfirmElimination";
    case lc::ActionKind::kScheduleFollowUp:
      return "ScheduleFollowUp";
    case lc::ActionKind::kRecordFollowUp:
      return "RecordFollowUp";
    case lc::ActionKind::kReject:
      return "RejectStep";
    case lc::ActionKind::kCloseNoRisk:
      return "CloseClue";
  }
  return "Unknown";
}

// Every field the RPC reads is well formed, and every field it does not read
// is unset, so nothing a caller sends is silently ignored.
void ValidateTransition(lc::ActionKind kind, const v1::TransitionRequest& r, absl::Time now,
                        errors::Validator& v) {
  const std::string rpc(RpcName(kind));
  const auto unread = [&](const std::string& field) {
    v.Add(field, absl::StrCat("is not read by ", rpc, "; leave it unset"));
  };
  CheckHouseholdId(v, r.household_id());
  CheckText(v, "reason", r.reason(),
            kind == lc::ActionKind::kRecordObjection
                ? "the objection as raised"
                : "the basis of the step as the official states it");

  if (IsDecisionStep(kind)) {
    if (r.decision() == v1::DECISION_UNSPECIFIED) {
      v.Add("decision", "is required: DECISION_APPROVE or DECISION_REJECT");
    } else if (!v1::Decision_IsValid(r.decision())) {
      v.Add("decision", "is not a known decision");
    }
  } else if (r.decision() != v1::DECISION_UNSPECIFIED) {
    unread("decision");
  }

  if (kind != lc::ActionKind::kRecordHomeVerification && r.household_consent()) {
    unread("household_consent");
  }

  const bool confirming =
      kind == lc::ActionKind::kCountyConfirm && r.decision() == v1::DECISION_APPROVE;
  if (confirming) {
    if (r.object_type() == v1::MONITORING_OBJECT_TYPE_UNSPECIFIED) {
      v.Add("object_type",
            "is required on approval: UNSTABLE_LIFTED (脱贫不稳定户), MARGINAL_AT_RISK "
            "(边缘易致贫户) or SUDDEN_HARDSHIP (突发严重困难户)");
    } else if (!FromProto(r.object_type())) {
      v.Add("object_type", "is not a known monitoring-object type");
    }
    if (r.risk_types().empty()) {
      v.Add("risk_types", "needs at least one risk type (风险类型, RULES M8) on approval");
    }
    // Checked pairwise below: a cap keeps that cheap.
    v.CheckCount("risk_types", r.risk_types_size(), kMaxRiskTypes);
    for (int i = 0; i < r.risk_types_size() && i < kMaxRiskTypes; ++i) {
      const auto risk = static_cast<v1::RiskType>(r.risk_types(i));
      const std::string field = absl::StrCat("risk_types[", i, "]");
      if (!FromProto(risk)) {
        v.Add(field, "is not a known risk type");
        continue;
      }
      for (int j = 0; j < i; ++j) {
        if (r.risk_types(j) == r.risk_types(i)) {
          v.Add(field, absl::StrCat("repeats risk_types[", j, "]"));
          break;
        }
      }
    }
  } else {
    const std::string when = kind == lc::ActionKind::kCountyConfirm ? " with DECISION_REJECT" : "";
    if (r.object_type() != v1::MONITORING_OBJECT_TYPE_UNSPECIFIED) {
      v.Add("object_type", absl::StrCat("is not read by ", rpc, AsAbsl(when), "; leave it unset"));
    }
    if (!r.risk_types().empty()) {
      v.Add("risk_types", absl::StrCat("is not read by ", rpc, AsAbsl(when), "; leave it unset"));
    }
  }

  if (kind == lc::ActionKind::kResolveObjection) {
    if (r.objection_id() < 1) v.Add("objection_id", "is required: the objection's id (from 1)");
    if (r.objection_outcome() == v1::OBJECTION_OUTCOME_UNSPECIFIED) {
      v.Add("objection_outcome", "is required: OBJECTION_OUTCOME_UPHELD or _DISMISSED");
    } else if (!v1::ObjectionOutcome_IsValid(r.objection_outcome())) {
      v.Add("objection_outcome", "is not a known outcome");
    }
  } else {
    if (r.objection_id() != 0) unread("objection_id");
    if (r.objection_outcome() != v1::OBJECTION_OUTCOME_UNSPECIFIED) unread("objection_outcome");
  }

  if (kind == lc::ActionKind::kScheduleFollowUp) {
    if (r.has_follow_up_due()) {
      CheckTimestamp(v, "follow_up_due", r.follow_up_due());
      if (time::FromProto(r.follow_up_due()) <= now) {
        v.Add("follow_up_due", "must lie in the future");
      }
    }
  } else if (r.has_follow_up_due()) {
    unread("follow_up_due");
  }

  if (kind == lc::ActionKind::kRecordFollowUp) {
    if (r.follow_up_outcome() == v1::FOLLOW_UP_OUTCOME_UNSPECIFIED) {
      v.Add("follow_up_outcome",
            "is required: FOLLOW_UP_OUTCOME_RISK_STILL_ELIMINATED or _RISK_RETURNED");
    } else if (!v1::FollowUpOutcome_IsValid(r.follow_up_outcome())) {
      v.Add("follow_up_outcome", "is not a known outcome");
    }
  } else if (r.follow_up_outcome() != v1::FOLLOW_UP_OUTCOME_UNSPECIFIED) {
    unread("follow_up_outcome");
  }
}

void Validate(const v1::RaiseClueRequest& req, absl::Time now, errors::Validator& v) {
  CheckHouseholdId(v, req.household_id());
  if (req.way() == v1::CLUE_WAY_UNSPECIFIED) {
    v.Add("way", "is required: how the clue came in (RULES M6)");
  } else if (!v1::ClueWay_IsValid(req.way())) {
    v.Add("way", "is not a known way in");
  }
  CheckText(v, "description", req.description(), "what was found");
  if (req.has_found_at()) {
    CheckTimestamp(v, "found_at", req.found_at());
    if (time::FromProto(req.found_at()) > now) {
      v.Add("found_at", "must not lie in the future");
    }
  }
}

void Validate(const v1::AddAssistanceMeasureRequest& req, errors::Validator& v) {
  const v1::AssistanceMeasure& m = req.measure();
  if (!m.measure_id().empty()) v.Add("measure.measure_id", "is assigned by the server");
  if (!m.object_id().empty()) v.Add("measure.object_id", "is the household's open object");
  CheckHouseholdId(v, m.household_id());
  if (!v1::MeasureKind_IsValid(m.kind()) || m.kind() == v1::MEASURE_KIND_UNSPECIFIED) {
    v.Add("measure.kind",
          "must be one of INDUSTRY, EMPLOYMENT, PUBLIC_WELFARE_POST, MEDICAL, "
          "EDUCATION, SOCIAL_SECURITY_FLOOR, INSURANCE, CREDIT, OTHER");
  }
  CheckText(v, "measure.description", m.description(), "what the measure does");
  if (m.linked_record_id().size() > 100) {
    v.Add("measure.linked_record_id", "must be at most 100 characters");
  }
  if (m.has_added()) v.Add("measure.added", "is set by the server");
}

void Validate(const v1::CreateHouseholdRequest& req, const division::Code& instance,
              errors::Validator& v) {
  if (!req.has_household()) {
    v.Add("household", "is required");
  } else {
    ValidateNewHousehold(req.household(), instance, "household.", v);
  }
}

}  // namespace zx::monitoring
