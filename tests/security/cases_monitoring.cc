// The monitoring service's rows of the authorization matrix.
#include "absl/strings/str_cat.h"
#include "tests/security/matrix.h"

namespace zx::security {
namespace {

const std::string kMon = "/zx.monitoring.v1.MonitoringService/";
const std::string kObj = "/zx.monitoring.v1.MonitoringObjectService/";
const std::string kAlerts = "/zx.monitoring.v1.AlertService/";
const std::string kCredit = "/zx.monitoring.v1.CreditService/";

std::string V() { return kVillage; }
std::string C() { return kCounty; }

// A step of the monitored household's life (HH2 carries the open object).
MatrixCase Step(const std::string& rpc, const std::string& action, const std::string& extra = "") {
  return {kObj + rpc, "monitoring.object." + action,
          absl::StrCat("request_id: '${RID}' household_id: '${HH2}' reason: '矩阵核查' ", extra)};
}

std::string Walk(const std::string& extra = "") {
  return absl::StrCat("request_id: '${RID}' household_id: '${HH3}' reason: '核实属实' ", extra);
}

}  // namespace

std::vector<SeedStep> MonitoringSeeds() {
  const std::string household =
      absl::StrCat("request_id: '${RID}' household { village_code: '", V(),
                   "' category: HOUSEHOLD_CATEGORY_LIFTED member_count: 3 }");
  return {
      // The county's line for this year, so assessments have a policy.
      {kMon + "PublishPolicy",
       absl::StrCat("request_id: '${RID}' policy { version: 'matrix-2026' owner_division_code: '",
                    C(), "' year: 2026 effective_from: '2026-01-01' monitoring_line_fen: 800000 }"),
       {}},
      {kMon + "CreateHousehold", household, {{"HH", "household_id"}}},
      {kMon + "CreateHousehold", household, {{"HH2", "household_id"}}},
      {kMon + "AddPerson",
       absl::StrCat("request_id: '${RID}' person { household_id: '${HH}' id_number: '",
                    kSeededIdNumber, "' name: '", kSeededName,
                    "' relation: RELATION_HEAD "
                    "labour_capacity: LABOUR_CAPACITY_FULL health: HEALTH_STATUS_HEALTHY "
                    "medical_insured: true }"),
       {{"PERSON", "person_id"}}},
      {kMon + "AddPerson",
       absl::StrCat("request_id: '${RID}' person { household_id: '${HH2}' id_number: "
                    "'653121200501010010' name: '",
                    kSeededName,
                    "' relation: RELATION_HEAD labour_capacity: LABOUR_CAPACITY_FULL "
                    "health: HEALTH_STATUS_CHRONIC_ILLNESS medical_insured: true }"),
       {}},
      {kMon + "RecordIncome",
       "request_id: '${RID}' record { household_id: '${HH}' kind: INCOME_KIND_WAGE "
       "source: RECORD_SOURCE_DECLARATION month: '2026-10' amount_fen: 150000 }",
       {}},
      {kObj + "RaiseClue",
       "request_id: '${RID}' household_id: '${HH2}' way: CLUE_WAY_CADRE_VISIT "
       "description: '因病支出大' found_at { seconds: 1795000000 }",
       {}},
      {kMon + "ReassessAll",
       absl::StrCat("request_id: '${RID}' division_code: '", C(),
                    "' reason: REASSESS_REASON_RECORDS"),
       {{"JOB", "job_id"}}},
      // HH3 walks to county confirmation: credit follows it (RULES M9).
      {kMon + "CreateHousehold", household, {{"HH3", "household_id"}}},
      {kObj + "RaiseClue",
       "request_id: '${RID}' household_id: '${HH3}' way: CLUE_WAY_SELF_REPORT "
       "description: '突发重病' found_at { seconds: 1795000000 }",
       {}},
      {kObj + "RecordHomeVerification", Walk("household_consent: true"), {}},
      {kObj + "RecordDataComparison", Walk(), {}},
      {kObj + "VillageAssess", Walk(), {}},
      {kObj + "StartPublicity", Walk(), {}},
      {kAdvanceDays, "8", {}},
      {kObj + "EndPublicity", Walk(), {}},
      {kObj + "TownshipReview",
       Walk("decision: DECISION_APPROVE"),
       {},
       absl::StrCat("dev.", kTownship, ".township_official.seed")},
      {kObj + "CountyConfirm",
       Walk("decision: DECISION_APPROVE object_type: MONITORING_OBJECT_TYPE_SUDDEN_HARDSHIP "
            "risk_types: RISK_TYPE_ILLNESS"),
       {}},
      {kCredit + "AddCreditMeasure",
       "request_id: '${RID}' household_id: '${HH3}' lender: '喀什农商银行' "
       "description: '小额信贷' terms { principal_fen: 3000000 term_months: 12 "
       "annual_rate_bp: 435 subsidy_share_bp: 10000 disbursed_on: '2026-11-02' "
       "first_due_on: '2026-12-02' repayment_kind: REPAYMENT_KIND_EQUAL_PRINCIPAL_MONTHLY }",
       {{"LOAN", "loan_id"}}},
  };
}

std::vector<MatrixCase> MonitoringCases() {
  return {
      {kMon + "CreateHousehold", "monitoring.household.create",
       absl::StrCat("request_id: '${RID}' household { village_code: '", V(),
                    "' category: HOUSEHOLD_CATEGORY_ORDINARY member_count: 2 }")},
      {kMon + "GetHousehold", "monitoring.household.get", "household_id: '${HH}'"},
      {kMon + "ListHouseholds", "monitoring.household.list",
       absl::StrCat("division_code: '", C(), "' page_size: 10"), C()},
      {kMon + "UpdateHousehold", "monitoring.household.update",
       "request_id: '${RID}' household { household_id: '${HH}' relocated: true } "
       "update_mask { paths: 'relocated' }"},
      {kMon + "AddPerson", "monitoring.person.add",
       "request_id: '${RID}' person { household_id: '${HH}' id_number: '653121198506010028' "
       "name: '买买提·艾力' relation: RELATION_SPOUSE "
       "labour_capacity: LABOUR_CAPACITY_FULL health: HEALTH_STATUS_HEALTHY }"},
      // With a purpose: the privileged see the seeded person in clear, the
      // rest masked (criterion 2 scans every answer).
      {kMon + "ListPersons", "monitoring.person.list",
       "household_id: '${HH}' purpose: '矩阵核查: 帮扶资格复核'"},
      {kMon + "UpdatePerson", "monitoring.person.update",
       "request_id: '${RID}' person { person_id: '${PERSON}' in_school: false employed: true } "
       "update_mask { paths: 'employed' } purpose: '就业信息更新'"},
      {kMon + "RecordIncome", "monitoring.record.write",
       "request_id: '${RID}' record { household_id: '${HH}' kind: INCOME_KIND_TRANSFER "
       "source: RECORD_SOURCE_DEPARTMENT month: '2026-10' amount_fen: 20000 }"},
      {kMon + "RecordExpense", "monitoring.record.write",
       "request_id: '${RID}' record { household_id: '${HH}' kind: EXPENSE_KIND_MEDICAL "
       "source: RECORD_SOURCE_DEPARTMENT month: '2026-10' amount_fen: 5000 }"},
      {kMon + "RecordSuddenEvent", "monitoring.record.write",
       "request_id: '${RID}' event { household_id: '${HH}' kind: "
       "SUDDEN_EVENT_KIND_SERIOUS_ILLNESS occurred_on: '2026-10-02' note: 'matrix' }"},
      {kMon + "SetGuarantees", "monitoring.guarantees.set",
       "request_id: '${RID}' household_id: '${HH}' guarantees { food_clothing: "
       "GUARANTEE_STATUS_MET compulsory_education: GUARANTEE_STATUS_MET basic_medical: "
       "GUARANTEE_STATUS_MET safe_housing: GUARANTEE_STATUS_MET safe_water: "
       "GUARANTEE_STATUS_MET }"},
      {kMon + "PublishPolicy", "monitoring.policy.publish",
       absl::StrCat("request_id: '${RID}' policy { version: 'matrix-${RID}' owner_division_code: '",
                    C(), "' year: 2027 effective_from: '2027-01-01' monitoring_line_fen: 820000 }"),
       C()},
      {kMon + "GetEffectivePolicy", "monitoring.policy.get",
       absl::StrCat("division_code: '", V(), "' date: '2026-11-20'")},
      {kMon + "AssessHousehold", "monitoring.assessment.run", "household_id: '${HH}'"},
      {kMon + "ExplainAssessment", "monitoring.assessment.explain",
       "household_id: '${HH}' language: 'zh'"},
      {kMon + "ReassessAll", "monitoring.reassess.run",
       absl::StrCat("request_id: '${RID}' division_code: '", C(),
                    "' reason: REASSESS_REASON_RECORDS"),
       C()},
      {kMon + "GetReassessmentJob", "monitoring.reassess.get", "job_id: '${JOB}'", C()},
      {kMon + "GetRollup", "monitoring.rollup.get", absl::StrCat("division_code: '", C(), "'"),
       C()},
      {kMon + "VerifyRollup", "monitoring.rollup.verify",
       absl::StrCat("division_code: '", C(), "'"), C()},
      // Rows are authorized one by one (a county file may hold rows of other
      // counties): outside the jurisdiction the row is refused in its result.
      {kMon + "IngestSurvey", "monitoring.survey.ingest",
       absl::StrCat("batch_id: 'matrix-${RID}' defer_reassessment: true rows { row_number: 1 "
                    "id_number: '",
                    kSeededIdNumber,
                    "' month: '2026-09' source: RECORD_SOURCE_SURVEY wage_fen: 120000 }"),
       V(), "registered in your jurisdiction"},
      // Rows are authorized by their village; an already registered member
      // (the seeded head) keeps allowed callers from registering anything.
      {kMon + "ImportHouseholds", "monitoring.household.import",
       absl::StrCat("batch_id: 'matrix-${RID}' rows { row_number: 1 household { village_code: '",
                    V(), "' category: HOUSEHOLD_CATEGORY_ORDINARY } persons { id_number: '",
                    kSeededIdNumber, "' name: '", kSeededName,
                    "' relation: RELATION_HEAD labour_capacity: LABOUR_CAPACITY_FULL "
                    "health: HEALTH_STATUS_HEALTHY } }"),
       V(), "is outside your jurisdiction"},

      {kObj + "RaiseClue", "monitoring.clue.raise",
       "request_id: '${RID}' household_id: '${HH}' way: CLUE_WAY_DEPARTMENT_SCREENING "
       "description: '医保数据比对' found_at { seconds: 1795000000 }"},
      Step("RecordHomeVerification", "record_home_verification", "household_consent: true"),
      Step("RecordDataComparison", "record_data_comparison"),
      Step("VillageAssess", "village_assess"),
      Step("StartPublicity", "start_publicity"),
      // HH2 is in publicity now, its head named like the seeded person: the
      // export may show the masked name only, to anybody.
      {kObj + "ExportPublicity", "monitoring.publicity.export",
       absl::StrCat("village_code: '", V(), "'"), V(), "", /*never_personal=*/true, "HH2"},
      Step("RecordObjection", "record_objection"),
      Step("ResolveObjection", "resolve_objection",
           "objection_id: 1 objection_outcome: OBJECTION_OUTCOME_DISMISSED"),
      Step("EndPublicity", "end_publicity"),
      Step("TownshipReview", "township_review", "decision: DECISION_APPROVE"),
      Step("CountyConfirm", "county_confirm",
           "decision: DECISION_APPROVE object_type: MONITORING_OBJECT_TYPE_MARGINAL_AT_RISK "
           "risk_types: RISK_TYPE_ILLNESS"),
      Step("ProposeElimination", "propose_elimination"),
      Step("ConfirmElimination", "confirm_elimination", "decision: DECISION_APPROVE"),
      Step("ScheduleFollowUp", "schedule_follow_up", "follow_up_due { seconds: 2000000000 }"),
      Step("RecordFollowUp", "record_follow_up",
           "follow_up_outcome: FOLLOW_UP_OUTCOME_RISK_STILL_ELIMINATED"),
      Step("RejectStep", "reject_step"),
      Step("CloseClue", "close_clue"),
      {kObj + "AddAssistanceMeasure", "monitoring.object.add_assistance_measure",
       "request_id: '${RID}' measure { household_id: '${HH2}' kind: MEASURE_KIND_EMPLOYMENT "
       "description: '推荐到卫星工厂就业' }"},
      {kObj + "GetMonitoringObject", "monitoring.object.get", "household_id: '${HH2}'"},
      {kObj + "GetHouseholdHistory", "monitoring.history.get", "household_id: '${HH}'"},

      {kAlerts + "ListAlerts", "monitoring.alert.list",
       absl::StrCat("division_code: '", C(), "' page_size: 10"), C()},
      {kAlerts + "WatchAlerts", "monitoring.alert.watch",
       absl::StrCat("division_code: '", C(), "'"), C()},

      {kCredit + "AddCreditMeasure", "monitoring.credit.write",
       "request_id: '${RID}' household_id: '${HH3}' lender: '喀什农商银行' "
       "description: '产业贷款' terms { principal_fen: 2000000 term_months: 12 "
       "annual_rate_bp: 435 subsidy_share_bp: 10000 disbursed_on: '2026-11-02' "
       "first_due_on: '2026-12-02' repayment_kind: REPAYMENT_KIND_EQUAL_PRINCIPAL_MONTHLY }"},
      {kCredit + "RecordRepayment", "monitoring.credit.write",
       "request_id: '${RID}' loan_id: '${LOAN}' amount_fen: 100 paid_on: '2026-11-20'"},
      {kCredit + "GetCreditPlan", "monitoring.credit.get",
       "household_id: '${HH3}' as_of: '2026-11-20'"},
  };
}

}  // namespace zx::security
