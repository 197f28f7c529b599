#include "tools/zxgen/zxgen.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"
#include "zx/assets/v1/assets.grpc.pb.h"
#include "zx/consumption/v1/consumption.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::zxgen {
namespace {

namespace mon = ::zx::monitoring::v1;
namespace ast = ::zx::assets::v1;
namespace con = ::zx::consumption::v1;

std::string TokenFor(const GenerateOptions& o, const std::string& county) {
  if (!o.token.empty()) return o.token;
  return absl::StrCat("dev.", county, ".county_official.zxgen");
}

void Prepare(grpc::ClientContext& ctx, const std::string& token, int seconds) {
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

absl::Status Failed(const std::string& what, const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

std::shared_ptr<grpc::Channel> Channel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// Counts one response's row results into the summary's three counters.
template <typename Response>
void Tally(const Response& r, std::atomic<int64_t>& accepted, std::atomic<int64_t>& already,
           std::atomic<int64_t>& rejected, std::mutex& mu, std::string& first_rejection) {
  for (const mon::SurveyRowResult& row : r.results()) {
    switch (row.outcome()) {
      case mon::ROW_OUTCOME_ACCEPTED:
        ++accepted;
        break;
      case mon::ROW_OUTCOME_ALREADY_ACCEPTED:
        ++already;
        break;
      default: {
        ++rejected;
        std::lock_guard lock(mu);
        if (first_rejection.empty()) {
          first_rejection =
              absl::StrCat("row ", row.row_number(), ": ", row.field(), ": ", row.reason());
        }
      }
    }
  }
}

// A stream written one message at a time, each answered before the next.
template <typename Request, typename Response>
class Lockstep {
 public:
  Lockstep(std::unique_ptr<grpc::ClientReaderWriter<Request, Response>> stream,
           std::unique_ptr<grpc::ClientContext> ctx)
      : ctx_(std::move(ctx)), stream_(std::move(stream)) {}
  bool Send(const Request& request, Response& response) {
    return stream_->Write(request) && stream_->Read(&response);
  }
  grpc::Status Close() {
    stream_->WritesDone();
    Response last;
    while (stream_->Read(&last)) {
    }
    return stream_->Finish();
  }

 private:
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<Request, Response>> stream_;
};

struct Shared {
  const GenerateOptions& options;
  mon::MonitoringService::Stub& monitoring;
  std::atomic<int64_t> accepted{0}, already{0}, rejected{0}, persons{0};
  std::atomic<int64_t> survey_accepted{0}, survey_already{0}, survey_rejected{0};
  std::mutex mu;
  std::string first_rejection;
  // The first households of each township (for the cooperatives' bindings).
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> bindable;
};

// One county: its households over one ImportHouseholds stream and their
// survey rows over one IngestSurvey stream, message by message.
absl::Status LoadCounty(Shared& shared, const CountyPlan& plan) {
  const GenerateOptions& o = shared.options;
  const std::string token = TokenFor(o, plan.county);
  const std::string batch =
      absl::StrCat("zxgen-s", o.population.seed, "-", plan.county, "-", o.population.households);
  auto import_ctx = std::make_unique<grpc::ClientContext>();
  Prepare(*import_ctx, token, 3600);
  auto import_stream = shared.monitoring.ImportHouseholds(import_ctx.get());
  Lockstep<mon::ImportHouseholdsRequest, mon::ImportHouseholdsResponse> imports(
      std::move(import_stream), std::move(import_ctx));
  std::optional<Lockstep<mon::IngestSurveyRequest, mon::IngestSurveyResponse>> surveys;
  if (o.survey) {
    auto survey_ctx = std::make_unique<grpc::ClientContext>();
    Prepare(*survey_ctx, token, 3600);
    auto survey_stream = shared.monitoring.IngestSurvey(survey_ctx.get());
    surveys.emplace(std::move(survey_stream), std::move(survey_ctx));
  }
  CountyGenerator gen(o.population, plan);
  bool first_survey = true;
  while (gen.HasNext()) {
    mon::ImportHouseholdsRequest request;
    request.set_batch_id(batch);
    mon::IngestSurveyRequest survey;
    survey.set_batch_id(batch);
    if (first_survey) survey.set_defer_reassessment(true);
    first_survey = false;
    while (gen.HasNext() && request.rows_size() < o.rows_per_message) {
      GeneratedHousehold g = gen.Next();
      shared.persons += g.row.persons_size();
      *request.add_rows() = std::move(g.row);
      *survey.add_rows() = std::move(g.survey);
    }
    mon::ImportHouseholdsResponse response;
    if (!imports.Send(request, response)) {
      return Failed(absl::StrCat("ImportHouseholds ", plan.county), imports.Close());
    }
    Tally(response, shared.accepted, shared.already, shared.rejected, shared.mu,
          shared.first_rejection);
    {
      std::lock_guard lock(shared.mu);
      for (int i = 0; i < response.results_size(); ++i) {
        const auto& r = response.results(i);
        if (r.household_id().empty()) continue;
        const std::string& village = request.rows(i).household().village_code();
        auto& list = shared.bindable[village.substr(0, 9) + "000"];
        if (static_cast<int>(list.size()) < o.bindings_per_township) {
          list.emplace_back(r.household_id(), village);
        }
      }
    }
    if (!surveys) continue;
    mon::IngestSurveyResponse answered;
    if (!surveys->Send(survey, answered)) {
      return Failed(absl::StrCat("IngestSurvey ", plan.county), surveys->Close());
    }
    Tally(answered, shared.survey_accepted, shared.survey_already, shared.survey_rejected,
          shared.mu, shared.first_rejection);
  }
  if (grpc::Status s = imports.Close(); !s.ok()) {
    return Failed(absl::StrCat("ImportHouseholds ", plan.county), s);
  }
  if (grpc::Status s = surveys ? surveys->Close() : grpc::Status::OK; !s.ok()) {
    return Failed(absl::StrCat("IngestSurvey ", plan.county), s);
  }
  return absl::OkStatus();
}

// Unary calls with request ids derived from the seed, so a re-run answers
// from the services' idempotency records.
class Unary {
 public:
  Unary(const GenerateOptions& o) : o_(o) {}
  std::string Rid(const std::string& what) const {
    return absl::StrCat("zxgen-s", o_.population.seed, "-", what);
  }
  template <typename Call>
  absl::Status Do(const std::string& what, const std::string& county, Call call) {
    grpc::ClientContext ctx;
    Prepare(ctx, TokenFor(o_, county), 30);
    grpc::Status s = call(ctx);
    return s.ok() ? absl::OkStatus() : Failed(what, s);
  }

 private:
  const GenerateOptions& o_;
};

absl::Status LoadAssets(const GenerateOptions& o, const std::vector<CountyPlan>& plans,
                        GenerateSummary& summary) {
  auto stub = ast::AssetsService::NewStub(Channel(o.assets));
  Unary unary(o);
  const int year = o.population.today.year() - 1;
  for (const CountyPlan& plan : plans) {
    if (plan.villages.empty()) continue;
    const int64_t per_asset = 3'000'000;  // 30,000 yuan
    const int64_t total =
        per_asset * static_cast<int64_t>(plan.villages.size()) * std::max(1, o.assets_per_village);
    ast::CreateProjectRequest create;
    create.set_request_id(unary.Rid(absl::StrCat("project-", plan.county)));
    ast::Project& p = *create.mutable_project();
    p.set_name(absl::StrCat(plan.name_zh, year, "年村级产业与饮水项目 (synthetic)"));
    p.set_year(year);
    p.set_division_code(plan.county);
    p.set_category(ast::PROJECT_CATEGORY_INDUSTRY);
    p.set_implementing_unit(absl::StrCat(plan.name_zh, "乡村振兴局"));
    auto* central = p.add_funding_lines();
    central->set_source(ast::FUNDING_SOURCE_CENTRAL_LINKING);
    central->set_amount_fen(total / 2);
    auto* paired = p.add_funding_lines();
    paired->set_source(ast::FUNDING_SOURCE_PAIRED_ASSISTANCE);
    paired->set_amount_fen(total - total / 2);
    ast::Project project;
    if (auto s = unary.Do(
            "CreateProject " + plan.county, plan.county,
            [&](grpc::ClientContext& c) { return stub->CreateProject(&c, create, &project); });
        !s.ok()) {
      return s;
    }
    ++summary.projects;
    for (const Village& v : plan.villages) {
      for (int k = 0; k < o.assets_per_village; ++k) {
        const bool operating = k % 2 == 0;
        ast::RegisterAssetRequest reg;
        reg.set_request_id(unary.Rid(absl::StrCat("asset-", v.code, "-", k)));
        ast::Asset& a = *reg.mutable_asset();
        a.set_project_id(project.project_id());
        a.set_name(operating ? "村集体冷库" : "村级供水工程");
        a.set_asset_class(operating ? ast::ASSET_CLASS_OPERATING : ast::ASSET_CLASS_PUBLIC_WELFARE);
        a.set_asset_type(operating ? ast::ASSET_TYPE_COLD_STORE : ast::ASSET_TYPE_WATER_WORKS);
        a.set_original_value_fen(per_asset);
        a.set_location_division_code(v.code);
        auto* f = a.add_funding();
        f->set_source(k % 2 == 0 ? ast::FUNDING_SOURCE_CENTRAL_LINKING
                                 : ast::FUNDING_SOURCE_PAIRED_ASSISTANCE);
        f->set_amount_fen(per_asset);
        auto* owner = a.mutable_ownership();
        owner->set_level(ast::OWNER_LEVEL_VILLAGE_COLLECTIVE);
        owner->set_owner_id(v.code);
        owner->set_owner_division_code(v.code);
        a.set_custodian("村民委员会");
        ast::Asset asset;
        if (auto s = unary.Do(
                "RegisterAsset " + v.code, plan.county,
                [&](grpc::ClientContext& c) { return stub->RegisterAsset(&c, reg, &asset); });
            !s.ok()) {
          return s;
        }
        ++summary.assets;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status LoadConsumption(
    const GenerateOptions& o, const std::vector<CountyPlan>& plans,
    const std::map<std::string, std::vector<std::pair<std::string, std::string>>>& bindable,
    GenerateSummary& summary) {
  auto stub = con::ConsumptionService::NewStub(Channel(o.consumption));
  Unary unary(o);
  const std::string valid_from = absl::StrCat(o.population.today.year() - 1, "-01-01");
  for (const CountyPlan& plan : plans) {
    const std::string& county = plan.county;
    // One cooperative per township, bound to its first households by
    // revenue share (联农带农).
    for (const auto& [township, households] : bindable) {
      if (township.substr(0, 6) != county.substr(0, 6)) continue;
      con::UpsertSupplierRequest sup;
      sup.set_request_id(unary.Rid("supplier-" + township));
      sup.mutable_supplier()->set_name(
          absl::StrCat(plan.name_zh, township.substr(6, 3), "乡农民专业合作社 (synthetic)"));
      sup.mutable_supplier()->set_kind(con::SUPPLIER_KIND_COOPERATIVE);
      sup.mutable_supplier()->set_division_code(township);
      con::Supplier supplier;
      if (auto s = unary.Do(
              "UpsertSupplier " + township, county,
              [&](grpc::ClientContext& c) { return stub->UpsertSupplier(&c, sup, &supplier); });
          !s.ok()) {
        return s;
      }
      ++summary.suppliers;
      for (const auto& [household, village] : households) {
        con::UpsertBindingRequest bind;
        bind.set_request_id(unary.Rid("binding-" + household));
        con::Binding& b = *bind.mutable_binding();
        b.set_supplier_id(supplier.supplier_id());
        b.set_household_id(household);
        b.set_village_code(village);
        b.set_rule(con::BINDING_RULE_REVENUE_SHARE);
        b.set_share_bp(250);
        b.set_valid_from(valid_from);
        con::Binding bound;
        if (auto s = unary.Do(
                "UpsertBinding " + household, county,
                [&](grpc::ClientContext& c) { return stub->UpsertBinding(&c, bind, &bound); });
            !s.ok()) {
          return s;
        }
        ++summary.bindings;
      }
    }
    // Buyers: a budget unit with a canteen, a trade union, an assisting unit.
    struct BuyerSpec {
      const char* key;
      const char* name;
      con::BuyerKind kind;
    } buyers[] = {{"budget", "教育局", con::BUYER_KIND_BUDGET_UNIT},
                  {"union", "总工会", con::BUYER_KIND_TRADE_UNION},
                  {"unit", "人民医院", con::BUYER_KIND_ASSISTING_UNIT}};
    for (const BuyerSpec& spec : buyers) {
      con::UpsertBuyerRequest up;
      up.set_request_id(unary.Rid(absl::StrCat("buyer-", spec.key, "-", county)));
      con::Buyer& b = *up.mutable_buyer();
      b.set_name(absl::StrCat(plan.name_zh, spec.name, " (synthetic)"));
      b.set_kind(spec.kind);
      b.set_division_code(county);
      if (spec.kind == con::BUYER_KIND_BUDGET_UNIT) {
        b.set_has_canteen(true);
        b.set_canteen_food_budget_fen(20'000'000);
      }
      if (spec.kind == con::BUYER_KIND_ASSISTING_UNIT) b.set_staff_count(120);
      con::Buyer buyer;
      if (auto s =
              unary.Do(absl::StrCat("UpsertBuyer ", spec.key, " ", county), county,
                       [&](grpc::ClientContext& c) { return stub->UpsertBuyer(&c, up, &buyer); });
          !s.ok()) {
        return s;
      }
      ++summary.buyers;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GenerateSummary> Generate(const GenerateOptions& options) {
  if (options.monitoring.empty()) return absl::InvalidArgumentError("--monitoring is required");
  if (options.rows_per_message < 1 || options.rows_per_message > 1000) {
    return absl::InvalidArgumentError("--rows-per-message must be 1..1000");
  }
  const std::vector<CountyPlan> plans = PlanPrefecture(options.population);
  if (plans.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--prefecture ", options.population.prefecture, " has no known counties"));
  }
  const absl::Time start = absl::Now();
  auto monitoring = mon::MonitoringService::NewStub(Channel(options.monitoring));
  Shared shared{.options = options, .monitoring = *monitoring};
  std::atomic<size_t> next_county{0};
  std::vector<absl::Status> failures(plans.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, options.streams); ++t) {
    threads.emplace_back([&] {
      for (size_t c = next_county++; c < plans.size(); c = next_county++) {
        failures[c] = LoadCounty(shared, plans[c]);
        if (!options.quiet) {
          spdlog::info("zxgen: {} {}: households {}..{} {}", plans[c].county, plans[c].name_zh,
                       plans[c].first, plans[c].end,
                       failures[c].ok() ? "loaded" : failures[c].ToString());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& s : failures) {
    if (!s.ok()) return s;
  }
  GenerateSummary summary;
  summary.households_accepted = shared.accepted;
  summary.households_already = shared.already;
  summary.households_rejected = shared.rejected;
  summary.persons = shared.persons;
  summary.survey_accepted = shared.survey_accepted;
  summary.survey_already = shared.survey_already;
  summary.survey_rejected = shared.survey_rejected;
  summary.first_rejection = shared.first_rejection;
  summary.registry_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!options.assets.empty() && options.assets_per_village > 0) {
    if (auto s = LoadAssets(options, plans, summary); !s.ok()) return s;
  }
  if (!options.consumption.empty()) {
    if (auto s = LoadConsumption(options, plans, shared.bindable, summary); !s.ok()) return s;
  }
  summary.total_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace zx::zxgen
