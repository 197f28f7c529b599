// The permission table: every RPC of every service, the action its handler
// authorizes, and the roles that hold it. Reviewed like code: a server with
// an RPC missing here refuses to start (CheckEveryRpcIsDeclared), and the
// authorization matrix test (tests/integration/authz_matrix_pgtest.cc) calls
// every RPC as every role and compares the outcome with this table.
//
// Grantees: role names (auth.cc), "department:<kind>", "department:*".
// Jurisdiction is checked separately: the principal's division must be an
// ancestor-or-self of the resource's. Partners hold only what a buyer of
// another province needs (their buyer record and orders, consumption), each
// within their own province's jurisdiction and, for orders, a partnership
// granted for the products' origin; anything more reaches the services
// through the federation gateway's grants.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/auth.h"
#include "google/protobuf/descriptor.h"

namespace zx::auth {
namespace {

using G = std::vector<std::string_view>;

// Role groups, named for what they are in a county's administration.
#define ZX_LOCAL "village_cadre", "township_official", "county_official"
#define ZX_SUPERVISORS "prefecture_official", "region_official"
// Everyone who may read registries and reports (personal data stays masked
// for those without the privilege, HoldsPersonalDataPrivilege).
#define ZX_READERS ZX_LOCAL, "department:*", ZX_SUPERVISORS, "auditor"
#define ZX_POLICY_MAKERS "county_official", ZX_SUPERVISORS

constexpr std::string_view kMon = "/zx.monitoring.v1.MonitoringService/";
constexpr std::string_view kObj = "/zx.monitoring.v1.MonitoringObjectService/";
constexpr std::string_view kAlert = "/zx.monitoring.v1.AlertService/";
constexpr std::string_view kCredit = "/zx.monitoring.v1.CreditService/";
constexpr std::string_view kAssets = "/zx.assets.v1.AssetsService/";
constexpr std::string_view kEmp = "/zx.employment.v1.EmploymentService/";
constexpr std::string_view kCon = "/zx.consumption.v1.ConsumptionService/";
constexpr std::string_view kFed = "/zx.federation.v1.FederationService/";
constexpr std::string_view kPeer = "/zx.federation.v1.PeerService/";

struct Row {
  std::string_view service;
  std::string_view method;
  std::string_view action;
  Access access;
  G grantees;
};

const std::vector<Row>& Rows() {
  using A = Access;
  static const auto* rows = new std::vector<Row>{
      {"/zx.common.v1.ServiceInfo/",
       "GetServiceInfo",
       "service.info.get",
       A::kOperate,
       {ZX_READERS, "partner", "operator"}},

      // ---- every service's audit log (§17): supervisors and auditors read
      // it; an operator may check the chain, which carries no entry's data.
      {"/zx.common.v1.AuditService/",
       "VerifyAuditChain",
       "audit.chain.verify",
       A::kRead,
       {"county_official", ZX_SUPERVISORS, "auditor", "operator"}},
      {"/zx.common.v1.AuditService/",
       "ListAuditEntries",
       "audit.entry.list",
       A::kRead,
       {"county_official", ZX_SUPERVISORS, "auditor"}},
      {"/zx.common.v1.AuditService/",
       "ExportAuditEntries",
       "audit.entry.export",
       A::kRead,
       {ZX_SUPERVISORS, "auditor"}},

      // ---- monitoring: registry ------------------------------------------
      {kMon, "CreateHousehold", "monitoring.household.create", A::kWrite, {ZX_LOCAL}},
      {kMon, "GetHousehold", "monitoring.household.get", A::kRead, {ZX_READERS}},
      {kMon, "ListHouseholds", "monitoring.household.list", A::kRead, {ZX_READERS}},
      {kMon, "UpdateHousehold", "monitoring.household.update", A::kWrite, {ZX_LOCAL}},
      {kMon, "AddPerson", "monitoring.person.add", A::kWrite, {ZX_LOCAL}},
      {kMon, "ListPersons", "monitoring.person.list", A::kRead, {ZX_READERS}},
      {kMon, "UpdatePerson", "monitoring.person.update", A::kWrite, {ZX_LOCAL}},
      // Departments supply records: human resources wages, medical insurance
      // spending, civil affairs transfers, agriculture production costs.
      {kMon, "RecordIncome", "monitoring.record.write", A::kWrite, {ZX_LOCAL, "department:*"}},
      {kMon, "RecordExpense", "monitoring.record.write", A::kWrite, {ZX_LOCAL, "department:*"}},
      // 突发事件: village and township staff report them; civil affairs,
      // medical insurance and emergency management departments too.
      {kMon, "RecordSuddenEvent", "monitoring.record.write", A::kWrite, {ZX_LOCAL, "department:*"}},
      // 三保障 + water: each by the department that answers for it.
      {kMon,
       "SetGuarantees",
       "monitoring.guarantees.set",
       A::kWrite,
       {ZX_LOCAL, "department:education", "department:medical_insurance", "department:housing",
        "department:water", "department:civil_affairs"}},
      {kMon, "PublishPolicy", "monitoring.policy.publish", A::kWrite, {ZX_POLICY_MAKERS}},
      {kMon, "GetEffectivePolicy", "monitoring.policy.get", A::kRead, {ZX_READERS}},
      {kMon, "AssessHousehold", "monitoring.assessment.run", A::kWrite, {ZX_LOCAL}},
      {kMon, "ExplainAssessment", "monitoring.assessment.explain", A::kRead, {ZX_READERS}},
      // A township may re-assess its own households on request.
      {kMon,
       "ReassessAll",
       "monitoring.reassess.run",
       A::kWrite,
       {"township_official", ZX_POLICY_MAKERS}},
      {kMon, "GetReassessmentJob", "monitoring.reassess.get", A::kRead, {ZX_READERS}},
      {kMon, "GetRollup", "monitoring.rollup.get", A::kRead, {ZX_READERS}},
      {kMon, "VerifyRollup", "monitoring.rollup.verify", A::kRead, {ZX_READERS}},
      {kMon, "IngestSurvey", "monitoring.survey.ingest", A::kWrite, {ZX_LOCAL, "department:*"}},
      {kMon, "ImportHouseholds", "monitoring.household.import", A::kWrite, {ZX_LOCAL}},

      // ---- monitoring: the object's life (RULES M6-M10) --------------------
      // Who takes each step mirrors the lifecycle's own level rules
      // (services/monitoring/domain/lifecycle.cc), which then also check the
      // level of the caller's division.
      {kObj, "RaiseClue", "monitoring.clue.raise", A::kWrite, {ZX_LOCAL, "department:*"}},
      {kObj,
       "RecordHomeVerification",
       "monitoring.object.record_home_verification",
       A::kWrite,
       {ZX_LOCAL}},
      {kObj,
       "RecordDataComparison",
       "monitoring.object.record_data_comparison",
       A::kWrite,
       {"county_official", "department:*"}},
      {kObj, "VillageAssess", "monitoring.object.village_assess", A::kWrite, {ZX_LOCAL}},
      {kObj, "StartPublicity", "monitoring.object.start_publicity", A::kWrite, {ZX_LOCAL}},
      {kObj, "RecordObjection", "monitoring.object.record_objection", A::kWrite, {ZX_LOCAL}},
      {kObj, "ResolveObjection", "monitoring.object.resolve_objection", A::kWrite, {ZX_LOCAL}},
      {kObj, "EndPublicity", "monitoring.object.end_publicity", A::kWrite, {ZX_LOCAL}},
      {kObj,
       "TownshipReview",
       "monitoring.object.township_review",
       A::kWrite,
       {"township_official"}},
      {kObj, "CountyConfirm", "monitoring.object.county_confirm", A::kWrite, {"county_official"}},
      {kObj, "ProposeElimination", "monitoring.object.propose_elimination", A::kWrite, {ZX_LOCAL}},
      {kObj,
       "ConfirmElimination",
       "monitoring.object.confirm_elimination",
       A::kWrite,
       {"county_official"}},
      {kObj,
       "ScheduleFollowUp",
       "monitoring.object.schedule_follow_up",
       A::kWrite,
       {"township_official", "county_official"}},
      {kObj, "RecordFollowUp", "monitoring.object.record_follow_up", A::kWrite, {ZX_LOCAL}},
      // Which level may reject depends on the step rejected; the lifecycle
      // decides that from the object's state.
      {kObj, "RejectStep", "monitoring.object.reject_step", A::kWrite, {ZX_LOCAL}},
      {kObj,
       "CloseClue",
       "monitoring.object.close_clue",
       A::kWrite,
       {"township_official", "county_official"}},
      {kObj,
       "AddAssistanceMeasure",
       "monitoring.object.add_assistance_measure",
       A::kWrite,
       {ZX_LOCAL}},
      {kObj, "GetMonitoringObject", "monitoring.object.get", A::kRead, {ZX_READERS}},
      {kObj, "GetHouseholdHistory", "monitoring.history.get", A::kRead, {ZX_READERS}},
      // The publicity list is posted in the village (RULES M7b): the levels
      // that post it export it; it never carries ID numbers.
      {kObj, "ExportPublicity", "monitoring.publicity.export", A::kRead, {ZX_LOCAL}},

      {kAlert, "ListAlerts", "monitoring.alert.list", A::kRead, {ZX_READERS}},
      {kAlert, "WatchAlerts", "monitoring.alert.watch", A::kRead, {ZX_READERS}},
      {kCredit, "AddCreditMeasure", "monitoring.credit.write", A::kWrite, {ZX_LOCAL}},
      {kCredit, "RecordRepayment", "monitoring.credit.write", A::kWrite, {ZX_LOCAL}},
      {kCredit, "GetCreditPlan", "monitoring.credit.get", A::kRead, {ZX_READERS}},

      // ---- assets (RULES A1-A7) --------------------------------------------
      // The rural revitalisation bureau keeps the project library with the
      // county; finance joins in the asset books.
      {kAssets,
       "CreateProject",
       "assets.project.create",
       A::kWrite,
       {"township_official", "county_official", "department:agriculture"}},
      {kAssets, "GetProject", "assets.project.get", A::kRead, {ZX_READERS}},
      {kAssets,
       "AdvanceProject",
       "assets.project.advance",
       A::kWrite,
       {"township_official", "county_official", "department:agriculture"}},
      {kAssets, "GetFundingReport", "assets.funding_report.get", A::kRead, {ZX_READERS}},
      {kAssets,
       "RegisterAsset",
       "assets.asset.register",
       A::kWrite,
       {ZX_LOCAL, "department:agriculture", "department:finance"}},
      {kAssets, "GetAsset", "assets.asset.get", A::kRead, {ZX_READERS}},
      {kAssets,
       "ConfirmOwnership",
       "assets.asset.confirm_ownership",
       A::kWrite,
       {ZX_LOCAL, "department:agriculture", "department:finance"}},
      {kAssets,
       "TransferAsset",
       "assets.asset.transfer",
       A::kWrite,
       {ZX_LOCAL, "department:agriculture", "department:finance"}},
      {kAssets,
       "SetOperatingState",
       "assets.asset.set_state",
       A::kWrite,
       {ZX_LOCAL, "department:agriculture"}},
      {kAssets, "GetAssetHistory", "assets.history.get", A::kRead, {ZX_READERS}},
      {kAssets, "GetLedger", "assets.ledger.get", A::kRead, {ZX_READERS}},
      {kAssets, "Reconcile", "assets.ledger.reconcile", A::kRead, {ZX_READERS}},
      {kAssets,
       "RecordIncome",
       "assets.income.record",
       A::kWrite,
       {ZX_LOCAL, "department:agriculture"}},
      {kAssets, "DistributeIncome", "assets.distribution.create", A::kWrite, {ZX_LOCAL}},
      {kAssets,
       "RequestDisposal",
       "assets.disposal.request",
       A::kWrite,
       {ZX_LOCAL, "department:agriculture"}},
      // Each approval step at its level (RULES A6).
      {kAssets,
       "ApproveDisposalStep",
       "assets.disposal.approve.village_meeting",
       A::kWrite,
       {"village_cadre"}},
      {kAssets,
       "ApproveDisposalStep",
       "assets.disposal.approve.township",
       A::kWrite,
       {"township_official"}},
      // A line department (not finance; which one the asset belongs to is not
      // checked): A6 needs the department and finance as two approvals.
      {kAssets,
       "ApproveDisposalStep",
       "assets.disposal.approve.county_department",
       A::kWrite,
       {"county_official", "department:medical_insurance", "department:civil_affairs",
        "department:education", "department:housing", "department:water",
        "department:human_resources", "department:agriculture"}},
      {kAssets,
       "ApproveDisposalStep",
       "assets.disposal.approve.county_finance",
       A::kWrite,
       {"county_official", "department:finance"}},
      {kAssets,
       "ApproveDisposalStep",
       "assets.disposal.approve.prefecture",
       A::kWrite,
       {"prefecture_official"}},
      {kAssets, "CompleteDisposal", "assets.disposal.complete", A::kWrite, {ZX_LOCAL}},
      {kAssets, "GetDisposal", "assets.disposal.get", A::kRead, {ZX_READERS}},
      {kAssets,
       "RecordInspection",
       "assets.inspection.record",
       A::kWrite,
       {ZX_LOCAL, "department:agriculture", "department:finance"}},
      {kAssets,
       "RecordCertificate",
       "assets.certificate.record",
       A::kWrite,
       {ZX_LOCAL, "department:agriculture"}},
      {kAssets, "GetBookCheckReport", "assets.book_check.get", A::kRead, {ZX_READERS}},
      {kAssets, "GetAssetRollup", "assets.rollup.get", A::kRead, {ZX_READERS}},
      {kAssets, "RecordCollectiveIncome", "assets.collective_income.record", A::kWrite, {ZX_LOCAL}},
      {kAssets, "GetCollectiveEconomy", "assets.collective_economy.get", A::kRead, {ZX_READERS}},
      {kAssets, "PublishPolicy", "assets.policy.publish", A::kWrite, {ZX_POLICY_MAKERS}},
      {kAssets, "GetEffectivePolicy", "assets.policy.get", A::kRead, {ZX_READERS}},

      // ---- employment (RULES E1-E5): human resources is the line department
      {kEmp,
       "UpsertWorker",
       "employment.worker.upsert",
       A::kWrite,
       {ZX_LOCAL, "department:human_resources"}},
      {kEmp, "GetWorker", "employment.worker.get", A::kRead, {ZX_READERS}},
      {kEmp, "ListWorkers", "employment.worker.list", A::kRead, {ZX_READERS}},
      {kEmp,
       "UpsertEmployer",
       "employment.employer.upsert",
       A::kWrite,
       {"township_official", "county_official", "department:human_resources", "partner"}},
      {kEmp,
       "UpsertJob",
       "employment.job.upsert",
       A::kWrite,
       {"township_official", "county_official", "department:human_resources", "partner"}},
      {kEmp, "GetJob", "employment.job.get", A::kRead, {ZX_READERS}},
      {kEmp,
       "RunMatching",
       "employment.matching.run",
       A::kWrite,
       {"county_official", "department:human_resources", "prefecture_official"}},
      {kEmp, "GetMatchingRun", "employment.matching.get", A::kRead, {ZX_READERS}},
      {kEmp,
       "AcceptPlacement",
       "employment.placement.accept",
       A::kWrite,
       {ZX_LOCAL, "department:human_resources"}},
      {kEmp,
       "StartPlacement",
       "employment.placement.start",
       A::kWrite,
       {ZX_LOCAL, "department:human_resources"}},
      {kEmp,
       "EndPlacement",
       "employment.placement.end",
       A::kWrite,
       {ZX_LOCAL, "department:human_resources"}},
      {kEmp, "GetPlacement", "employment.placement.get", A::kRead, {ZX_READERS}},
      {kEmp,
       "RecordWage",
       "employment.wage.record",
       A::kWrite,
       {ZX_LOCAL, "department:human_resources"}},
      {kEmp,
       "CheckOverdueWages",
       "employment.wage.check_overdue",
       A::kWrite,
       {"county_official", "department:human_resources", "prefecture_official"}},
      {kEmp,
       "AppointPublicWelfarePost",
       "employment.post.appoint",
       A::kWrite,
       {"township_official", "county_official", "department:human_resources"}},
      {kEmp,
       "RecordAttendance",
       "employment.attendance.record",
       A::kWrite,
       {ZX_LOCAL, "department:human_resources"}},
      {kEmp,
       "PayPostSubsidy",
       "employment.post.subsidy",
       A::kWrite,
       {"township_official", "county_official", "department:human_resources"}},
      {kEmp,
       "ReviewPostExit",
       "employment.post.review_exit",
       A::kWrite,
       {"township_official", "county_official", "department:human_resources"}},
      {kEmp,
       "GrantTransportSubsidy",
       "employment.transport.grant",
       A::kWrite,
       {"county_official", "department:human_resources"}},
      {kEmp, "PublishPolicy", "employment.policy.publish", A::kWrite, {ZX_POLICY_MAKERS}},
      {kEmp, "GetEffectivePolicy", "employment.policy.get", A::kRead, {ZX_READERS}},
      {kEmp, "GetEmploymentRollup", "employment.rollup.get", A::kRead, {ZX_READERS}},

      // ---- consumption (RULES C1-C5): agriculture is the line department
      // (suppliers, products, 832 imports), finance keeps the budget units;
      // partner-province buyers register themselves and order within their
      // partnership (their own province is their jurisdiction).
      {kCon,
       "UpsertSupplier",
       "consumption.supplier.upsert",
       A::kWrite,
       {"township_official", "county_official", "department:agriculture"}},
      {kCon, "GetSupplier", "consumption.supplier.get", A::kRead, {ZX_READERS}},
      {kCon,
       "UpsertBinding",
       "consumption.binding.upsert",
       A::kWrite,
       {"township_official", "county_official", "department:agriculture"}},
      {kCon, "ListBindings", "consumption.binding.list", A::kRead, {ZX_READERS}},
      {kCon,
       "UpsertProduct",
       "consumption.product.upsert",
       A::kWrite,
       {"county_official", "department:agriculture"}},
      {kCon, "GetProduct", "consumption.product.get", A::kRead, {ZX_READERS}},
      {kCon,
       "AdvanceCertification",
       "consumption.product.certify",
       A::kWrite,
       {"county_official", "department:agriculture"}},
      {kCon,
       "UpsertBuyer",
       "consumption.buyer.upsert",
       A::kWrite,
       {"county_official", "department:finance", ZX_SUPERVISORS, "partner"}},
      {kCon, "GetBuyer", "consumption.buyer.get", A::kRead, {ZX_READERS, "partner"}},
      {kCon, "GrantPartnership", "consumption.partnership.grant", A::kWrite, {ZX_SUPERVISORS}},
      {kCon,
       "SubmitOrder",
       "consumption.order.submit",
       A::kWrite,
       {ZX_LOCAL, "department:finance", "partner"}},
      {kCon, "GetOrder", "consumption.order.get", A::kRead, {ZX_READERS, "partner"}},
      {kCon,
       "AdvanceOrder",
       "consumption.order.advance",
       A::kWrite,
       {ZX_LOCAL, "department:agriculture", "partner"}},
      {kCon,
       "RefundOrder",
       "consumption.order.refund",
       A::kWrite,
       {"county_official", "department:agriculture"}},
      {kCon, "TraceOrderLine", "consumption.order.trace", A::kRead, {ZX_READERS}},
      {kCon,
       "ImportPlatformOrders",
       "consumption.import.orders",
       A::kWrite,
       {"county_official", "department:agriculture"}},
      {kCon, "PublishPolicy", "consumption.policy.publish", A::kWrite, {ZX_POLICY_MAKERS}},
      {kCon, "GetEffectivePolicy", "consumption.policy.get", A::kRead, {ZX_READERS}},
      {kCon, "GetTargetReport", "consumption.report.targets", A::kRead, {ZX_READERS}},
      {kCon, "GetSalesReport", "consumption.report.sales", A::kRead, {ZX_READERS}},
      {kCon, "GetAttributionReport", "consumption.report.attribution", A::kRead, {ZX_READERS}},

      // ---- Federation: people on their own instance (docs §19) ----
      {kFed,
       "GetFederationStatus",
       "federation.status.get",
       A::kRead,
       {"operator", "county_official", ZX_SUPERVISORS, "auditor"}},
      {kFed, "BuildReport", "federation.report.build", A::kRead, {ZX_POLICY_MAKERS, "auditor"}},
      {kFed,
       "SubmitReport",
       "federation.report.submit",
       A::kWrite,
       {"county_official", "prefecture_official"}},
      {kFed,
       "GetChildrenReport",
       "federation.report.children",
       A::kRead,
       {ZX_SUPERVISORS, "auditor"}},
      {kFed, "ApprovePeriod", "federation.report.approve", A::kWrite, {ZX_SUPERVISORS}},
      {kFed, "UnapprovePeriod", "federation.report.unapprove", A::kWrite, {ZX_SUPERVISORS}},
      {kFed, "PublishPolicy", "federation.policy.publish", A::kWrite, {ZX_SUPERVISORS}},
      {kFed, "GetPolicyRelease", "federation.policy.get", A::kRead, {ZX_READERS}},
      {kFed, "IssueDirective", "federation.directive.issue", A::kWrite, {ZX_SUPERVISORS}},
      {kFed,
       "AdvanceDirective",
       "federation.directive.advance",
       A::kWrite,
       {"county_official", "prefecture_official"}},
      {kFed, "GetDirective", "federation.directive.get", A::kRead, {ZX_POLICY_MAKERS, "auditor"}},
      {kFed,
       "ListDirectives",
       "federation.directive.list",
       A::kRead,
       {ZX_POLICY_MAKERS, "auditor"}},
      {kFed,
       "RaiseEscalation",
       "federation.escalation.raise",
       A::kWrite,
       {"county_official", "prefecture_official"}},
      {kFed, "DecideEscalation", "federation.escalation.decide", A::kWrite, {ZX_SUPERVISORS}},
      {kFed,
       "ListEscalations",
       "federation.escalation.list",
       A::kRead,
       {ZX_POLICY_MAKERS, "auditor"}},
      {kFed,
       "DrillDownHouseholds",
       "federation.drilldown.households",
       A::kRead,
       {ZX_SUPERVISORS, "auditor"}},
      // ---- Federation: instances calling each other (instance
      // certificates only; the roles are those certificates carry) ----
      {kPeer, "Deliver", "federation.peer.deliver", A::kWrite, {"county_official", ZX_SUPERVISORS}},
      {kPeer, "ListHouseholds", "federation.peer.households", A::kRead, {ZX_SUPERVISORS}},
      {kPeer, "GetAgreedReport", "federation.peer.report", A::kRead, {ZX_SUPERVISORS, "partner"}},
      // Partner provinces through the gateway; each also needs its grant in
      // the federation config, and the local service authorizes again.
      {kPeer, "PartnerUpsertEmployer", "federation.partner.employer", A::kWrite, {"partner"}},
      {kPeer, "PartnerUpsertJob", "federation.partner.job", A::kWrite, {"partner"}},
      {kPeer, "PartnerUpsertBuyer", "federation.partner.buyer", A::kWrite, {"partner"}},
      {kPeer, "PartnerSubmitOrder", "federation.partner.order", A::kWrite, {"partner"}},
      {kPeer, "PartnerGetOrder", "federation.partner.order_get", A::kRead, {"partner"}},
  };
  return *rows;
}

#undef ZX_LOCAL
#undef ZX_SUPERVISORS
#undef ZX_READERS
#undef ZX_POLICY_MAKERS

// Interned "/service/Method" strings, so Permission::rpc can be a view.
const std::vector<Permission>& BuildTable() {
  static const auto* table = [] {
    auto* rpcs = new std::vector<std::string>();
    rpcs->reserve(Rows().size());
    auto* out = new std::vector<Permission>();
    for (const Row& row : Rows()) {
      rpcs->push_back(absl::StrCat(std::string(row.service), std::string(row.method)));
    }
    for (size_t i = 0; i < Rows().size(); ++i) {
      const Row& row = Rows()[i];
      out->push_back(Permission{(*rpcs)[i], row.action, row.access, row.grantees});
    }
    return out;
  }();
  return *table;
}

}  // namespace

const std::vector<std::string_view>& DepartmentKinds() {
  static const auto* kinds = new std::vector<std::string_view>{
      "medical_insurance", "civil_affairs", "education", "housing", "water",
      "human_resources",   "agriculture",   "finance"};
  return *kinds;
}

const std::vector<Permission>& PermissionTable() { return BuildTable(); }

const Permission* FindPermission(std::string_view action) {
  static const auto* by_action = [] {
    auto* m = new std::map<std::string_view, const Permission*, std::less<>>();
    for (const Permission& p : BuildTable()) m->emplace(p.action, &p);
    return m;
  }();
  auto it = by_action->find(action);
  return it == by_action->end() ? nullptr : it->second;
}

const std::map<std::string, Access, std::less<>>& DeclaredActions() {
  static const auto* actions = [] {
    auto* m = new std::map<std::string, Access, std::less<>>();
    for (const Permission& p : BuildTable()) m->emplace(std::string(p.action), p.access);
    return m;
  }();
  return *actions;
}

absl::Status CheckEveryRpcIsDeclared(const std::vector<std::string>& service_full_names) {
  std::set<std::string_view> declared;
  for (const Permission& p : BuildTable()) declared.insert(p.rpc);
  std::vector<std::string> missing;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : service_full_names) {
    if (name.starts_with("grpc.")) continue;  // health, reflection
    const auto* service = pool->FindServiceByName(name);
    if (service == nullptr) {
      missing.push_back(absl::StrCat(name, " (no descriptor)"));
      continue;
    }
    for (int i = 0; i < service->method_count(); ++i) {
      std::string rpc = absl::StrCat("/", name, "/", service->method(i)->name());
      if (!declared.contains(rpc)) missing.push_back(std::move(rpc));
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("RPCs missing from the permission table (common/auth/permissions.cc): ",
                   absl::StrJoin(missing, ", ")));
}

}  // namespace zx::auth
