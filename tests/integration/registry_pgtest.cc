// Registry updates with field masks (UpdateHousehold, UpdatePerson), the
// monitoring service in-process over real gRPC on a real PostgreSQL and
// Redis: the change reaches Get, the roll-up and the stored assessment;
// moving a village needs both villages; a repeat writes one event; bad masks
// name the path and change nothing; a new name is sealed.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"
#include "common/server/server.h"
#include "common/testing/stack.h"
#include "services/monitoring/api/monitoring_service.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::monitoring {
namespace {

using zx::monitoring::v1::Household;

constexpr char kRegion[] = "dev.650000.region_official.r";
constexpr char kCounty[] = "dev.653121.county_official.c";
constexpr char kCadre201[] = "dev.653121101201.village_cadre.v201";
constexpr char kCadre202[] = "dev.653121101202.village_cadre.v202";
constexpr char kVillage201[] = "653121101201";
constexpr char kVillage202[] = "653121101202";

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("registry_it");
    auto config = stack.ServiceConfig("monitoring", db_);
    config.redis_namespace = "zx:it-registry";
    auto server = server::Server::Start(MonitoringSpec(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::MonitoringService::NewStub(channel_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  template <typename Req, typename Resp>
  grpc::Status Call(const std::string& token,
                    grpc::Status (v1::MonitoringService::Stub::*method)(grpc::ClientContext*,
                                                                        const Req&, Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub_.get()->*method)(&ctx, req, resp);
  }

  Household Create(const std::string& request_id, int members,
                   const std::string& village = kVillage201) {
    v1::CreateHouseholdRequest req;
    req.set_request_id(request_id);
    auto* h = req.mutable_household();
    h->set_village_code(village);
    h->set_category(v1::HOUSEHOLD_CATEGORY_LIFTED);
    h->set_member_count(members);
    Household out;
    const grpc::Status s = Call(kCounty, &v1::MonitoringService::Stub::CreateHousehold, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  grpc::Status UpdateHousehold(const std::string& token, const std::string& request_id,
                               const Household& patch, std::initializer_list<const char*> paths,
                               Household* out) {
    v1::UpdateHouseholdRequest req;
    req.set_request_id(request_id);
    *req.mutable_household() = patch;
    for (const char* p : paths) req.mutable_update_mask()->add_paths(p);
    return Call(token, &v1::MonitoringService::Stub::UpdateHousehold, req, out);
  }

  grpc::Status UpdatePerson(const std::string& token, const std::string& request_id,
                            const v1::Person& patch, std::initializer_list<const char*> paths,
                            v1::Person* out, const std::string& purpose = "") {
    v1::UpdatePersonRequest req;
    req.set_request_id(request_id);
    *req.mutable_person() = patch;
    for (const char* p : paths) req.mutable_update_mask()->add_paths(p);
    req.set_purpose(purpose);
    return Call(token, &v1::MonitoringService::Stub::UpdatePerson, req, out);
  }

  v1::Person AddPerson(const std::string& household_id, const std::string& id_number,
                       bool employed) {
    v1::AddPersonRequest req;
    req.set_request_id("add-" + id_number);
    auto* p = req.mutable_person();
    p->set_household_id(household_id);
    p->set_id_number(id_number);
    p->set_name("阿依古丽·吐尔逊");
    p->set_relation(v1::RELATION_HEAD);
    p->set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
    p->set_health(v1::HEALTH_STATUS_HEALTHY);
    p->set_employed(employed);
    v1::Person out;
    const grpc::Status s = Call(kCadre201, &v1::MonitoringService::Stub::AddPerson, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  Household Get(const std::string& household_id) {
    v1::GetHouseholdRequest req;
    req.set_household_id(household_id);
    Household out;
    EXPECT_TRUE(Call(kCounty, &v1::MonitoringService::Stub::GetHousehold, req, &out).ok());
    return out;
  }

  // The live roll-up counters of a division (absent counters are zero).
  std::map<std::string, int64_t> Counters(const std::string& division) {
    v1::GetRollupRequest req;
    req.set_division_code(division);
    v1::Rollup out;
    const grpc::Status s = Call(kCounty, &v1::MonitoringService::Stub::GetRollup, req, &out);
    EXPECT_TRUE(s.ok()) << division << ": " << s.error_message();
    return {out.counters().begin(), out.counters().end()};
  }

  // Publishes a 6,000-yuan line for the region this year, and waits for the
  // re-assessment job it queues, so later assessments are the test's own.
  void PublishLine() {
    v1::PublishPolicyRequest publish;
    publish.set_request_id("pol-1");
    auto* policy = publish.mutable_policy();
    policy->set_version("xj-1");
    policy->set_owner_division_code("650000000000");
    policy->set_year(absl::CivilYear(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone())).year());
    policy->set_effective_from(absl::StrCat(policy->year(), "-01-01"));
    policy->set_monitoring_line_fen(600000);
    v1::MonitoringPolicy published;
    const grpc::Status s =
        Call(kRegion, &v1::MonitoringService::Stub::PublishPolicy, publish, &published);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (int i = 0; i < 200; ++i) {
      if (Count("SELECT count(*) FROM monitoring.reassessment_jobs WHERE state = 1") == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the policy's re-assessment job did not finish";
  }

  void AllGuaranteesMet(const std::string& household_id) {
    v1::SetGuaranteesRequest req;
    req.set_request_id("g-" + household_id);
    req.set_household_id(household_id);
    auto* met = req.mutable_guarantees();
    met->set_food_clothing(v1::GUARANTEE_STATUS_MET);
    met->set_compulsory_education(v1::GUARANTEE_STATUS_MET);
    met->set_basic_medical(v1::GUARANTEE_STATUS_MET);
    met->set_safe_housing(v1::GUARANTEE_STATUS_MET);
    met->set_safe_water(v1::GUARANTEE_STATUS_MET);
    v1::Guarantees g;
    ASSERT_TRUE(Call(kCounty, &v1::MonitoringService::Stub::SetGuarantees, req, &g).ok());
  }

  // `fen` of wages in each month of the current income window.
  void Wages(const std::string& household_id, int64_t fen) {
    const absl::CivilMonth now(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()));
    for (int i = 12; i >= 1; --i) {
      v1::RecordIncomeRequest req;
      req.set_request_id(absl::StrCat("wage-", household_id, "-", i));
      auto* r = req.mutable_record();
      r->set_household_id(household_id);
      r->set_kind(v1::INCOME_KIND_WAGE);
      r->set_source(v1::RECORD_SOURCE_SURVEY);
      r->set_month(absl::FormatCivilTime(now - i));
      r->set_amount_fen(fen);
      v1::IncomeRecord out;
      ASSERT_TRUE(Call(kCounty, &v1::MonitoringService::Stub::RecordIncome, req, &out).ok());
    }
  }

  v1::Assessment Assess(const std::string& household_id) {
    v1::AssessHouseholdRequest req;
    req.set_household_id(household_id);
    v1::Assessment out;
    const grpc::Status s = Call(kCounty, &v1::MonitoringService::Stub::AssessHousehold, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // The household's latest stored assessment.
  v1::Assessment Stored(const std::string& household_id) {
    pqxx::connection conn(db_);
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_params(
        "SELECT body FROM monitoring.assessments WHERE household_id = $1 "
        "ORDER BY assessment_id DESC LIMIT 1",
        household_id);
    v1::Assessment a;
    if (!rows.empty()) a.ParseFromString(pqxx::binarystring(rows[0][0]).str());
    return a;
  }

  static bool HasFactor(const v1::Assessment& a, const std::string& kind) {
    for (const auto& f : a.factors()) {
      if (f.kind() == kind) return true;
    }
    return false;
  }

  int Count(const std::string& sql) {
    pqxx::connection conn(db_);
    return pqxx::nontransaction(conn).exec1(sql)[0].as<int>();
  }

  static std::vector<std::string> Fields(const grpc::Status& s) {
    std::vector<std::string> out;
    for (const auto& v : errors::FieldViolationsOf(errors::FromGrpcStatus(s))) {
      out.push_back(v.field);
    }
    return out;
  }

  std::string db_;
  std::unique_ptr<server::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MonitoringService::Stub> stub_;
};

TEST_F(RegistryTest, MemberCountReachesGetTheRollupAndTheAssessment) {
  PublishLine();
  const Household created = Create("create-1", 4);
  AllGuaranteesMet(created.household_id());
  Wages(created.household_id(), 150000);  // 18,000 yuan a year
  const v1::Assessment first = Assess(created.household_id());
  EXPECT_EQ(first.per_capita_net_income_fen(), 450000) << "4 members";
  EXPECT_EQ(first.colour(), v1::COLOUR_RED);
  EXPECT_EQ(Counters("653121")["members"], 4);
  const int assessments = Count("SELECT count(*) FROM monitoring.assessments");

  Household patch;
  patch.set_household_id(created.household_id());
  patch.set_member_count(2);
  patch.set_category(v1::HOUSEHOLD_CATEGORY_ORDINARY);  // not in the mask: ignored
  Household updated;
  const grpc::Status s = UpdateHousehold(kCounty, "upd-1", patch, {"member_count"}, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.member_count(), 2);
  EXPECT_EQ(updated.category(), v1::HOUSEHOLD_CATEGORY_LIFTED);
  EXPECT_EQ(updated.created_at().SerializeAsString(), created.created_at().SerializeAsString());
  EXPECT_EQ(Get(created.household_id()).SerializeAsString(), updated.SerializeAsString());

  auto county = Counters("653121");
  EXPECT_EQ(county["members"], 2);
  EXPECT_EQ(county["households"], 1);
  EXPECT_EQ(Counters(kVillage201)["members"], 2);

  // Re-assessed in the same transaction: 18,000 yuan over 2 members.
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.assessments"), assessments + 1);
  const v1::Assessment after = Stored(created.household_id());
  EXPECT_EQ(after.per_capita_net_income_fen(), 900000);
  EXPECT_FALSE(HasFactor(after, "income_below_line")) << after.DebugString();
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.household_updated'"),
            1);

  // A change the assessment does not read re-assesses nothing.
  patch.set_relocated(true);
  ASSERT_TRUE(UpdateHousehold(kCounty, "upd-2", patch, {"relocated"}, &updated).ok());
  EXPECT_TRUE(updated.relocated());
  EXPECT_EQ(Counters("653121")["relocated"], 1);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.assessments"), assessments + 1);

  // Turning red raised a clue: with a monitoring object open, the household
  // stays in the village that reviews it.
  ASSERT_EQ(Count("SELECT count(*) FROM monitoring.monitoring_objects"), 1);
  patch.set_village_code(kVillage202);
  const grpc::Status move = UpdateHousehold(kCounty, "upd-3", patch, {"village_code"}, &updated);
  EXPECT_EQ(move.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << move.error_message();
  EXPECT_EQ(Get(created.household_id()).village_code(), kVillage201);
}

TEST_F(RegistryTest, MovingVillageMovesTheRollupsAndNeedsBothVillages) {
  const Household created = Create("create-move", 3);
  EXPECT_EQ(Counters(kVillage201)["households"], 1);
  EXPECT_EQ(Counters(kVillage202)["households"], 0);

  Household patch;
  patch.set_household_id(created.household_id());
  patch.set_village_code(kVillage202);
  Household out;
  // The cadre of the old village does not hold the new one.
  EXPECT_EQ(UpdateHousehold(kCadre201, "mv-1", patch, {"village_code"}, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The cadre of the new village does not hold the household (as for Get).
  EXPECT_EQ(UpdateHousehold(kCadre202, "mv-2", patch, {"village_code"}, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  {
    v1::GetHouseholdRequest get;
    get.set_household_id(created.household_id());
    Household h;
    EXPECT_EQ(Call(kCadre202, &v1::MonitoringService::Stub::GetHousehold, get, &h).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // Another county is not kept by this instance.
  Household far = patch;
  far.set_village_code("653122101201");
  const grpc::Status elsewhere = UpdateHousehold(kCounty, "mv-3", far, {"village_code"}, &out);
  EXPECT_EQ(elsewhere.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Fields(elsewhere), std::vector<std::string>{"household.village_code"});
  EXPECT_EQ(Get(created.household_id()).village_code(), kVillage201) << "refused: unchanged";
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.household_updated'"),
            0);

  // The county holds both villages.
  const grpc::Status moved = UpdateHousehold(kCounty, "mv-4", patch, {"village_code"}, &out);
  ASSERT_TRUE(moved.ok()) << moved.error_message();
  EXPECT_EQ(out.village_code(), kVillage202);
  EXPECT_EQ(Get(created.household_id()).village_code(), kVillage202);
  auto old_village = Counters(kVillage201);
  auto new_village = Counters(kVillage202);
  EXPECT_EQ(old_village["households"], 0);
  EXPECT_EQ(old_village["members"], 0);
  EXPECT_EQ(new_village["households"], 1);
  EXPECT_EQ(new_village["members"], 3);
  EXPECT_EQ(Counters("653121")["households"], 1) << "the county keeps it";
  // Now the new village's cadre holds it, and the old one's does not.
  patch.set_member_count(4);
  EXPECT_TRUE(UpdateHousehold(kCadre202, "mv-5", patch, {"member_count"}, &out).ok());
  EXPECT_EQ(UpdateHousehold(kCadre201, "mv-6", patch, {"member_count"}, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::VerifyRollupRequest verify;
  verify.set_division_code("653121");
  v1::VerifyRollupResponse verified;
  ASSERT_TRUE(Call(kCounty, &v1::MonitoringService::Stub::VerifyRollup, verify, &verified).ok());
  EXPECT_TRUE(verified.consistent()) << verified.DebugString();
}

TEST_F(RegistryTest, RepeatedUpdateWritesOneEventAndAReusedIdIsRefused) {
  const Household created = Create("create-rep", 5);
  Household patch;
  patch.set_household_id(created.household_id());
  patch.set_member_count(3);
  Household first, second;
  ASSERT_TRUE(UpdateHousehold(kCounty, "rep-1", patch, {"member_count"}, &first).ok());
  // Meanwhile another update changes the count again; the repeat still
  // answers the first result and writes nothing.
  Household other = patch;
  other.set_member_count(6);
  Household ignored;
  ASSERT_TRUE(UpdateHousehold(kCounty, "rep-2", other, {"member_count"}, &ignored).ok());
  ASSERT_TRUE(UpdateHousehold(kCounty, "rep-1", patch, {"member_count"}, &second).ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(second.member_count(), 3);
  EXPECT_EQ(Get(created.household_id()).member_count(), 6);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.household_updated'"),
            2)
      << "one per update, none for the repeat";

  // The same request_id for a different request is refused.
  patch.set_member_count(2);
  const grpc::Status reused = UpdateHousehold(kCounty, "rep-1", patch, {"member_count"}, &ignored);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Fields(reused), std::vector<std::string>{"request_id"});
  EXPECT_EQ(Get(created.household_id()).member_count(), 6);
}

TEST_F(RegistryTest, BadMaskPathsAreNamedAndChangeNothing) {
  const Household created = Create("create-bad", 5);
  const int idempotency = Count("SELECT count(*) FROM monitoring.idempotency");
  Household patch;
  patch.set_household_id(created.household_id());
  patch.set_member_count(3);
  patch.set_synthetic(true);
  Household out;

  const grpc::Status bad_path =
      UpdateHousehold(kCounty, "bad-1", patch, {"member_count", "synthetic"}, &out);
  EXPECT_EQ(bad_path.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto violations = errors::FieldViolationsOf(errors::FromGrpcStatus(bad_path));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "update_mask");
  EXPECT_NE(violations[0].description.find("synthetic"), std::string::npos);

  for (const char* path : {"household_id", "created_at", "colour"}) {
    const grpc::Status s = UpdateHousehold(kCounty, "bad-2", patch, {path}, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << path;
    EXPECT_NE(s.error_message().find(path), std::string::npos) << s.error_message();
  }

  const grpc::Status empty = UpdateHousehold(kCounty, "bad-3", patch, {}, &out);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(empty.error_message().find("name the fields to change"), std::string::npos);

  // The merged household keeps the rules of a new one.
  Household zero = patch;
  zero.set_member_count(0);
  const grpc::Status invalid = UpdateHousehold(kCounty, "bad-4", zero, {"member_count"}, &out);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Fields(invalid), std::vector<std::string>{"household.member_count"});

  Household unknown = patch;
  unknown.set_household_id("hh-00000000000000000000");
  EXPECT_EQ(UpdateHousehold(kCounty, "bad-5", unknown, {"member_count"}, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  unknown.set_household_id("nope");
  EXPECT_EQ(Fields(UpdateHousehold(kCounty, "bad-6", unknown, {"member_count"}, &out)),
            std::vector<std::string>{"household.household_id"});

  EXPECT_EQ(Get(created.household_id()).SerializeAsString(), created.SerializeAsString());
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.household_updated'"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.idempotency"), idempotency);
  // A rejected request may be retried under its id once corrected.
  EXPECT_TRUE(UpdateHousehold(kCounty, "bad-4", patch, {"member_count"}, &out).ok());
}

TEST_F(RegistryTest, LabourAndEmploymentDecideTheNoEmployedMemberFactor) {
  PublishLine();
  const Household created = Create("create-labour", 2);
  AllGuaranteesMet(created.household_id());
  Wages(created.household_id(), 300000);  // 18,000 yuan per member: well above the lines
  const v1::Person person = AddPerson(created.household_id(), "11010519491231002X", false);
  const v1::Assessment first = Assess(created.household_id());
  EXPECT_TRUE(HasFactor(first, "no_employed_member")) << first.DebugString();
  EXPECT_EQ(first.colour(), v1::COLOUR_YELLOW);

  v1::Person patch;
  patch.set_person_id(person.person_id());
  v1::Person out;
  patch.set_employed(true);
  ASSERT_TRUE(UpdatePerson(kCadre201, "p-1", patch, {"employed"}, &out).ok());
  EXPECT_TRUE(out.employed());
  v1::Assessment a = Stored(created.household_id());
  EXPECT_FALSE(HasFactor(a, "no_employed_member")) << a.DebugString();
  EXPECT_EQ(a.colour(), v1::COLOUR_GREEN);

  patch.set_employed(false);
  patch.set_labour_capacity(v1::LABOUR_CAPACITY_NONE);
  ASSERT_TRUE(UpdatePerson(kCadre201, "p-2", patch, {"employed", "labour_capacity"}, &out).ok());
  a = Stored(created.household_id());
  EXPECT_FALSE(HasFactor(a, "no_employed_member")) << "nobody is able to work";

  patch.set_labour_capacity(v1::LABOUR_CAPACITY_PARTIAL);
  ASSERT_TRUE(UpdatePerson(kCadre201, "p-3", patch, {"labour_capacity"}, &out).ok());
  a = Stored(created.household_id());
  EXPECT_TRUE(HasFactor(a, "no_employed_member")) << a.DebugString();
  EXPECT_EQ(a.colour(), v1::COLOUR_YELLOW);

  // Whatever the assessment does not read changes no assessment.
  const int assessments = Count("SELECT count(*) FROM monitoring.assessments");
  patch.set_medical_insured(true);
  ASSERT_TRUE(UpdatePerson(kCadre201, "p-4", patch, {"medical_insured"}, &out).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.assessments"), assessments);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.person_updated'"),
            4);
}

TEST_F(RegistryTest, PersonUpdatesSealTheNameAndRefuseTheIdNumber) {
  const Household created = Create("create-person", 3);
  const v1::Person person = AddPerson(created.household_id(), "11010519491231002X", true);
  v1::Person patch;
  patch.set_person_id(person.person_id());
  patch.set_name("买买提·艾力");
  v1::Person out;
  ASSERT_TRUE(UpdatePerson(kCadre201, "n-1", patch, {"name"}, &out).ok());
  EXPECT_EQ(out.name(), "买*****");
  EXPECT_EQ(out.id_number(), "110105***********X");
  EXPECT_EQ(out.birth_date(), "1949") << "masked: the year only";
  EXPECT_EQ(out.sex(), v1::SEX_FEMALE);
  EXPECT_TRUE(out.personal_data_masked());
  EXPECT_TRUE(out.employed()) << "fields outside the mask stay";

  // No clear name at rest: not in the row, the event or the idempotency record.
  {
    pqxx::connection conn(db_);
    pqxx::nontransaction tx(conn);
    const auto row = tx.exec1(
        "SELECT position(convert_to('买买提', 'UTF8') IN name_sealed), name_masked "
        "FROM monitoring.persons");
    EXPECT_EQ(row[0].as<int>(), 0);
    EXPECT_EQ(row[1].as<std::string>(), "买*****");
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM monitoring.outbox "
                       "WHERE position(convert_to('买买提', 'UTF8') IN event) > 0 "
                       "OR position(convert_to('11010519491231002X', 'UTF8') IN event) > 0")[0]
                  .as<int>(),
              0);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM monitoring.idempotency "
                       "WHERE position(convert_to('买买提', 'UTF8') IN response) > 0")[0]
                  .as<int>(),
              0);
  }
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.person_updated'"),
            1);

  // The privileged caller with a purpose sees the new name in clear.
  v1::ListPersonsRequest list;
  list.set_household_id(created.household_id());
  list.set_purpose("home verification");
  v1::ListPersonsResponse listed;
  ASSERT_TRUE(Call(kCounty, &v1::MonitoringService::Stub::ListPersons, list, &listed).ok());
  ASSERT_EQ(listed.persons_size(), 1);
  EXPECT_EQ(listed.persons(0).name(), "买买提·艾力");

  // And an update answered to such a caller is in clear; the record is not.
  patch.set_relation(v1::RELATION_SPOUSE);
  v1::Person clear;
  ASSERT_TRUE(
      UpdatePerson(kCounty, "n-2", patch, {"relation"}, &clear, "correcting the relation").ok());
  EXPECT_EQ(clear.name(), "买买提·艾力");
  EXPECT_EQ(clear.id_number(), "11010519491231002X");
  EXPECT_EQ(clear.birth_date(), "1949-12-31");
  EXPECT_FALSE(clear.personal_data_masked());
  EXPECT_EQ(clear.relation(), v1::RELATION_SPOUSE);
  v1::Person repeat;
  ASSERT_TRUE(
      UpdatePerson(kCounty, "n-2", patch, {"relation"}, &repeat, "correcting the relation").ok());
  EXPECT_EQ(repeat.SerializeAsString(), clear.SerializeAsString());
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.idempotency "
                  "WHERE position(convert_to('11010519491231002X', 'UTF8') IN response) > 0"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.person_updated'"),
            2);

  // The ID number is never updated, nor anything derived from it.
  patch.set_id_number("110105194912310021");
  const grpc::Status id = UpdatePerson(kCounty, "n-3", patch, {"id_number"}, &out);
  EXPECT_EQ(id.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Fields(id), std::vector<std::string>{"update_mask"});
  EXPECT_NE(id.error_message().find("register the person anew"), std::string::npos);
  EXPECT_EQ(Fields(UpdatePerson(kCounty, "n-4", patch, {"birth_date", "sex"}, &out)),
            (std::vector<std::string>{"update_mask", "update_mask"}));

  // The disability grade rule holds on the merged person.
  patch.set_health(v1::HEALTH_STATUS_DISABILITY);
  const grpc::Status grade = UpdatePerson(kCounty, "n-5", patch, {"health"}, &out);
  EXPECT_EQ(grade.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Fields(grade), std::vector<std::string>{"person.disability_grade"});
  patch.set_disability_grade(2);
  ASSERT_TRUE(UpdatePerson(kCounty, "n-6", patch, {"health", "disability_grade"}, &out).ok());
  EXPECT_EQ(out.disability_grade(), 2);

  // Unknown person, and a person outside the caller's jurisdiction.
  v1::Person unknown;
  unknown.set_person_id("ps-00000000000000000000");
  unknown.set_employed(true);
  EXPECT_EQ(UpdatePerson(kCounty, "n-7", unknown, {"employed"}, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(UpdatePerson(kCadre202, "n-8", patch, {"employed"}, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.person_updated'"),
            3);
}

// GetHousehold answers from each instance's in-memory registry: an instance
// answers its own write at once, another instance's write and a change made
// by hand in SQL within a poll, never going back to an older version; and
// households cannot be removed, which such a copy could not follow.
TEST_F(RegistryTest, InMemoryRegistryFollowsEveryInstanceAndChangesByHand) {
  auto& stack = zx::testing::Stack::Get();
  auto config = stack.ServiceConfig("monitoring", db_);
  config.redis_namespace = "zx:it-registry";
  auto second = server::Server::Start(MonitoringSpec(), config);
  ASSERT_TRUE(second.ok()) << second.status();
  auto second_stub = v1::MonitoringService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*second)->grpc_port()), grpc::InsecureChannelCredentials()));
  auto get_from = [&](v1::MonitoringService::Stub& stub, const std::string& id) {
    v1::GetHouseholdRequest req;
    req.set_household_id(id);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Bearer ") + kCounty);
    Household out;
    const grpc::Status s = stub.GetHousehold(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  };
  // Polls `stub` until it answers `members`, then checks it keeps answering
  // it (a newer version is never replaced by an older one).
  auto until_members = [&](v1::MonitoringService::Stub& stub, const std::string& id, int members) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (get_from(stub, id).member_count() != members && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    for (int i = 0; i < 20; ++i) {
      ASSERT_EQ(get_from(stub, id).member_count(), members) << "answer " << i;
      absl::SleepFor(absl::Milliseconds(10));
    }
  };
  auto memory_reads = [](server::Server& server) {
    for (const auto& family : server.runtime().registry->Collect()) {
      if (family.name != "zx_monitoring_household_reads_total") continue;
      for (const auto& metric : family.metric) {
        if (metric.label.size() == 1 && metric.label[0].value == "memory") {
          return metric.counter.value;
        }
      }
    }
    return -1.0;
  };

  const Household created = Create("mem-1", 4);
  EXPECT_EQ(get_from(*stub_, created.household_id()).SerializeAsString(),
            created.SerializeAsString());
  until_members(*second_stub, created.household_id(), 4);

  // Written through the second instance: it answers the new figure at once.
  Household patch;
  patch.set_household_id(created.household_id());
  patch.set_member_count(6);
  Household updated;
  {
    v1::UpdateHouseholdRequest req;
    req.set_request_id("mem-upd-1");
    *req.mutable_household() = patch;
    req.mutable_update_mask()->add_paths("member_count");
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Bearer ") + kCounty);
    const grpc::Status s = second_stub->UpdateHousehold(&ctx, req, &updated);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(get_from(*second_stub, created.household_id()).member_count(), 6);
  until_members(*stub_, created.household_id(), 6);

  // By hand, outside the service: both follow it.
  {
    pqxx::connection conn(db_);
    pqxx::nontransaction(conn).exec(
        "UPDATE monitoring.households SET member_count = 7 WHERE household_id = '" +
        created.household_id() + "'");
  }
  until_members(*stub_, created.household_id(), 7);
  until_members(*second_stub, created.household_id(), 7);
  const Household seen = get_from(*stub_, created.household_id());
  EXPECT_EQ(seen.village_code(), created.village_code());
  EXPECT_EQ(seen.created_at().SerializeAsString(), created.created_at().SerializeAsString());

  // The answers above came from memory, not only from the database.
  EXPECT_GT(memory_reads(*server_), 20);
  EXPECT_GT(memory_reads(**second), 20);

  // Refused by the trigger (not only by the keys that point at households).
  pqxx::connection conn(db_);
  for (const char* sql :
       {"DELETE FROM monitoring.households", "TRUNCATE monitoring.households CASCADE",
        "UPDATE monitoring.households SET household_id = "
        "'hh-ffffffffffffffffffff'"}) {
    try {
      pqxx::nontransaction(conn).exec(sql);
      ADD_FAILURE() << sql << " was allowed";
    } catch (const pqxx::sql_error& e) {
      EXPECT_TRUE(std::string(e.what()).find("never") != std::string::npos)
          << sql << ": " << e.what();
    }
  }
  EXPECT_EQ(get_from(*stub_, created.household_id()).member_count(), 7);
  (*second)->Shutdown(absl::Seconds(1));
}

}  // namespace
}  // namespace zx::monitoring
