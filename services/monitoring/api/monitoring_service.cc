#include "services/monitoring/api/monitoring_service.h"

#include <sodium.h>

#include "common/events/events.h"
#include "common/idempotency/idempotency.h"
#include "common/time/time.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/store/household_store.h"

namespace zx::migrations {
const std::vector<MigrationFile>& MonitoringMigrations();
}

namespace zx::monitoring {
namespace {

std::string NewHouseholdId() {
  unsigned char bytes[10];
  randombytes_buf(bytes, sizeof bytes);
  char hex[21];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string("hh-") + hex;
}

}  // namespace

grpc::ServerUnaryReactor* MonitoringServiceImpl::CreateHousehold(
    grpc::CallbackServerContext* ctx, const v1::CreateHouseholdRequest* request,
    v1::Household* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    if (!request->has_household()) {
      v.Add("household", "is required");
    } else {
      ValidateNewHousehold(request->household(), rt_.division, "household.", v);
    }
    if (!v.ok()) return v.ToStatus();
    const auto village = *division::Code::Parse(request->household().village_code());
    if (auto s = call.Authorize("monitoring.household.create", village); !s.ok()) return s;

    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      return idempotency::Run(
          tx, "monitoring.CreateHousehold", request->request_id(), *request, *response, [&] {
            v1::Household h = request->household();
            h.set_household_id(NewHouseholdId());
            // Microseconds: what PostgreSQL keeps, so Get returns the same stamp.
            *h.mutable_created_at() =
                time::ToProto(absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())));
            InsertHousehold(tx, h);
            v1::HouseholdRegistered payload;
            *payload.mutable_household() = h;
            auto event = events::Append(tx, rt_.config.instance,
                                        {.type = "monitoring.household_registered",
                                         .division_code = h.village_code(),
                                         .aggregate_id = h.household_id(),
                                         .payload = &payload,
                                         .causation_id = request->request_id()});
            if (!event.ok()) return event.status();
            *response = std::move(h);
            return absl::OkStatus();
          });
    });
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::GetHousehold(
    grpc::CallbackServerContext* ctx, const v1::GetHouseholdRequest* request,
    v1::Household* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    if (!IsHouseholdId(request->household_id())) {
      return errors::InvalidField("household_id", "must look like hh- and 20 hex digits");
    }
    std::optional<v1::Household> found;
    auto s = pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      found = FindHousehold(tx, request->household_id());
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    if (!found) return absl::NotFoundError("household " + request->household_id() + " not found");
    const auto village = division::Code::Parse(found->village_code());
    if (!village.ok()) return absl::InternalError("stored village code is invalid");
    if (auto a = call.Authorize("monitoring.household.get", *village); !a.ok()) return a;
    *response = std::move(*found);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::ListHouseholds(
    grpc::CallbackServerContext* ctx, const v1::ListHouseholdsRequest* request,
    v1::ListHouseholdsResponse* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    auto division = division::Code::Parse(request->division_code());
    v.Check("division_code", division.status());
    auto page_size = EffectivePageSize(request->page_size());
    if (!page_size.ok()) v.Add("page_size", "must not be negative");
    auto cursor = DecodePageToken(request->page_token());
    v.Check("page_token", cursor.status());
    if (!v.ok()) return v.ToStatus();
    if (auto a = call.Authorize("monitoring.household.list", *division); !a.ok()) return a;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      response->Clear();
      auto rows =
          zx::monitoring::ListHouseholds(tx, VillagePrefix(*division), *cursor, *page_size + 1);
      if (static_cast<int>(rows.size()) > *page_size) {
        rows.pop_back();
        response->set_next_page_token(
            EncodePageToken({rows.back().village_code(), rows.back().household_id()}));
      }
      for (auto& h : rows) *response->add_households() = std::move(h);
      return absl::OkStatus();
    });
  });
}

server::ServiceSpec MonitoringSpec() {
  return server::ServiceSpec{.name = "monitoring",
                             .grpc_service_name = "zx.monitoring.v1.MonitoringService",
                             .migrations = &migrations::MonitoringMigrations(),
                             .make_services = [](server::Runtime& rt) {
                               std::vector<std::unique_ptr<grpc::Service>> services;
                               services.push_back(std::make_unique<MonitoringServiceImpl>(rt));
                               return services;
                             }};
}

}  // namespace zx::monitoring
