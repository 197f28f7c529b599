#include "services/employment/domain/employment.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace zx::employment {
namespace {

constexpr char kVillage[] = "653121101201";

v1::Worker Worker() {
  v1::Worker w;
  w.set_person_id("pe-00000000000000000001");
  w.set_household_id("hh-00000000000000000001");
  w.set_division_code(kVillage);
  w.set_birth_date("1990-05-01");
  w.set_willingness(v1::WILLINGNESS_LOCAL);
  w.set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
  w.set_available(true);
  w.set_local_registration(true);
  w.set_language_level(3);
  w.add_skills("welding");
  return w;
}

v1::Job Job(const std::string& location, bool partner = false) {
  v1::Job j;
  j.set_employer_id("em-00000000000000000001");
  j.set_title("焊工");
  j.set_kind(v1::JOB_KIND_REGULAR);
  j.set_location_division_code(location);
  j.set_partner_province(partner);
  j.set_monthly_wage_fen(300'000);
  j.set_slots(2);
  j.set_open(true);
  return j;
}

v1::Job Post() {
  v1::Job j = Job("653121101000");
  j.set_kind(v1::JOB_KIND_PUBLIC_WELFARE);
  j.set_public_welfare_kind(v1::PUBLIC_WELFARE_KIND_FOREST_RANGER);
  j.set_need_ref("need-2026-001");
  return j;
}

absl::CivilDay Day(const char* s) { return *ParseDate(s); }

// ---- Eligibility: willingness and requirements -------------------------------------

struct EligibleCase {
  const char* name;
  v1::Willingness willingness;
  std::string location;
  bool partner;
  const char* required_skill;
  int min_language;
  v1::LabourCapacity capacity;
  bool light;
  const char* rule;  // "" when eligible
};
class EligibleTest : public ::testing::TestWithParam<EligibleCase> {};
TEST_P(EligibleTest, HardConstraints) {
  const auto& c = GetParam();
  auto w = Worker();
  w.set_willingness(c.willingness);
  w.set_labour_capacity(c.capacity);
  auto j = Job(c.location, c.partner);
  if (*c.required_skill) j.add_required_skills(c.required_skill);
  j.set_min_language_level(c.min_language);
  j.set_light_work(c.light);
  const auto s = CheckEligible(w, j);
  if (*c.rule == 0) {
    EXPECT_TRUE(s.ok()) << c.name << ": " << s;
  } else {
    EXPECT_TRUE(absl::IsFailedPrecondition(s)) << c.name;
    EXPECT_EQ(s.message().substr(0, std::string_view(c.rule).size()), c.rule) << c.name << s;
  }
}
INSTANTIATE_TEST_SUITE_P(
    All, EligibleTest,
    ::testing::Values(
        EligibleCase{"local job, local worker", v1::WILLINGNESS_LOCAL, "653121102000", false, "", 0,
                     v1::LABOUR_CAPACITY_FULL, false, ""},
        EligibleCase{"other county, local worker", v1::WILLINGNESS_LOCAL, "653122000000", false, "",
                     0, v1::LABOUR_CAPACITY_FULL, false, "E1.willingness"},
        EligibleCase{"other county, in-region worker", v1::WILLINGNESS_IN_REGION, "653122000000",
                     false, "", 0, v1::LABOUR_CAPACITY_FULL, false, ""},
        EligibleCase{"partner province, in-region worker", v1::WILLINGNESS_IN_REGION,
                     "440000000000", true, "", 0, v1::LABOUR_CAPACITY_FULL, false,
                     "E1.willingness"},
        EligibleCase{"partner province, local worker", v1::WILLINGNESS_LOCAL, "440000000000", true,
                     "", 0, v1::LABOUR_CAPACITY_FULL, false, "E1.willingness"},
        EligibleCase{"partner province, out-of-region worker", v1::WILLINGNESS_OUT_OF_REGION,
                     "440000000000", true, "", 0, v1::LABOUR_CAPACITY_FULL, false, ""},
        EligibleCase{"has the skill", v1::WILLINGNESS_LOCAL, "653121000000", false, "welding", 0,
                     v1::LABOUR_CAPACITY_FULL, false, ""},
        EligibleCase{"lacks the skill", v1::WILLINGNESS_LOCAL, "653121000000", false, "driving", 0,
                     v1::LABOUR_CAPACITY_FULL, false, "E1.requirements"},
        EligibleCase{"language too low", v1::WILLINGNESS_LOCAL, "653121000000", false, "", 4,
                     v1::LABOUR_CAPACITY_FULL, false, "E1.requirements"},
        EligibleCase{"weak labour, heavy job", v1::WILLINGNESS_LOCAL, "653121000000", false, "", 0,
                     v1::LABOUR_CAPACITY_PARTIAL, false, "E1.labour_capacity"},
        EligibleCase{"weak labour, light job", v1::WILLINGNESS_LOCAL, "653121000000", false, "", 0,
                     v1::LABOUR_CAPACITY_PARTIAL, true, ""},
        EligibleCase{"no labour", v1::WILLINGNESS_OUT_OF_REGION, "653121000000", false, "", 0,
                     v1::LABOUR_CAPACITY_NONE, true, "E1.labour_capacity"}));

TEST(PersonalDataTest, MaskKeepsTheBirthYearOnly) {
  v1::Worker w = Worker();
  MaskPersonalData(w);
  EXPECT_EQ(w.birth_date(), "1990");
  EXPECT_TRUE(w.personal_data_masked());
  MaskPersonalData(w);  // masking a masked worker changes nothing
  EXPECT_EQ(w.birth_date(), "1990");
  EXPECT_EQ(w.person_id(), Worker().person_id()) << "ids are not personal data";
}

TEST(DestinationTest, ByCodePrefix) {
  EXPECT_EQ(DestinationOf(kVillage, "653121102000", false), v1::DESTINATION_SAME_COUNTY);
  EXPECT_EQ(DestinationOf(kVillage, "653122000000", false), v1::DESTINATION_OTHER_COUNTY);
  EXPECT_EQ(DestinationOf(kVillage, "652900000000", false), v1::DESTINATION_OTHER_PREFECTURE);
  EXPECT_EQ(DestinationOf(kVillage, "440000000000", true), v1::DESTINATION_OTHER_PROVINCE);
}

// ---- E2: appointment ---------------------------------------------------------------

struct AppointCase {
  const char* name;
  std::function<void(v1::Worker&)> change;
  bool household_holds_post;
  const char* rule;
};
class AppointTest : public ::testing::TestWithParam<AppointCase> {};
TEST_P(AppointTest, E2Rules) {
  const auto& c = GetParam();
  auto w = Worker();
  if (c.change) c.change(w);
  const auto s =
      CheckPostAppointment(w, Post(), Policy{}, Day("2026-11-01"), c.household_holds_post);
  if (*c.rule == 0) {
    EXPECT_TRUE(s.ok()) << c.name << ": " << s;
  } else {
    EXPECT_TRUE(absl::IsFailedPrecondition(s)) << c.name;
    EXPECT_EQ(s.message().substr(0, std::string_view(c.rule).size()), c.rule) << c.name << s;
  }
}
INSTANTIATE_TEST_SUITE_P(
    All, AppointTest,
    ::testing::Values(
        AppointCase{"eligible", nullptr, false, ""},
        AppointCase{"not registered here", [](v1::Worker& w) { w.set_local_registration(false); },
                    false, "E2.local_registration"},
        AppointCase{"other county", [](v1::Worker& w) { w.set_division_code("653122101201"); },
                    false, "E2.local_registration"},
        AppointCase{"age 61", [](v1::Worker& w) { w.set_birth_date("1965-10-31"); }, false,
                    "E2.age"},
        AppointCase{"age 60", [](v1::Worker& w) { w.set_birth_date("1966-11-01"); }, false, ""},
        AppointCase{"age 15", [](v1::Worker& w) { w.set_birth_date("2011-01-01"); }, false,
                    "E2.age"},
        AppointCase{"village cadre", [](v1::Worker& w) { w.set_village_cadre(true); }, false,
                    "E2.village_cadre"},
        AppointCase{"cadre's relative", [](v1::Worker& w) { w.set_cadre_family(true); }, false,
                    "E2.village_cadre"},
        AppointCase{"second post in household", nullptr, true, "E2.one_per_household"}));

TEST(AppointTest, AgeLimitFromPolicy) {
  auto w = Worker();
  w.set_birth_date("1962-01-01");  // 64
  Policy p;
  EXPECT_FALSE(CheckPostAppointment(w, Post(), p, Day("2026-11-01"), false).ok());
  p.post_max_age = 65;
  EXPECT_TRUE(CheckPostAppointment(w, Post(), p, Day("2026-11-01"), false).ok());
}

TEST(SubsidyTest, OnlyForMonthsWithAttendance) {
  EXPECT_TRUE(CheckPostSubsidy(22, "2026-10").ok());
  const auto none = CheckPostSubsidy(std::nullopt, "2026-10");
  EXPECT_TRUE(absl::IsFailedPrecondition(none));
  EXPECT_NE(none.message().find("E2.attendance"), std::string_view::npos);
  EXPECT_TRUE(absl::IsFailedPrecondition(CheckPostSubsidy(0, "2026-10")));
}

TEST(SubsidyTest, APostIsNotPaidAsAWage) {
  v1::Placement pl;
  pl.set_placement_id("pl-00000000000000000001");
  for (const auto kind : {v1::JOB_KIND_REGULAR, v1::JOB_KIND_WORK_RELIEF}) {
    pl.set_job_kind(kind);
    EXPECT_TRUE(CheckPaidAsWage(pl).ok()) << v1::JobKind_Name(kind);
  }
  pl.set_job_kind(v1::JOB_KIND_PUBLIC_WELFARE);
  const auto s = CheckPaidAsWage(pl);
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_NE(s.message().find("E2.attendance"), std::string_view::npos) << s;
  EXPECT_NE(s.message().find("PayPostSubsidy"), std::string_view::npos) << s;
}

TEST(SubsidyTest, OnlyForMonthsOfTheAgreement) {
  v1::Placement post;
  post.set_job_kind(v1::JOB_KIND_PUBLIC_WELFARE);
  post.set_start_date("2026-04-15");
  post.set_agreement_start("2026-04-15");
  post.set_agreement_end("2027-03-31");
  const auto month = [](const char* m) { return *ParseMonth(m); };
  EXPECT_TRUE(CheckPostMonth(post, month("2026-04")).ok());
  EXPECT_TRUE(CheckPostMonth(post, month("2027-03")).ok());
  for (const char* m : {"2026-03", "2027-04", "2019-01"}) {
    const auto s = CheckPostMonth(post, month(m));
    EXPECT_TRUE(absl::IsFailedPrecondition(s)) << m;
    EXPECT_NE(s.message().find(absl::StrCat("month ", m)), std::string_view::npos) << s;
    EXPECT_NE(s.message().find("2026-04-15..2027-03-31"), std::string_view::npos) << s;
  }
  // Ended before the agreement (the holder took a regular job): nothing after.
  post.set_end_date("2026-08-10");
  EXPECT_TRUE(CheckPostMonth(post, month("2026-08")).ok());
  const auto s = CheckPostMonth(post, month("2026-09"));
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_NE(s.message().find("ended on 2026-08-10"), std::string_view::npos) << s;
  // Ended after the agreement's end: the agreement bounds it.
  post.set_end_date("2027-04-01");
  EXPECT_FALSE(CheckPostMonth(post, month("2027-04")).ok());
  // Without an agreement, the placement's own dates.
  v1::Placement regular;
  regular.set_start_date("2026-06-01");
  EXPECT_FALSE(CheckPostMonth(regular, month("2026-05")).ok());
  EXPECT_TRUE(CheckPostMonth(regular, month("2030-01")).ok());
  EXPECT_FALSE(CheckPostMonth(v1::Placement(), month("2026-05")).ok());  // never started
}

// ---- E1 one job, E2 orderly exit ------------------------------------------------------

v1::Placement Held(const char* id, v1::JobKind kind, v1::PlacementStatus status,
                   const char* start = "", const char* end = "") {
  v1::Placement p;
  p.set_placement_id(id);
  p.set_job_kind(kind);
  p.set_status(status);
  p.set_start_date(start);
  p.set_end_date(end);
  return p;
}

TEST(OneJobTest, NoSecondPlacementOrPost) {
  const auto rule = [](const absl::Status& s) {
    return s.ok() ? std::string() : std::string(s.message().substr(0, s.message().find(':')));
  };
  const auto regular_on = Held("pl-r", v1::JOB_KIND_REGULAR, v1::PLACEMENT_STATUS_ON_DUTY);
  const auto regular_acc = Held("pl-a", v1::JOB_KIND_REGULAR, v1::PLACEMENT_STATUS_ACCEPTED);
  const auto post = Held("pl-p", v1::JOB_KIND_PUBLIC_WELFARE, v1::PLACEMENT_STATUS_ON_DUTY);
  const auto relief = Held("pl-w", v1::JOB_KIND_WORK_RELIEF, v1::PLACEMENT_STATUS_ON_DUTY);
  EXPECT_EQ(rule(CheckOneJob({}, "pl-x", false)), "");
  EXPECT_EQ(rule(CheckOneJob({}, "", true)), "");
  // The placement being accepted is not a second one.
  EXPECT_EQ(rule(CheckOneJob({regular_acc}, "pl-a", false)), "");
  EXPECT_EQ(rule(CheckOneJob({regular_on}, "pl-x", false)), "E1.one_job");
  EXPECT_EQ(rule(CheckOneJob({regular_acc}, "pl-x", false)), "E1.one_job");
  EXPECT_EQ(rule(CheckOneJob({post}, "pl-x", false)), "E1.one_job");
  EXPECT_EQ(rule(CheckOneJob({relief}, "pl-x", false)), "E1.one_job");
  EXPECT_EQ(rule(CheckOneJob({regular_on}, "", true)), "E2.orderly_exit");
  EXPECT_EQ(rule(CheckOneJob({regular_acc}, "", true)), "E1.one_job");
  EXPECT_EQ(rule(CheckOneJob({post}, "", true)), "E1.one_job");
  EXPECT_EQ(rule(CheckOneJob({relief}, "", true)), "E1.one_job");
  // Proposed and ended placements are not held.
  EXPECT_EQ(rule(CheckOneJob({Held("pl-1", v1::JOB_KIND_REGULAR, v1::PLACEMENT_STATUS_PROPOSED),
                              Held("pl-4", v1::JOB_KIND_REGULAR, v1::PLACEMENT_STATUS_ENDED)},
                             "", true)),
            "");
  EXPECT_NE(CheckOneJob({post}, "pl-x", false).message().find("pl-p"), std::string_view::npos);
}

TEST(OneJobTest, NoPostSubsidyForAMonthWithARegularJob) {
  v1::Placement post =
      Held("pl-p", v1::JOB_KIND_PUBLIC_WELFARE, v1::PLACEMENT_STATUS_ON_DUTY, "2026-04-01");
  post.set_agreement_start("2026-04-01");
  post.set_agreement_end("2027-03-31");
  const auto month = [](const char* m) { return *ParseMonth(m); };
  const auto job = [](const char* start, const char* end) {
    return Held("pl-r", v1::JOB_KIND_REGULAR,
                *end ? v1::PLACEMENT_STATUS_ENDED : v1::PLACEMENT_STATUS_ON_DUTY, start, end);
  };
  // On duty through the month, or part of it.
  EXPECT_FALSE(CheckNoRegularJobInMonth(post, {job("2026-05-01", "")}, month("2026-06")).ok());
  EXPECT_FALSE(CheckNoRegularJobInMonth(post, {job("2026-06-20", "")}, month("2026-06")).ok());
  EXPECT_FALSE(
      CheckNoRegularJobInMonth(post, {job("2026-05-01", "2026-06-02")}, month("2026-06")).ok());
  const auto refused = CheckNoRegularJobInMonth(post, {job("2026-05-01", "")}, month("2026-06"));
  EXPECT_EQ(refused.message().substr(0, 15), "E2.orderly_exit");
  // Not in that month: before it started, after it ended.
  EXPECT_TRUE(CheckNoRegularJobInMonth(post, {job("2026-07-01", "")}, month("2026-06")).ok());
  EXPECT_TRUE(
      CheckNoRegularJobInMonth(post, {job("2026-04-01", "2026-05-31")}, month("2026-06")).ok());
  // The handover day of an orderly exit: the post ended the day the job began.
  v1::Placement ended = post;
  ended.set_status(v1::PLACEMENT_STATUS_ENDED);
  ended.set_end_date("2026-06-15");
  EXPECT_TRUE(CheckNoRegularJobInMonth(ended, {job("2026-06-15", "")}, month("2026-06")).ok());
  EXPECT_FALSE(CheckNoRegularJobInMonth(ended, {job("2026-06-14", "")}, month("2026-06")).ok());
  // A job before the post's agreement started, in its first month.
  EXPECT_TRUE(
      CheckNoRegularJobInMonth(post, {job("2026-03-01", "2026-04-01")}, month("2026-04")).ok());
  // Other kinds and jobs never on duty do not count.
  auto relief = job("2026-05-01", "");
  relief.set_job_kind(v1::JOB_KIND_WORK_RELIEF);
  EXPECT_TRUE(CheckNoRegularJobInMonth(post, {relief}, month("2026-06")).ok());
  EXPECT_TRUE(CheckNoRegularJobInMonth(post, {job("", "")}, month("2026-06")).ok());
}

struct ExitCase {
  const char* name;
  const char* eliminated;  // "" none
  bool regular_job;
  const char* as_of;
  bool exit;
  v1::EndReason reason;
};
class ExitTest : public ::testing::TestWithParam<ExitCase> {};
TEST_P(ExitTest, M9bAndRegularJob) {
  const auto& c = GetParam();
  std::optional<absl::CivilDay> elim;
  if (*c.eliminated) elim = Day(c.eliminated);
  const auto d = DecidePostExit(Day("2026-12-31"), elim, c.regular_job, Day(c.as_of));
  EXPECT_EQ(d.exit, c.exit) << c.name << ": " << d.detail;
  EXPECT_EQ(d.reason, c.reason) << c.name;
}
INSTANTIATE_TEST_SUITE_P(
    All, ExitTest,
    ::testing::Values(
        ExitCase{"no reason", "", false, "2027-02-01", false, v1::END_REASON_UNSPECIFIED},
        ExitCase{"eliminated, agreement running", "2026-06-01", false, "2026-11-01", false,
                 v1::END_REASON_UNSPECIFIED},
        ExitCase{"eliminated, last day of agreement", "2026-06-01", false, "2026-12-31", false,
                 v1::END_REASON_UNSPECIFIED},
        ExitCase{"eliminated, agreement ended", "2026-06-01", false, "2027-01-01", true,
                 v1::END_REASON_RISK_ELIMINATED},
        ExitCase{"regular job", "", true, "2026-11-01", true, v1::END_REASON_REGULAR_JOB}));

// ---- Wages and transport ------------------------------------------------------------

TEST(OverdueTest, FiresOnTheConfiguredDay) {
  Policy p;
  p.overdue_wage_day = 10;
  EXPECT_FALSE(WageDueMonth(Day("2026-11-09"), p).has_value());
  ASSERT_TRUE(WageDueMonth(Day("2026-11-10"), p).has_value());
  EXPECT_EQ(FormatMonth(*WageDueMonth(Day("2026-11-10"), p)), "2026-10");
  const auto due = *WageDueMonth(Day("2026-11-10"), p);
  EXPECT_TRUE(WageOverdue(Day("2026-09-01"), due, {"2026-09"}));
  EXPECT_FALSE(WageOverdue(Day("2026-09-01"), due, {"2026-09", "2026-10"}));
  EXPECT_FALSE(WageOverdue(Day("2026-11-01"), due, {}));  // started after the month
}

TEST(OverdueTest, AnEndedPlacementOwesItsUnpaidMonthsUpToTheEnd) {
  Policy p;
  p.overdue_wage_day = 10;
  EXPECT_EQ(FormatMonth(LastDueMonth(Day("2026-09-09"), p)), "2026-07");
  EXPECT_EQ(FormatMonth(LastDueMonth(Day("2026-09-10"), p)), "2026-08");
  EXPECT_EQ(FormatMonth(LastDueMonth(Day("2026-01-09"), p)), "2025-11");
  const auto months = [](const std::vector<absl::CivilMonth>& ms) {
    std::vector<std::string> out;
    for (const auto m : ms) out.push_back(FormatMonth(m));
    return out;
  };
  using V = std::vector<std::string>;
  const auto start = Day("2026-06-01"), end = Day("2026-08-20");
  EXPECT_EQ(months(UnpaidMonthsOfEnded(start, end, *ParseMonth("2026-07"), {"2026-06"})),
            (V{"2026-07"}));
  EXPECT_EQ(months(UnpaidMonthsOfEnded(start, end, *ParseMonth("2026-12"), {"2026-06"})),
            (V{"2026-07", "2026-08"}));  // nothing after the end month
  EXPECT_EQ(months(UnpaidMonthsOfEnded(start, end, *ParseMonth("2026-12"),
                                       {"2026-06", "2026-07", "2026-08"})),
            V{});
  EXPECT_EQ(months(UnpaidMonthsOfEnded(start, end, *ParseMonth("2026-05"), {})), V{});
  // Started and ended in one month.
  EXPECT_EQ(
      months(UnpaidMonthsOfEnded(Day("2026-06-03"), Day("2026-06-20"), *ParseMonth("2026-06"), {})),
      (V{"2026-06"}));
}

// RecordWage's months: from the start month to the end month of an ended
// placement; outside, INVALID_ARGUMENT naming month.
struct WageMonthCase {
  const char* name;
  v1::PlacementStatus status;
  const char* start;  // "" never started
  const char* end;    // "" not ended
  const char* month;
  bool ok;
  const char* detail;  // in the refusal
};
class WageMonthTest : public ::testing::TestWithParam<WageMonthCase> {};
TEST_P(WageMonthTest, FromStartToEndMonth) {
  const auto& c = GetParam();
  v1::Placement p;
  p.set_status(c.status);
  p.set_start_date(c.start);
  p.set_end_date(c.end);
  const auto s = CheckWageMonth(p, *ParseMonth(c.month));
  if (c.ok) {
    EXPECT_TRUE(s.ok()) << s;
    return;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  ASSERT_EQ(errors::FieldViolationsOf(s).size(), 1u) << s;
  EXPECT_EQ(errors::FieldViolationsOf(s)[0].field, "month");
  EXPECT_NE(errors::FieldViolationsOf(s)[0].description.find(c.detail), std::string::npos) << s;
}
INSTANTIATE_TEST_SUITE_P(
    All, WageMonthTest,
    ::testing::Values(WageMonthCase{"OnDutyStartMonth", v1::PLACEMENT_STATUS_ON_DUTY, "2026-06-15",
                                    "", "2026-06", true, ""},
                      WageMonthCase{"OnDutyLater", v1::PLACEMENT_STATUS_ON_DUTY, "2026-06-15", "",
                                    "2027-01", true, ""},
                      WageMonthCase{"BeforeStart", v1::PLACEMENT_STATUS_ON_DUTY, "2026-06-15", "",
                                    "2026-05", false, "before the placement started (2026-06-15)"},
                      WageMonthCase{"NeverStarted", v1::PLACEMENT_STATUS_ENDED, "", "2026-08-20",
                                    "2026-06", false, "before the placement started"},
                      WageMonthCase{"EndedEndMonth", v1::PLACEMENT_STATUS_ENDED, "2026-06-15",
                                    "2026-08-20", "2026-08", true, ""},
                      WageMonthCase{"EndedInside", v1::PLACEMENT_STATUS_ENDED, "2026-06-15",
                                    "2026-08-20", "2026-07", true, ""},
                      WageMonthCase{"EndedMonthAfter", v1::PLACEMENT_STATUS_ENDED, "2026-06-15",
                                    "2026-08-20", "2026-09", false,
                                    "after the month the placement ended (2026-08-20)"},
                      WageMonthCase{"EndedYearAfter", v1::PLACEMENT_STATUS_ENDED, "2026-06-15",
                                    "2026-08-20", "2027-08", false, "2026-08-20"},
                      WageMonthCase{"EndedOnItsFirstDay", v1::PLACEMENT_STATUS_ENDED, "2026-06-01",
                                    "2026-06-01", "2026-07", false, "2026-06-01"}),
    [](const auto& info) { return std::string(info.param.name); });

struct SettledCase {
  const char* name;
  const char* start;
  const char* end;
  std::vector<std::string> paid;
  bool settled;
};
class SettledTest : public ::testing::TestWithParam<SettledCase> {};
TEST_P(SettledTest, EveryMonthFromStartToEndPaid) {
  const auto& c = GetParam();
  EXPECT_EQ(WagesSettled(Day(c.start), Day(c.end), c.paid), c.settled);
}
INSTANTIATE_TEST_SUITE_P(
    All, SettledTest,
    ::testing::Values(
        SettledCase{"AllPaid", "2026-06-01", "2026-08-20", {"2026-06", "2026-07", "2026-08"}, true},
        SettledCase{"EndMonthUnpaid", "2026-06-01", "2026-08-20", {"2026-06", "2026-07"}, false},
        SettledCase{"MiddleUnpaid", "2026-06-01", "2026-08-20", {"2026-06", "2026-08"}, false},
        SettledCase{"NothingPaid", "2026-06-01", "2026-06-20", {}, false},
        SettledCase{"OneMonthPaid", "2026-06-03", "2026-06-20", {"2026-06"}, true},
        SettledCase{"PaidOutsideTooStillSettled",
                    "2026-06-01",
                    "2026-07-31",
                    {"2026-05", "2026-06", "2026-07", "2026-09"},
                    true}),
    [](const auto& info) { return std::string(info.param.name); });

// Attendance months: not after the month of `today`.
struct MonthBegunCase {
  const char* name;
  const char* month;
  const char* today;
  bool ok;
};
class MonthBegunTest : public ::testing::TestWithParam<MonthBegunCase> {};
TEST_P(MonthBegunTest, NotAfterTheCurrentMonth) {
  const auto& c = GetParam();
  errors::Validator v;
  CheckMonthBegun(*ParseMonth(c.month), Day(c.today), "month", v);
  EXPECT_EQ(v.ok(), c.ok) << v.ToStatus();
  if (!c.ok) {
    const auto s = v.ToStatus();
    ASSERT_EQ(errors::FieldViolationsOf(s).size(), 1u) << s;
    EXPECT_EQ(errors::FieldViolationsOf(s)[0].field, "month");
    EXPECT_NE(errors::FieldViolationsOf(s)[0].description.find(
                  FormatMonth(absl::CivilMonth(Day(c.today)))),
              std::string::npos)
        << s;
  }
}
INSTANTIATE_TEST_SUITE_P(
    All, MonthBegunTest,
    ::testing::Values(MonthBegunCase{"PastMonth", "2026-10", "2026-11-25", true},
                      MonthBegunCase{"CurrentMonth", "2026-11", "2026-11-25", true},
                      MonthBegunCase{"FirstDayOfMonth", "2026-12", "2026-12-01", true},
                      MonthBegunCase{"NextMonth", "2026-12", "2026-11-30", false},
                      MonthBegunCase{"NextYear", "2027-01", "2026-12-31", false},
                      MonthBegunCase{"FarFuture", "2030-01", "2026-11-25", false}),
    [](const auto& info) { return std::string(info.param.name); });

struct TransportCase {
  v1::Destination destination;
  int months;
  bool priority;
  int64_t fen;  // -1 refused
  const char* rule;
};
class TransportTest : public ::testing::TestWithParam<TransportCase> {};
TEST_P(TransportTest, E4) {
  const auto& c = GetParam();
  const auto r = TransportSubsidy(c.destination, c.months, c.priority, Policy{});
  if (c.fen >= 0) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, c.fen);
  } else {
    EXPECT_TRUE(absl::IsFailedPrecondition(r.status()));
    EXPECT_NE(r.status().message().find(c.rule), std::string_view::npos) << r.status();
  }
}
INSTANTIATE_TEST_SUITE_P(
    All, TransportTest,
    ::testing::Values(
        TransportCase{v1::DESTINATION_OTHER_PROVINCE, 2, true, -1, "E4.months_in_work"},
        TransportCase{v1::DESTINATION_OTHER_PROVINCE, 3, true, 60'000, ""},
        TransportCase{v1::DESTINATION_OTHER_PREFECTURE, 5, true, 30'000, ""},
        TransportCase{v1::DESTINATION_OTHER_COUNTY, 3, true, 20'000, ""},
        TransportCase{v1::DESTINATION_SAME_COUNTY, 12, true, -1, "E4.destination"},
        TransportCase{v1::DESTINATION_OTHER_PROVINCE, 6, false, -1, "E4.monitoring_status"}));

TEST(TransportOncePerQuarterTest, E4PaidQuarterly) {
  v1::TransportSubsidy q3;
  q3.set_subsidy_id("ts-1");
  q3.set_placement_id("pl-1");
  q3.set_quarter("2026-Q3");
  EXPECT_TRUE(CheckTransportOncePerQuarter({}, "pl-2", "2026-Q4").ok());
  EXPECT_TRUE(CheckTransportOncePerQuarter({q3}, "pl-2", "2026-Q4").ok());
  const auto s = CheckTransportOncePerQuarter({q3}, "pl-2", "2026-Q3");
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_EQ(s.message().substr(0, 19), "E4.once_per_quarter");
  EXPECT_NE(s.message().find("pl-1"), std::string_view::npos);
  // The same placement again: one-time, whatever the quarter.
  EXPECT_TRUE(absl::IsAlreadyExists(CheckTransportOncePerQuarter({q3}, "pl-1", "2026-Q4")));
}

TEST(DatesTest, StartDateBetweenAcceptanceAndToday) {
  const auto check = [](const char* start, const char* accepted, const char* today) {
    errors::Validator v;
    CheckStartDate(Day(start),
                   *accepted ? std::optional<absl::CivilDay>(Day(accepted)) : std::nullopt,
                   Day(today), v);
    const auto s = v.ToStatus();
    if (!s.ok()) {
      EXPECT_NE(s.message().find("start_date"), std::string_view::npos) << s;
    }
    return s.ok();
  };
  EXPECT_TRUE(check("2026-11-10", "2026-11-10", "2026-11-20"));
  EXPECT_TRUE(check("2026-11-20", "2026-11-10", "2026-11-20"));
  EXPECT_FALSE(check("2026-11-21", "2026-11-10", "2026-11-20"));  // after today
  EXPECT_FALSE(check("2026-11-09", "2026-11-10", "2026-11-20"));  // before acceptance
  EXPECT_FALSE(check("2026-07-01", "2026-11-10", "2026-11-20"));
  // Accepted before the day was recorded: up to 31 days back.
  EXPECT_TRUE(check("2026-10-20", "", "2026-11-20"));
  EXPECT_FALSE(check("2026-10-19", "", "2026-11-20"));
  EXPECT_FALSE(check("2026-11-21", "", "2026-11-20"));
}

TEST(DatesTest, AgreementStartNearToday) {
  const auto ok = [](const char* start) {
    errors::Validator v;
    CheckAgreementStart(Day(start), Day("2026-11-25"), v);
    const auto s = v.ToStatus();
    if (!s.ok()) {
      EXPECT_NE(s.message().find("agreement_start"), std::string_view::npos) << s;
    }
    return s.ok();
  };
  EXPECT_TRUE(ok("2026-11-25"));
  EXPECT_TRUE(ok("2026-10-25"));   // 31 days back
  EXPECT_FALSE(ok("2026-10-24"));  // 32
  EXPECT_FALSE(ok("2025-12-01"));
  EXPECT_TRUE(ok("2027-02-25"));   // 92 days ahead
  EXPECT_FALSE(ok("2027-02-26"));  // 93
}

TEST(SubsidyTest, AttendanceOfAPaidMonthIsKept) {
  EXPECT_TRUE(CheckAttendanceRewrite(std::nullopt, false, 20, "2026-11").ok());
  EXPECT_TRUE(CheckAttendanceRewrite(20, false, 0, "2026-11").ok());  // not paid: corrected
  EXPECT_TRUE(CheckAttendanceRewrite(20, true, 20, "2026-11").ok());  // the same again
  const auto s = CheckAttendanceRewrite(20, true, 0, "2026-11");
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_EQ(s.message().substr(0, 13), "E2.attendance");
  EXPECT_FALSE(CheckAttendanceRewrite(20, true, 21, "2026-11").ok());
  EXPECT_FALSE(CheckAttendanceRewrite(std::nullopt, true, 20, "2026-11").ok());
}

TEST(PersonalDataTest, MonitoredFlagFromTheHouseholdStatus) {
  v1::Worker w = Worker();
  w.mutable_flags()->set_monitored_household(true);
  w.mutable_flags()->set_lifted_household(true);
  ApplyHouseholdStatus(w, std::nullopt);  // no event: not monitored
  EXPECT_FALSE(w.flags().monitored_household());
  EXPECT_TRUE(w.flags().lifted_household());  // the caller's
  ApplyHouseholdStatus(w, true);
  EXPECT_TRUE(w.flags().monitored_household());
  ApplyHouseholdStatus(w, false);
  EXPECT_FALSE(w.flags().monitored_household());
}

TEST(ValidateTest, HouseholdOfTheWorkersCounty) {
  const v1::Worker w = Worker();  // village 653121101201
  EXPECT_TRUE(CheckHouseholdCounty(w, std::nullopt).ok());
  EXPECT_TRUE(CheckHouseholdCounty(w, std::string("653121101201")).ok());
  EXPECT_TRUE(CheckHouseholdCounty(w, std::string("653121202203")).ok());  // same county
  const auto s = CheckHouseholdCounty(w, std::string("653122101201"));
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("worker.household_id"), std::string_view::npos) << s;
}

TEST(DatesTest, MonthsAndAges) {
  EXPECT_EQ(MonthsBetween(Day("2026-08-15"), Day("2026-10-14")), 1);
  EXPECT_EQ(MonthsBetween(Day("2026-08-15"), Day("2026-10-15")), 2);
  EXPECT_EQ(MonthsBetween(Day("2026-08-15"), Day("2026-11-15")), 3);
  // A start on the 31st: a shorter month completes on its last day.
  EXPECT_EQ(MonthsBetween(Day("2026-01-31"), Day("2026-02-27")), 0);
  EXPECT_EQ(MonthsBetween(Day("2026-01-31"), Day("2026-02-28")), 1);
  EXPECT_EQ(MonthsBetween(Day("2026-01-31"), Day("2026-04-29")), 2);
  EXPECT_EQ(MonthsBetween(Day("2026-01-31"), Day("2026-04-30")), 3);
  EXPECT_EQ(MonthsBetween(Day("2026-01-31"), Day("2026-05-30")), 3);
  EXPECT_EQ(MonthsBetween(Day("2026-01-31"), Day("2026-05-31")), 4);
  EXPECT_EQ(MonthsBetween(Day("2024-01-30"), Day("2024-02-29")), 1);  // leap year
  EXPECT_EQ(MonthsBetween(Day("2026-08-15"), Day("2026-08-01")), 0);
  // Months in work stop at the end of an ended placement.
  EXPECT_EQ(MonthsInWork(Day("2026-05-01"), std::nullopt, Day("2026-11-20")), 6);
  EXPECT_EQ(MonthsInWork(Day("2026-05-01"), Day("2026-08-10"), Day("2026-11-20")), 3);
  EXPECT_EQ(MonthsInWork(Day("2026-05-01"), Day("2026-07-31"), Day("2026-11-20")), 2);
  EXPECT_EQ(MonthsInWork(Day("2026-05-01"), Day("2026-12-31"), Day("2026-06-01")), 1);
  EXPECT_EQ(AgeOn(Day("1965-11-02"), Day("2026-11-01")), 60);
  EXPECT_EQ(AgeOn(Day("1965-11-01"), Day("2026-11-01")), 61);
  EXPECT_FALSE(ParseDate("2026-02-30").has_value());
  EXPECT_FALSE(ParseMonth("2026-13").has_value());
  EXPECT_EQ(QuarterOf(Day("2026-11-01")), "2026-Q4");
}

TEST(ValidateTest, WorkerNamesTheFields) {
  v1::Worker w = Worker();
  w.set_person_id("65312119900501123X");  // a clear ID number
  w.set_division_code("6531");
  w.set_willingness(v1::WILLINGNESS_UNSPECIFIED);
  errors::Validator v;
  ValidateWorker(w, v);
  const auto s = v.ToStatus();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  for (const char* f : {"worker.person_id", "worker.division_code", "worker.willingness"}) {
    EXPECT_NE(s.message().find(f), std::string_view::npos) << s;
  }
}

TEST(WorkshopTest, E3CertificationNeedsFiveLiftedWorkers) {
  v1::Employer e;
  e.set_kind(v1::EMPLOYER_KIND_ASSISTANCE_WORKSHOP);
  e.set_lifted_workers(4);
  EXPECT_FALSE(WorkshopCertified(e));
  e.set_lifted_workers(5);
  EXPECT_TRUE(WorkshopCertified(e));
}

struct YuluCase {
  YuluHousehold household;
  bool vocational;
  YuluStudy study;
  int64_t fen;  // -1 refused
  const char* rule;
};
class YuluTest : public ::testing::TestWithParam<YuluCase> {};
TEST_P(YuluTest, E5) {
  const auto& c = GetParam();
  const auto r = YuluTermPayment({c.household, c.vocational, c.study}, 300'000);
  if (c.fen >= 0) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, c.fen);
  } else {
    EXPECT_TRUE(absl::IsFailedPrecondition(r.status()));
    EXPECT_NE(r.status().message().find(c.rule), std::string_view::npos) << r.status();
  }
}
INSTANTIATE_TEST_SUITE_P(
    All, YuluTest,
    ::testing::Values(
        YuluCase{YuluHousehold::kLifted, true, YuluStudy::kEnrolled, 150'000, ""},
        YuluCase{YuluHousehold::kMonitored, true, YuluStudy::kEnrolled, 150'000, ""},
        YuluCase{YuluHousehold::kMonitoredEliminated, true, YuluStudy::kEnrolled, -1,
                 "E5.household_status"},
        YuluCase{YuluHousehold::kOther, true, YuluStudy::kEnrolled, -1, "E5.household_status"},
        YuluCase{YuluHousehold::kLifted, false, YuluStudy::kEnrolled, -1, "E5.school"},
        YuluCase{YuluHousehold::kLifted, true, YuluStudy::kSuspended, -1, "E5.suspended"},
        YuluCase{YuluHousehold::kLifted, true, YuluStudy::kDroppedOut, -1, "E5.dropped_out"}));

}  // namespace
}  // namespace zx::employment
