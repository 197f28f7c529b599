// The federation service's rows of the authorization matrix. The matrix's
// federation instance is the prefecture (Kashgar) with the home county as its
// child and the region as its parent (both unreachable: what they are sent
// waits in the outbox). A directive received from the region about the home
// village is seeded in SetUp ("dr-" + 20 "0a"), since only a parent can send
// one; likewise an escalation received from the home county
// ("es-" + 20 "0a"). PeerService answers instance certificates only: every token caller is
// refused there, whatever the table grants the role an instance carries.
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/security/matrix.h"

namespace zx::security {

const std::string kSeededDirectiveId = "dr-0a0a0a0a0a0a0a0a0a0a";
const std::string kSeededEscalationId = "es-0a0a0a0a0a0a0a0a0a0a";

std::vector<MatrixCase> FederationCases() {
  const std::string fed = "/zx.federation.v1.FederationService/";
  const std::string peer = "/zx.federation.v1.PeerService/";
  const std::string p = kPrefecture;
  const std::string period = "period: '2026-11'";
  std::vector<MatrixCase> cases = {
      {fed + "GetFederationStatus", "federation.status.get", "", p},
      {fed + "BuildReport", "federation.report.build", period, p},
      // No parent reachable is fine: the submission waits in the outbox.
      {fed + "SubmitReport", "federation.report.submit",
       absl::StrCat("request_id: '${RID}' ", period), p},
      {fed + "GetChildrenReport", "federation.report.children", period, p},
      // The child has not reported: FAILED_PRECONDITION for the allowed.
      {fed + "ApprovePeriod", "federation.report.approve",
       absl::StrCat("request_id: '${RID}' ", period), p},
      {fed + "UnapprovePeriod", "federation.report.unapprove",
       absl::StrCat("request_id: '${RID}' ", period, " reason: 'recount'"), p},
      // The first allowed caller publishes; the others find the version taken.
      {fed + "PublishPolicy", "federation.policy.publish",
       absl::StrCat("request_id: '${RID}' policy { version: 'kashgar-matrix-1' "
                    "owner_division_code: '",
                    p,
                    "' year: 2026 effective_from: '2026-03-01' "
                    "monitoring_line_fen: 600000 }"),
       p},
      {fed + "GetPolicyRelease", "federation.policy.get",
       absl::StrCat("owner_division_code: '", p, "' version: 'kashgar-matrix-1'"), p},
      {fed + "IssueDirective", "federation.directive.issue",
       absl::StrCat("request_id: '${RID}' target_division_code: '", kVillage,
                    "' subject: 'verify_households' title: '核实' deadline: '2026-12-31'"),
       kVillage},
      // The first allowed caller acknowledges; the others find it acknowledged.
      {fed + "AdvanceDirective", "federation.directive.advance",
       absl::StrCat("request_id: '${RID}' directive_id: '", kSeededDirectiveId,
                    "' step: DIRECTIVE_STEP_ACKNOWLEDGE"),
       kVillage},
      {fed + "GetDirective", "federation.directive.get",
       absl::StrCat("directive_id: '", kSeededDirectiveId, "'"), kVillage},
      {fed + "ListDirectives", "federation.directive.list", "direction: 'received'", p},
      // Goes to the (unreachable) region's queue.
      {fed + "RaiseEscalation", "federation.escalation.raise",
       absl::StrCat("request_id: '${RID}' kind: 'asset_disposal' subject_division_code: '",
                    kVillage, "' title: '报废抽水泵' amount_fen: 5000000"),
       kVillage},
      // Received from the home county; the first allowed caller decides it,
      // the others find it decided (FAILED_PRECONDITION, still allowed).
      {fed + "DecideEscalation", "federation.escalation.decide",
       absl::StrCat("request_id: '${RID}' escalation_id: '", kSeededEscalationId,
                    "' decision: ESCALATION_STATUS_APPROVED"),
       kVillage},
      {fed + "ListEscalations", "federation.escalation.list", "direction: 'received'", p},
      // The child is unreachable: UNAVAILABLE for the allowed.
      {fed + "DrillDownHouseholds", "federation.drilldown.households",
       absl::StrCat("division_code: '", kCounty, "'"), kCounty},
  };
  MatrixCase deliver{peer + "Deliver", "federation.peer.deliver", "", p};
  deliver.certificate_only = true;
  MatrixCase households{peer + "ListHouseholds", "federation.peer.households",
                        absl::StrCat("acting_user_id: 'x' acting_role: 'prefecture_official' "
                                     "acting_division_code: '",
                                     p, "' request { division_code: '", kCounty, "' }"),
                        kCounty};
  households.certificate_only = true;
  MatrixCase agreed{peer + "GetAgreedReport", "federation.peer.report", period, p};
  agreed.certificate_only = true;
  cases.push_back(deliver);
  cases.push_back(households);
  cases.push_back(agreed);
  // Partner operations: certificates of configured partners only.
  for (const auto& [rpc, action] : std::vector<std::pair<std::string, std::string>>{
           {"PartnerUpsertEmployer", "federation.partner.employer"},
           {"PartnerUpsertJob", "federation.partner.job"},
           {"PartnerUpsertBuyer", "federation.partner.buyer"},
           {"PartnerSubmitOrder", "federation.partner.order"},
           {"PartnerGetOrder", "federation.partner.order_get"}}) {
    MatrixCase partner{peer + rpc, action, "", p};
    partner.certificate_only = true;
    cases.push_back(partner);
  }
  return cases;
}

}  // namespace zx::security
