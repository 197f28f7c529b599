// The authorization matrix (issue 8): every RPC of every service called as
// every role, inside and outside its jurisdiction, judged against the
// permission table (common/auth/permissions.cc).
//
// Requests are protobuf text format with ${NAME} placeholders: values that
// seed steps captured from earlier responses, and ${RID}, a fresh request id
// per call. The same request goes to every principal, so a call that fails
// validation fails it for everybody — the test refuses INVALID_ARGUMENT from
// an allowed caller, so every request here must be valid.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace zx::security {

// A call made once, as a county official of the home county, before the
// matrix; `captures` maps a placeholder name to a field path of the response
// ("household.household_id", "persons[0].person_id").
struct SeedStep {
  std::string rpc;  // "/zx.monitoring.v1.MonitoringService/CreateHousehold"
  std::string request;
  std::map<std::string, std::string> captures;
  std::string token = "";  // empty: the home county official
};

// A seed step with this rpc moves the lifecycle's clock on by `request` days.
inline constexpr char kAdvanceDays[] = "@advance_days";

// One row of the matrix: the RPC, the table action its handler decides by,
// and a request valid for a caller who holds the action.
struct MatrixCase {
  std::string rpc;
  std::string action;
  std::string request;
  // Where the resource the call touches lies: decides "inside" (default: the
  // home village, where every seeded household lives).
  std::string division = "";
  // For bulk RPCs that refuse row by row: a refusal shows as this text in
  // the answer rather than as the call's status.
  std::string denied_marker = "";
  // Answers that must never carry personal data, whoever asks (publicity,
  // RULES M7b): scanned for every caller, privileged or not.
  bool never_personal = false;
  // A placeholder whose value some allowed answer must contain, so the scan
  // of this case is known to have looked at real data.
  std::string shows = "";
  // Answered only to instance certificates (federation PeerService): every
  // token caller must be refused, whatever the table grants its role.
  bool certificate_only = false;
};

// Places of the home jurisdiction; the resources all lie in kVillage.
inline constexpr char kRegion[] = "650000000000";
inline constexpr char kPrefecture[] = "653100000000";  // Kashgar
inline constexpr char kCounty[] = "653121000000";      // Shufu
inline constexpr char kTownship[] = "653121101000";
inline constexpr char kVillage[] = "653121101201";

// Seeded personal data every response is scanned for.
inline constexpr char kSeededIdNumber[] = "653121199003150023";
inline constexpr char kSeededName[] = "阿依古丽·吐尔逊";

// Per service: seed steps (run in order: monitoring, assets, employment,
// consumption), then the cases. Every RPC of the service must appear in at least one case.
std::vector<SeedStep> MonitoringSeeds();
std::vector<MatrixCase> MonitoringCases();
std::vector<SeedStep> AssetsSeeds();
std::vector<MatrixCase> AssetsCases();
std::vector<SeedStep> EmploymentSeeds();
std::vector<MatrixCase> EmploymentCases();
std::vector<SeedStep> ConsumptionSeeds();
std::vector<MatrixCase> ConsumptionCases();
// No seed steps: the received directive and escalation it needs are
// inserted by SetUp.
std::vector<MatrixCase> FederationCases();
extern const std::string kSeededDirectiveId;
extern const std::string kSeededEscalationId;

}  // namespace zx::security
