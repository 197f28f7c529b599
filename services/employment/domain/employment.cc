#include "services/employment/domain/employment.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/strings.h"

namespace zx::employment {
namespace {

bool Blank(const std::string& s) { return absl::StripAsciiWhitespace(s).empty(); }

bool IsDivision(std::string_view s) {
  return s.size() == 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

absl::Status Refuse(absl::string_view rule, absl::string_view detail) {
  return absl::FailedPreconditionError(absl::StrCat(rule, ": ", detail));
}

}  // namespace

// ---- Policy ---------------------------------------------------------------------

v1::EmploymentPolicy PolicyToProto(const Policy& p) {
  v1::EmploymentPolicy out;
  out.set_overdue_wage_day(p.overdue_wage_day);
  out.set_post_min_age(p.post_min_age);
  out.set_post_max_age(p.post_max_age);
  out.set_transport_min_months(p.transport_min_months);
  out.set_transport_other_county_fen(p.transport_other_county_fen);
  out.set_transport_other_prefecture_fen(p.transport_other_prefecture_fen);
  out.set_transport_other_province_fen(p.transport_other_province_fen);
  auto* w = out.mutable_weights();
  w->set_monitored_household(p.weights.monitored_household);
  w->set_lifted_household(p.weights.lifted_household);
  w->set_yulu_graduate(p.weights.yulu_graduate);
  w->set_relocated_household(p.weights.relocated_household);
  w->set_wage_per_100_yuan(p.weights.wage_per_100_yuan);
  w->set_in_region_penalty(p.weights.in_region_penalty);
  w->set_out_of_region_penalty(p.weights.out_of_region_penalty);
  w->set_preferred_skill(p.weights.preferred_skill);
  w->set_placement(p.weights.placement);
  return out;
}

Policy PolicyFromProto(const v1::EmploymentPolicy& in) {
  Policy p;
  const auto keep = [](auto value, auto& field) {
    if (value != 0) field = value;
  };
  keep(in.overdue_wage_day(), p.overdue_wage_day);
  keep(in.post_min_age(), p.post_min_age);
  keep(in.post_max_age(), p.post_max_age);
  keep(in.transport_min_months(), p.transport_min_months);
  keep(in.transport_other_county_fen(), p.transport_other_county_fen);
  keep(in.transport_other_prefecture_fen(), p.transport_other_prefecture_fen);
  keep(in.transport_other_province_fen(), p.transport_other_province_fen);
  const auto& w = in.weights();
  keep(w.monitored_household(), p.weights.monitored_household);
  keep(w.lifted_household(), p.weights.lifted_household);
  keep(w.yulu_graduate(), p.weights.yulu_graduate);
  keep(w.relocated_household(), p.weights.relocated_household);
  keep(w.wage_per_100_yuan(), p.weights.wage_per_100_yuan);
  keep(w.in_region_penalty(), p.weights.in_region_penalty);
  keep(w.out_of_region_penalty(), p.weights.out_of_region_penalty);
  keep(w.preferred_skill(), p.weights.preferred_skill);
  keep(w.placement(), p.weights.placement);
  return p;
}

void ValidatePolicy(const v1::EmploymentPolicy& p, errors::Validator& v) {
  if (p.overdue_wage_day() < 0 || p.overdue_wage_day() > 28) {
    v.Add("policy.overdue_wage_day", "must be 1..28 (0 keeps the default 15)");
  }
  if (p.post_min_age() < 0 || p.post_min_age() > 30) v.Add("policy.post_min_age", "must be 0..30");
  if (p.post_max_age() < 0 || p.post_max_age() > 65) {
    v.Add("policy.post_max_age", "must be 0..65 (RULES E2: up to 65)");
  }
  if (p.post_min_age() != 0 && p.post_max_age() != 0 && p.post_min_age() > p.post_max_age()) {
    v.Add("policy.post_max_age", "must not be below post_min_age");
  }
  if (p.transport_min_months() < 0 || p.transport_min_months() > 24) {
    v.Add("policy.transport_min_months", "must be 0..24");
  }
  for (auto [name, fen] : {std::pair{"transport_other_county_fen", p.transport_other_county_fen()},
                           {"transport_other_prefecture_fen", p.transport_other_prefecture_fen()},
                           {"transport_other_province_fen", p.transport_other_province_fen()}}) {
    if (fen < 0 || fen > 10'000 * 100) {
      v.Add(absl::StrCat("policy.", name), "must be 0..1,000,000 fen (E4: up to 1,000 yuan ×10)");
    }
  }
  const auto& w = p.weights();
  for (int64_t x : {w.monitored_household(), w.lifted_household(), w.yulu_graduate(),
                    w.relocated_household(), w.wage_per_100_yuan(), w.in_region_penalty(),
                    w.out_of_region_penalty(), w.preferred_skill(), w.placement()}) {
    if (x < 0 || x > 1000) {
      v.Add("policy.weights", "every weight must be 0..1,000");
      break;
    }
  }
}

// ---- Ids, dates -------------------------------------------------------------------

int AgeOn(absl::CivilDay birth, absl::CivilDay day) {
  int age = static_cast<int>(day.year() - birth.year());
  if (day.month() < birth.month() || (day.month() == birth.month() && day.day() < birth.day())) {
    --age;
  }
  return age;
}

void MaskPersonalData(v1::Worker& w) {
  if (w.birth_date().size() > 4) w.set_birth_date(w.birth_date().substr(0, 4));
  w.set_personal_data_masked(true);
}

void ApplyHouseholdStatus(v1::Worker& w, std::optional<bool> monitored) {
  w.mutable_flags()->set_monitored_household(monitored.value_or(false));
}

absl::Status CheckHouseholdCounty(const v1::Worker& w,
                                  const std::optional<std::string>& household_village) {
  if (!household_village || household_village->size() < 6 || w.division_code().size() < 6 ||
      household_village->substr(0, 6) == w.division_code().substr(0, 6)) {
    return absl::OkStatus();
  }
  return errors::InvalidField(
      "worker.household_id",
      absl::StrCat("household ", w.household_id(), " lies in village ", *household_village,
                   " (monitoring), outside the county of the worker's division ",
                   w.division_code()));
}

int MonthsBetween(absl::CivilDay start, absl::CivilDay day) {
  if (day < start) return 0;
  int months = static_cast<int>((day.year() - start.year()) * 12 + (day.month() - start.month()));
  const bool last_of_month = (day + 1).month() != day.month();
  if (day.day() < start.day() && !last_of_month) --months;
  return std::max(months, 0);
}

int MonthsInWork(absl::CivilDay start, std::optional<absl::CivilDay> end, absl::CivilDay as_of) {
  return MonthsBetween(start, end && *end < as_of ? *end : as_of);
}

void CheckStartDate(absl::CivilDay start, std::optional<absl::CivilDay> accepted_on,
                    absl::CivilDay today, errors::Validator& v) {
  if (start > today) {
    v.Add("start_date", absl::StrCat("must not be later than today (", FormatDate(today),
                                     "): a placement starts on duty when it does"));
  } else if (accepted_on && start < *accepted_on) {
    v.Add("start_date", absl::StrCat("must not be before the placement was accepted (",
                                     FormatDate(*accepted_on), ")"));
  } else if (!accepted_on && start < today - kStartDatePastDaysWithoutAcceptance) {
    v.Add("start_date", absl::StrCat("must not be more than ", kStartDatePastDaysWithoutAcceptance,
                                     " days before today (", FormatDate(today), ")"));
  }
}

void CheckAgreementStart(absl::CivilDay start, absl::CivilDay today, errors::Validator& v) {
  if (start < today - kAgreementStartPastDays) {
    v.Add("agreement_start",
          absl::StrCat("must not be more than ", kAgreementStartPastDays, " days before today (",
                       FormatDate(today), "): the age rule and the subsidy start on it"));
  } else if (start > today + kAgreementStartFutureDays) {
    v.Add("agreement_start", absl::StrCat("must not be more than ", kAgreementStartFutureDays,
                                          " days after today (", FormatDate(today), ")"));
  }
}

// ---- Validation -------------------------------------------------------------------

namespace {
void ValidateNames(const google::protobuf::RepeatedPtrField<std::string>& names,
                   const std::string& field, errors::Validator& v) {
  if (names.size() > 50) v.Add(field, "at most 50 entries");
  for (const auto& s : names) {
    if (Blank(s) || s.size() > 100) {
      v.Add(field, "entries must be 1..100 bytes");
      return;
    }
  }
}
}  // namespace

void ValidateWorker(const v1::Worker& w, errors::Validator& v) {
  if (!w.worker_id().empty() && !IsId(w.worker_id(), "wk")) {
    v.Add("worker.worker_id", "must be empty (new) or look like wk- and 20 hex digits");
  }
  // A person reference, never a clear ID number (18 characters of digits/X).
  if (Blank(w.person_id()) || w.person_id().size() > 64) {
    v.Add("worker.person_id", "is required: the monitoring service's person id (1..64 bytes)");
  } else if (w.person_id().size() == 18 &&
             std::all_of(w.person_id().begin(), w.person_id().begin() + 17,
                         [](char c) { return c >= '0' && c <= '9'; })) {
    v.Add("worker.person_id", "looks like a clear ID number: pass the monitoring person id");
  }
  if (Blank(w.household_id()) || w.household_id().size() > 64) {
    v.Add("worker.household_id", "is required: the monitoring service's household id");
  }
  if (!IsDivision(w.division_code())) v.Add("worker.division_code", "must be 12 digits");
  auto birth = ParseDate(w.birth_date());
  if (!birth || birth->year() < 1900) {
    v.Add("worker.birth_date", "must be a date like 1990-05-01");
  }
  ValidateNames(w.skills(), "worker.skills", v);
  ValidateNames(w.certificates(), "worker.certificates", v);
  if (w.education_years() < 0 || w.education_years() > 30) {
    v.Add("worker.education_years", "must be 0..30");
  }
  if (w.language_level() < 0 || w.language_level() > 5) {
    v.Add("worker.language_level", "must be 0..5");
  }
  if (w.willingness() == v1::WILLINGNESS_UNSPECIFIED || !v1::Willingness_IsValid(w.willingness())) {
    v.Add("worker.willingness", "must be LOCAL, IN_REGION or OUT_OF_REGION");
  }
  if (w.labour_capacity() == v1::LABOUR_CAPACITY_UNSPECIFIED ||
      !v1::LabourCapacity_IsValid(w.labour_capacity())) {
    v.Add("worker.labour_capacity", "must be FULL, PARTIAL or NONE");
  }
}

void ValidateEmployer(const v1::Employer& e, errors::Validator& v) {
  if (!e.employer_id().empty() && !IsId(e.employer_id(), "em")) {
    v.Add("employer.employer_id", "must be empty (new) or look like em- and 20 hex digits");
  }
  if (Blank(e.name()) || e.name().size() > 200)
    v.Add("employer.name", "is required (1..200 bytes)");
  if (e.kind() == v1::EMPLOYER_KIND_UNSPECIFIED || !v1::EmployerKind_IsValid(e.kind())) {
    v.Add("employer.kind", "must be a known employer kind");
  }
  if (!IsDivision(e.division_code())) v.Add("employer.division_code", "must be 12 digits");
  if (e.kind() == v1::EMPLOYER_KIND_PARTNER_PROVINCE && e.partner_province().size() != 2) {
    v.Add("employer.partner_province", "is the partner's 2-digit region code");
  }
  if (e.lifted_workers() < 0) v.Add("employer.lifted_workers", "must not be negative");
}

void ValidateJob(const v1::Job& j, errors::Validator& v) {
  if (!j.job_id().empty() && !IsId(j.job_id(), "jb")) {
    v.Add("job.job_id", "must be empty (new) or look like jb- and 20 hex digits");
  }
  if (!IsId(j.employer_id(), "em"))
    v.Add("job.employer_id", "must look like em- and 20 hex digits");
  if (Blank(j.title()) || j.title().size() > 200) v.Add("job.title", "is required (1..200 bytes)");
  if (j.kind() == v1::JOB_KIND_UNSPECIFIED || !v1::JobKind_IsValid(j.kind())) {
    v.Add("job.kind", "must be REGULAR, PUBLIC_WELFARE or WORK_RELIEF");
  }
  if (j.kind() == v1::JOB_KIND_PUBLIC_WELFARE) {
    if (j.public_welfare_kind() == v1::PUBLIC_WELFARE_KIND_UNSPECIFIED ||
        !v1::PublicWelfareKind_IsValid(j.public_welfare_kind())) {
      v.Add("job.public_welfare_kind", "is required for a public-welfare post");
    }
    if (Blank(j.need_ref())) {
      v.Add("job.need_ref", "is required: a post is created against a recorded need (按需设岗)");
    }
    if (j.partner_province()) v.Add("job.partner_province", "public-welfare posts are local");
  } else if (j.public_welfare_kind() != v1::PUBLIC_WELFARE_KIND_UNSPECIFIED) {
    v.Add("job.public_welfare_kind", "only for a public-welfare post");
  }
  if (!IsDivision(j.location_division_code())) {
    v.Add("job.location_division_code", "must be 12 digits (a partner province: its region code)");
  }
  if (j.monthly_wage_fen() <= 0 || j.monthly_wage_fen() > 10'000'000) {
    v.Add("job.monthly_wage_fen", "must be 1..10,000,000 fen");
  }
  if (j.slots() <= 0 || j.slots() > 100'000) v.Add("job.slots", "must be 1..100,000");
  ValidateNames(j.required_skills(), "job.required_skills", v);
  ValidateNames(j.preferred_skills(), "job.preferred_skills", v);
  if (j.min_language_level() < 0 || j.min_language_level() > 5) {
    v.Add("job.min_language_level", "must be 0..5");
  }
}

// ---- Reach and destination -----------------------------------------------------------

v1::Willingness ReachOf(std::string_view worker, std::string_view job, bool partner) {
  if (partner || worker.substr(0, 2) != job.substr(0, 2)) return v1::WILLINGNESS_OUT_OF_REGION;
  if (worker.substr(0, 6) != job.substr(0, 6)) return v1::WILLINGNESS_IN_REGION;
  return v1::WILLINGNESS_LOCAL;
}

v1::Destination DestinationOf(std::string_view worker, std::string_view job, bool partner) {
  if (partner || worker.substr(0, 2) != job.substr(0, 2)) return v1::DESTINATION_OTHER_PROVINCE;
  if (worker.substr(0, 4) != job.substr(0, 4)) return v1::DESTINATION_OTHER_PREFECTURE;
  if (worker.substr(0, 6) != job.substr(0, 6)) return v1::DESTINATION_OTHER_COUNTY;
  return v1::DESTINATION_SAME_COUNTY;
}

const char* WillingnessName(v1::Willingness w) {
  switch (w) {
    case v1::WILLINGNESS_LOCAL:
      return "local";
    case v1::WILLINGNESS_IN_REGION:
      return "in-region";
    case v1::WILLINGNESS_OUT_OF_REGION:
      return "out-of-region";
    default:
      return "unspecified";
  }
}

// ---- Hard constraints ------------------------------------------------------------------

absl::Status CheckEligible(const v1::Worker& w, const v1::Job& j) {
  if (!w.available()) return Refuse("E1.availability", "the worker is not available");
  if (w.labour_capacity() == v1::LABOUR_CAPACITY_NONE) {
    return Refuse("E1.labour_capacity", "the worker has no labour capacity");
  }
  if (w.labour_capacity() == v1::LABOUR_CAPACITY_PARTIAL && !j.light_work()) {
    return Refuse("E1.labour_capacity", "weak labour only takes light work");
  }
  if (!j.open()) return Refuse("E1.slots", "the job is closed");
  const auto reach = ReachOf(w.division_code(), j.location_division_code(), j.partner_province());
  if (reach > w.willingness()) {
    return Refuse("E1.willingness",
                  absl::StrCat("the job is ", WillingnessName(reach), ", the worker is willing ",
                               WillingnessName(w.willingness()), " only"));
  }
  std::set<std::string> skills(w.skills().begin(), w.skills().end());
  skills.insert(w.certificates().begin(), w.certificates().end());
  for (const auto& r : j.required_skills()) {
    if (!skills.count(r))
      return Refuse("E1.requirements", absl::StrCat("lacks required skill ", r));
  }
  if (w.language_level() < j.min_language_level()) {
    return Refuse("E1.requirements", absl::StrCat("language level ", w.language_level(), " below ",
                                                  j.min_language_level()));
  }
  return absl::OkStatus();
}

bool WorkshopCertified(const v1::Employer& e) {
  return e.kind() == v1::EMPLOYER_KIND_ASSISTANCE_WORKSHOP && e.lifted_workers() >= 5;
}

// ---- Placements -----------------------------------------------------------------------

absl::Status CheckPlacementTransition(v1::PlacementStatus from, v1::PlacementStatus to) {
  const bool ok = (from == v1::PLACEMENT_STATUS_PROPOSED && to == v1::PLACEMENT_STATUS_ACCEPTED) ||
                  (from == v1::PLACEMENT_STATUS_ACCEPTED && to == v1::PLACEMENT_STATUS_ON_DUTY) ||
                  (from != v1::PLACEMENT_STATUS_ENDED && from != v1::PLACEMENT_STATUS_UNSPECIFIED &&
                   to == v1::PLACEMENT_STATUS_ENDED);
  if (ok) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("a placement cannot go from ",
                                                    v1::PlacementStatus_Name(from), " to ",
                                                    v1::PlacementStatus_Name(to)));
}

// ---- Public-welfare posts ------------------------------------------------------------------

absl::Status CheckPostAppointment(const v1::Worker& w, const v1::Job& j, const Policy& policy,
                                  absl::CivilDay on, bool household_holds_post) {
  if (j.kind() != v1::JOB_KIND_PUBLIC_WELFARE) {
    return Refuse("E2.post", "the job is not a public-welfare post");
  }
  if (!w.local_registration() ||
      w.division_code().substr(0, 6) != j.location_division_code().substr(0, 6)) {
    return Refuse("E2.local_registration",
                  "a post goes to a person registered (户籍) in the post's county");
  }
  if (const auto birth = ParseDate(w.birth_date())) {
    const int age = AgeOn(*birth, on);
    if (age < policy.post_min_age || age > policy.post_max_age) {
      return Refuse("E2.age", absl::StrCat("age ", age, " outside ", policy.post_min_age, "..",
                                           policy.post_max_age, " of the policy"));
    }
  } else {
    return Refuse("E2.age", "the worker's birth date is unknown");
  }
  if (w.village_cadre()) return Refuse("E2.village_cadre", "village cadres are excluded");
  if (w.cadre_family()) {
    return Refuse("E2.village_cadre", "the family of a village cadre is excluded");
  }
  if (household_holds_post) {
    return Refuse("E2.one_per_household", "the household already holds a public-welfare post");
  }
  return absl::OkStatus();
}

absl::Status CheckOneJob(const std::vector<v1::Placement>& held,
                         std::string_view taking_placement_id, bool taking_post) {
  for (const auto& h : held) {
    if (h.placement_id() == taking_placement_id) continue;
    if (h.status() != v1::PLACEMENT_STATUS_ACCEPTED && h.status() != v1::PLACEMENT_STATUS_ON_DUTY) {
      continue;
    }
    const bool on_duty = h.status() == v1::PLACEMENT_STATUS_ON_DUTY;
    if (taking_post && on_duty && h.job_kind() == v1::JOB_KIND_REGULAR) {
      return Refuse(
          "E2.orderly_exit",
          absl::StrCat("the worker has a regular job on duty (placement ", h.placement_id(),
                       "): a post holder taking a regular job leaves the post, so no "
                       "post is appointed to one"));
    }
    return Refuse("E1.one_job",
                  absl::StrCat("the worker already holds placement ", h.placement_id(), " (",
                               h.job_kind() == v1::JOB_KIND_PUBLIC_WELFARE ? "a public-welfare post"
                               : h.job_kind() == v1::JOB_KIND_WORK_RELIEF  ? "以工代赈"
                                                                           : "a regular job",
                               on_duty ? ", on duty" : ", accepted",
                               "): one person, one job; it ends first"));
  }
  return absl::OkStatus();
}

absl::Status CheckAttendanceRewrite(std::optional<int> recorded_days, bool paid, int days,
                                    std::string_view month) {
  if (!paid || (recorded_days && *recorded_days == days)) return absl::OkStatus();
  return Refuse("E2.attendance",
                absl::StrCat("the subsidy of ", AsAbsl(month), " is paid on ",
                             recorded_days ? absl::StrCat(*recorded_days) : std::string("no"),
                             " days on duty: its attendance is not rewritten"));
}

absl::Status CheckPostSubsidy(std::optional<int> days_on_duty, std::string_view month) {
  const absl::string_view m = AsAbsl(month);
  if (!days_on_duty || *days_on_duty <= 0) {
    return Refuse("E2.attendance",
                  absl::StrCat("no on-duty attendance recorded for ", m, " (在岗领补)"));
  }
  return absl::OkStatus();
}

absl::Status CheckPaidAsWage(const v1::Placement& placement) {
  if (placement.job_kind() == v1::JOB_KIND_PUBLIC_WELFARE) {
    return Refuse("E2.attendance",
                  absl::StrCat("placement ", placement.placement_id(),
                               " is a public-welfare post (公益性岗位): its subsidy is paid "
                               "through PayPostSubsidy, only for months with on-duty "
                               "attendance (在岗领补)"));
  }
  return absl::OkStatus();
}

absl::Status CheckPostMonth(const v1::Placement& placement, absl::CivilMonth month) {
  const bool agreement = !placement.agreement_start().empty();
  const std::string& first = agreement ? placement.agreement_start() : placement.start_date();
  const auto start = ParseDate(first);
  if (!start) {
    return Refuse("E2.agreement", "month: the placement has no start date");
  }
  std::optional<absl::CivilDay> end = ParseDate(placement.agreement_end());
  const auto ended = ParseDate(placement.end_date());
  const bool ended_early = ended && (!end || *ended < *end);
  if (ended_early) end = ended;
  if (month >= absl::CivilMonth(*start) && (!end || month <= absl::CivilMonth(*end))) {
    return absl::OkStatus();
  }
  std::string detail = absl::StrCat("month ", FormatMonth(month), " is ",
                                    month < absl::CivilMonth(*start) ? "before" : "after", " the ",
                                    agreement ? "agreement " : "placement ", first, "..",
                                    agreement ? placement.agreement_end() : placement.end_date());
  if (ended_early && agreement) {
    absl::StrAppend(&detail, " (the post ended on ", FormatDate(*end), ")");
  }
  return Refuse("E2.agreement", detail);
}

absl::Status CheckNoRegularJobInMonth(const v1::Placement& post,
                                      const std::vector<v1::Placement>& regular_jobs,
                                      absl::CivilMonth month) {
  const auto post_start =
      ParseDate(post.agreement_start().empty() ? post.start_date() : post.agreement_start());
  absl::CivilDay from(month);
  absl::CivilDay to = absl::CivilDay(month + 1) - 1;
  if (post_start && *post_start > from) from = *post_start;
  if (const auto post_end = ParseDate(post.end_date()); post_end && *post_end < to) to = *post_end;
  for (const auto& r : regular_jobs) {
    if (r.job_kind() != v1::JOB_KIND_REGULAR || r.placement_id() == post.placement_id()) continue;
    const auto start = ParseDate(r.start_date());
    if (!start) continue;  // never on duty
    const auto end = ParseDate(r.end_date());
    const absl::CivilDay first = std::max(from, *start);
    const absl::CivilDay last = end ? std::min(to, *end) : to;
    if (first < last) {  // two or more days held at once
      return Refuse(
          "E2.orderly_exit",
          absl::StrCat("in ", FormatMonth(month), " the holder had a regular job on duty ",
                       "(placement ", r.placement_id(), ", from ", r.start_date(),
                       end ? absl::StrCat(" to ", r.end_date()) : std::string(),
                       ") while the post ran: no post subsidy for that month"));
    }
  }
  return absl::OkStatus();
}

ExitDecision DecidePostExit(absl::CivilDay agreement_end,
                            std::optional<absl::CivilDay> risk_eliminated_on,
                            bool holds_regular_job, absl::CivilDay as_of) {
  if (holds_regular_job) {
    return {true, v1::END_REASON_REGULAR_JOB, "E2.orderly_exit",
            "the holder has a regular job on duty"};
  }
  if (!risk_eliminated_on || *risk_eliminated_on > as_of) {
    return {false, v1::END_REASON_UNSPECIFIED, "E2.orderly_exit", "no exit reason"};
  }
  if (as_of <= agreement_end) {
    return {false, v1::END_REASON_UNSPECIFIED, "M9b",
            absl::StrCat("risk eliminated on ", FormatDate(*risk_eliminated_on),
                         ": the post continues until the agreement ends on ",
                         FormatDate(agreement_end))};
  }
  return {true, v1::END_REASON_RISK_ELIMINATED, "M9b",
          absl::StrCat("risk eliminated and the agreement ended on ", FormatDate(agreement_end))};
}

// ---- Wages ----------------------------------------------------------------------------

std::optional<absl::CivilMonth> WageDueMonth(absl::CivilDay as_of, const Policy& policy) {
  if (as_of.day() < policy.overdue_wage_day) return std::nullopt;
  return absl::CivilMonth(as_of) - 1;
}

bool WageOverdue(absl::CivilDay start, absl::CivilMonth due,
                 const std::vector<std::string>& paid_months) {
  if (absl::CivilMonth(start) > due) return false;  // not on duty in that month
  const std::string m = FormatMonth(due);
  return std::find(paid_months.begin(), paid_months.end(), m) == paid_months.end();
}

absl::CivilMonth LastDueMonth(absl::CivilDay as_of, const Policy& policy) {
  // Before this month's pay day the month before last is the last one due.
  return WageDueMonth(as_of, policy).value_or(absl::CivilMonth(as_of) - 2);
}

std::vector<absl::CivilMonth> UnpaidMonthsOfEnded(absl::CivilDay start, absl::CivilDay end,
                                                  absl::CivilMonth last_due,
                                                  const std::vector<std::string>& paid_months) {
  std::vector<absl::CivilMonth> out;
  const absl::CivilMonth last = std::min(absl::CivilMonth(end), last_due);
  for (absl::CivilMonth m(start); m <= last; ++m) {
    if (WageOverdue(start, m, paid_months)) out.push_back(m);
  }
  return out;
}

absl::Status CheckWageMonth(const v1::Placement& placement, absl::CivilMonth month) {
  const auto start = ParseDate(placement.start_date());
  if (!start || month < absl::CivilMonth(*start)) {
    return errors::InvalidField(
        "month", absl::StrCat("must not be before the placement started",
                              start ? absl::StrCat(" (", placement.start_date(), ")") : ""));
  }
  const auto end = ParseDate(placement.end_date());
  if (placement.status() == v1::PLACEMENT_STATUS_ENDED && end && month > absl::CivilMonth(*end)) {
    return errors::InvalidField(
        "month", absl::StrCat("must not be after the month the placement ended (",
                              placement.end_date(), "): no wage is owed for ", FormatMonth(month)));
  }
  return absl::OkStatus();
}

bool WagesSettled(absl::CivilDay start, absl::CivilDay end,
                  const std::vector<std::string>& paid_months) {
  return UnpaidMonthsOfEnded(start, end, absl::CivilMonth(end), paid_months).empty();
}

void CheckMonthBegun(absl::CivilMonth month, absl::CivilDay today, const std::string& field,
                     errors::Validator& v) {
  if (month > absl::CivilMonth(today)) {
    v.Add(field, absl::StrCat("must not be after the current month (",
                              FormatMonth(absl::CivilMonth(today)), ")"));
  }
}

// ---- Transport subsidy ----------------------------------------------------------------------

absl::StatusOr<money::Fen> TransportSubsidy(v1::Destination destination, int months_in_work,
                                            bool priority_household, const Policy& policy) {
  if (!priority_household) {
    return Refuse("E4.monitoring_status",
                  "the worker's household is neither lifted nor monitored in the monitoring "
                  "system");
  }
  if (months_in_work < policy.transport_min_months) {
    return Refuse("E4.months_in_work", absl::StrCat(months_in_work, " months in work, at least ",
                                                    policy.transport_min_months, " needed"));
  }
  switch (destination) {
    case v1::DESTINATION_OTHER_COUNTY:
      return policy.transport_other_county_fen;
    case v1::DESTINATION_OTHER_PREFECTURE:
      return policy.transport_other_prefecture_fen;
    case v1::DESTINATION_OTHER_PROVINCE:
      return policy.transport_other_province_fen;
    default:
      return Refuse("E4.destination", "work inside the own county earns no transport subsidy");
  }
}

std::string QuarterOf(absl::CivilDay day) {
  return absl::StrCat(day.year(), "-Q", (day.month() - 1) / 3 + 1);
}

absl::Status CheckTransportOncePerQuarter(const std::vector<v1::TransportSubsidy>& granted,
                                          const std::string& placement_id,
                                          const std::string& quarter) {
  for (const auto& g : granted) {
    if (g.placement_id() == placement_id) {
      return absl::AlreadyExistsError(
          absl::StrCat("placement ", placement_id, " was granted its transport subsidy (",
                       g.subsidy_id(), ", ", g.quarter(), "): it is one-time"));
    }
  }
  for (const auto& g : granted) {
    if (g.quarter() == quarter) {
      return Refuse("E4.once_per_quarter",
                    absl::StrCat("the worker was granted the transport subsidy for ", quarter,
                                 " already (", g.subsidy_id(), ", placement ", g.placement_id(),
                                 "): paid once per person a quarter"));
    }
  }
  return absl::OkStatus();
}

// ---- 雨露计划 --------------------------------------------------------------------------------

absl::StatusOr<money::Fen> YuluTermPayment(const YuluTerm& term, money::Fen yearly_fen) {
  if (term.household_on_term_start != YuluHousehold::kLifted &&
      term.household_on_term_start != YuluHousehold::kMonitored) {
    return Refuse("E5.household_status",
                  "on the first day of term the household was neither lifted nor monitored "
                  "without risk eliminated");
  }
  if (!term.full_time_vocational) {
    return Refuse("E5.school", "only full-time secondary or higher vocational study");
  }
  if (term.study == YuluStudy::kSuspended) {
    return Refuse("E5.suspended", "suspended: payments pause until the study resumes");
  }
  if (term.study == YuluStudy::kDroppedOut) {
    return Refuse("E5.dropped_out", "dropped out: payments stop");
  }
  return yearly_fen / 2;
}

}  // namespace zx::employment
