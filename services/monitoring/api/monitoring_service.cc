#include "services/monitoring/api/monitoring_service.h"

#include <algorithm>

#include "common/events/events.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/personal_data/personal_data.h"
#include "common/time/time.h"
#include "services/monitoring/api/alerts.h"
#include "services/monitoring/api/lifecycle_service.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/domain/person.h"
#include "services/monitoring/domain/requests.h"
#include "services/monitoring/store/household_cache_refresh.h"
#include "services/monitoring/store/household_store.h"
#include "services/monitoring/store/person_store.h"
#include "services/monitoring/store/rollup_store.h"

namespace zx::migrations {
const std::vector<MigrationFile>& MonitoringMigrations();
}

namespace zx::monitoring {

absl::StatusOr<v1::Household> AuthorizedHousehold(pqxx::transaction_base& tx,
                                                  const server::CallContext& call,
                                                  std::string_view action,
                                                  const std::string& household_id) {
  auto household = FindHousehold(tx, household_id);
  if (!household) return absl::NotFoundError("household " + household_id + " not found");
  auto village = division::Code::Parse(household->village_code());
  if (!village.ok()) return absl::InternalError("stored village code is invalid");
  if (auto s = call.Authorize(action, *village); !s.ok()) return s;
  return *household;
}

MonitoringServiceImpl::MonitoringServiceImpl(server::Runtime& runtime,
                                             std::shared_ptr<HouseholdCache> households)
    : rt_(runtime), households_(std::move(households)) {
  auto& reads = prometheus::BuildCounter()
                    .Name("zx_monitoring_household_reads_total")
                    .Help(
                        "GetHousehold answers by where the household was read: memory (the "
                        "in-memory registry) or database")
                    .Register(*rt_.registry);
  reads_from_memory_ = &reads.Add({{"source", "memory"}});
  reads_from_database_ = &reads.Add({{"source", "database"}});
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::CreateHousehold(
    grpc::CallbackServerContext* ctx, const v1::CreateHouseholdRequest* request,
    v1::Household* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    Validate(*request, rt_.division, v);
    if (!v.ok()) return v.ToStatus();
    const auto village = *division::Code::Parse(request->household().village_code());
    if (auto s = call.Authorize("monitoring.household.create", village); !s.ok()) return s;

    const absl::Status created =
        pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
          return idempotency::Run(
              tx, "monitoring.CreateHousehold", request->request_id(), *request, *response, [&] {
                v1::Household h = request->household();
                h.set_household_id(NewId("hh"));
                // Microseconds: what PostgreSQL keeps, so Get returns the same stamp.
                *h.mutable_created_at() =
                    time::ToProto(absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())));
                InsertHousehold(tx, h);
                if (auto s = RefreshRollup(tx, h.household_id()); !s.ok()) return s;
                v1::HouseholdRegistered payload;
                *payload.mutable_household() = h;
                auto event = events::Append(tx, rt_.config.instance,
                                            {.type = "monitoring.household_registered",
                                             .division_code = h.village_code(),
                                             .aggregate_id = h.household_id(),
                                             .payload = &payload,
                                             .causation_id = request->request_id()});
                if (!event.ok()) return event.status();
                pg::AfterCommit(households_.get(), [cache = households_, h] {
                  cache->Apply(h, kFirstHouseholdVersion);
                });
                *response = std::move(h);
                return absl::OkStatus();
              });
        });
    if (created.ok()) call.audit_resource = response->household_id();  // named in the audit entry
    return created;
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::GetHousehold(
    grpc::CallbackServerContext* ctx, const v1::GetHouseholdRequest* request,
    v1::Household* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    if (!IsHouseholdId(request->household_id())) {
      return errors::InvalidField("household_id", "must look like hh- and 20 hex digits");
    }
    std::optional<v1::Household> found = households_->Find(request->household_id(), absl::Now());
    if (found) {
      reads_from_memory_->Increment();
    } else {
      reads_from_database_->Increment();
      pg::TxOptions read = call.tx();
      read.single_read = true;
      auto s = pg::WithTransaction(*rt_.pool, read, [&](pqxx::transaction_base& tx) {
        found = FindHousehold(tx, request->household_id());
        return absl::OkStatus();
      });
      if (!s.ok()) return s;
    }
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
    auto division = auth::ListScope(call.principal, request->division_code());
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

grpc::ServerUnaryReactor* MonitoringServiceImpl::UpdateHousehold(
    grpc::CallbackServerContext* ctx, const v1::UpdateHouseholdRequest* request,
    v1::Household* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    const std::string& id = request->household().household_id();
    if (!IsHouseholdId(id)) {
      v.Add("household.household_id",
            "names the household to update; must look like hh- and 20 hex digits");
    }
    const std::vector<std::string> paths = ValidateHouseholdMask(request->update_mask(), v);
    if (!v.ok()) return v.ToStatus();

    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      // Locked before it is read for the merge, so concurrent updates of one
      // household apply in turn and none is lost.
      auto before = LockHousehold(tx, id);
      if (!before) return absl::NotFoundError("household " + id + " not found");
      const auto village = division::Code::Parse(before->village_code());
      if (!village.ok()) return absl::InternalError("stored village code is invalid");
      if (auto s = call.Authorize("monitoring.household.update", *village); !s.ok()) return s;
      return idempotency::Run(
          tx, "monitoring.UpdateHousehold", request->request_id(), *request, *response,
          [&]() -> absl::Status {
            v1::Household after = MergeHousehold(*before, request->household(), paths);
            // The merged household keeps the rules of a new one.
            errors::Validator merged;
            ValidateHouseholdFacts(after, rt_.division, "household.", merged);
            if (!merged.ok()) return merged.ToStatus();
            const bool moved = after.village_code() != before->village_code();
            if (moved) {
              // The caller must hold the new village as well as the old one.
              const auto to = *division::Code::Parse(after.village_code());
              if (auto s = call.Authorize("monitoring.household.update", to); !s.ok()) return s;
              // A monitoring object is reviewed by its village (assessment,
              // publicity); moving it mid-way is not defined by the rules.
              if (auto state = OpenObjectState(tx, id)) {
                return absl::FailedPreconditionError(
                    absl::StrCat("household ", id, " has a monitoring object in state ", *state,
                                 "; it can move to another village only without an open object"));
              }
            }
            const int64_t version = SaveHouseholdFacts(tx, after);
            // This instance answers its own writes at once; the others within a poll.
            pg::AfterCommit(households_.get(), [cache = households_, after, version] {
              cache->Apply(after, version);
            });
            if (auto s = RefreshRollup(tx, id); !s.ok()) return s;
            v1::HouseholdUpdated payload;
            *payload.mutable_before() = *before;
            *payload.mutable_after() = after;
            for (const auto& path : paths) payload.add_changed_paths(path);
            auto event = events::Append(tx, rt_.config.instance,
                                        {.type = "monitoring.household_updated",
                                         .division_code = after.village_code(),
                                         .aggregate_id = id,
                                         .payload = &payload,
                                         .causation_id = request->request_id()});
            if (!event.ok()) return event.status();
            // Members divide the income; the village decides the policy.
            if (moved || after.member_count() != before->member_count() ||
                after.category() != before->category()) {
              if (auto s = ReassessIfPolicyPublished(tx, rt_, after, request->request_id());
                  !s.ok()) {
                return s;
              }
            }
            *response = std::move(after);
            return absl::OkStatus();
          });
    });
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::AddPerson(grpc::CallbackServerContext* ctx,
                                                           const v1::AddPersonRequest* request,
                                                           v1::Person* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    const v1::Person& in = request->person();
    if (!IsHouseholdId(in.household_id())) {
      v.Add("person.household_id", "must look like hh- and 20 hex digits");
    }
    const auto today = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());
    auto info = ValidateNewPerson(in, today, "person.", v);
    if (!v.ok()) return v.ToStatus();

    const personal_data::Vault& vault = *rt_.vault;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household = AuthorizedHousehold(tx, call, "monitoring.person.add", in.household_id());
      if (!household.ok()) return household.status();
      return idempotency::Run(
          tx, "monitoring.AddPerson", request->request_id(), *request, *response,
          [&]() -> absl::Status {
            const std::string id_number = id_card::Normalize(in.id_number());
            NewPerson n;
            n.person = in;
            n.person.set_person_id(NewId("ps"));
            n.person.set_sex(info->sex == id_card::Sex::kMale ? v1::SEX_MALE : v1::SEX_FEMALE);
            n.person.set_birth_date(absl::FormatCivilTime(info->birth_date));
            n.id_number = vault.Seal(id_number);
            n.id_lookup = vault.LookupHash(id_number);
            n.id_masked = personal_data::MaskIdNumber(id_number);
            n.name = vault.Seal(in.name());
            n.name_masked = personal_data::MaskName(in.name());
            if (!InsertPerson(tx, n)) {
              // Deliberately not saying where: the other registration may lie
              // outside the caller's jurisdiction.
              return absl::AlreadyExistsError(
                  "a person with this ID number is already registered in this instance");
            }
            *response = n.person;
            response->set_id_number(n.id_masked);
            response->set_name(n.name_masked);
            // Masked views carry the birth year only: with the full date the
            // masked ID number would be the ID number.
            response->set_birth_date(n.person.birth_date().substr(0, 4));
            response->set_personal_data_masked(true);
            return absl::OkStatus();
          });
    });
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::ListPersons(grpc::CallbackServerContext* ctx,
                                                             const v1::ListPersonsRequest* request,
                                                             v1::ListPersonsResponse* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    if (!IsHouseholdId(request->household_id())) {
      return errors::InvalidField("household_id", "must look like hh- and 20 hex digits");
    }
    if (request->purpose().size() > 200) {
      return errors::InvalidField("purpose", "must be at most 200 bytes");
    }
    std::vector<StoredPerson> persons;
    auto s = pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household =
          AuthorizedHousehold(tx, call, "monitoring.person.list", request->household_id());
      if (!household.ok()) return household.status();
      persons = zx::monitoring::ListPersons(tx, request->household_id());
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    const bool clear = auth::MaySeePersonalData(call.principal, request->purpose());
    response->Clear();
    for (auto& stored : persons) {
      if (clear) {
        auto id_number = rt_.vault->Open(stored.id_number);
        auto name = rt_.vault->Open(stored.name);
        if (!id_number.ok()) return id_number.status();
        if (!name.ok()) return name.status();
        auto info = id_card::Parse(*id_number, absl::CivilDay(9999, 12, 31));
        if (info.ok()) stored.person.set_birth_date(absl::FormatCivilTime(info->birth_date));
        stored.person.set_id_number(*id_number);
        stored.person.set_name(*name);
        stored.person.set_personal_data_masked(false);
      }
      *response->add_persons() = std::move(stored.person);
    }
    if (clear && !persons.empty()) {
      // Answered only once the audit entry is durable (server::Handle).
      call.AuditPersonalDataRead(request->household_id(), request->purpose());
      call.audit.note = absl::StrCat(persons.size(), " persons in clear");
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::UpdatePerson(
    grpc::CallbackServerContext* ctx, const v1::UpdatePersonRequest* request,
    v1::Person* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    const std::string& id = request->person().person_id();
    if (!IsPersonId(id)) {
      v.Add("person.person_id", "names the person to update; must look like ps- and 20 hex digits");
    }
    const std::vector<std::string> paths = ValidatePersonMask(request->update_mask(), v);
    if (request->purpose().size() > 200) v.Add("purpose", "must be at most 200 bytes");
    if (!v.ok()) return v.ToStatus();
    const bool name_changed = std::find(paths.begin(), paths.end(), "name") != paths.end();

    const personal_data::Vault& vault = *rt_.vault;
    std::optional<StoredPerson> current;
    auto s = pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto stored = LockPerson(tx, id);
      if (!stored) return absl::NotFoundError("person " + id + " not found");
      auto household =
          AuthorizedHousehold(tx, call, "monitoring.person.update", stored->person.household_id());
      if (!household.ok()) return household.status();
      auto done = idempotency::Run(
          tx, "monitoring.UpdatePerson", request->request_id(), *request, *response,
          [&]() -> absl::Status {
            StoredPerson updated = *stored;
            updated.person = MergePerson(stored->person, request->person(), paths);
            // The merged person keeps the rules of AddPerson.
            errors::Validator merged;
            ValidatePersonFacts(updated.person, "person.", merged);
            if (!merged.ok()) return merged.ToStatus();
            if (name_changed) {
              updated.name = vault.Seal(request->person().name());
              updated.person.set_name(personal_data::MaskName(request->person().name()));
            }
            SavePersonFacts(tx, updated);
            // As AddPerson answers: masked, birth year only. This is also
            // what the idempotency record keeps, so nothing clear is stored.
            v1::Person masked = updated.person;
            masked.set_birth_date(masked.birth_date().substr(0, 4));
            masked.set_personal_data_masked(true);
            v1::PersonUpdated payload;
            *payload.mutable_person() = masked;
            for (const auto& path : paths) payload.add_changed_paths(path);
            auto event = events::Append(tx, rt_.config.instance,
                                        {.type = "monitoring.person_updated",
                                         .division_code = household->village_code(),
                                         .aggregate_id = id,
                                         .payload = &payload,
                                         .causation_id = request->request_id()});
            if (!event.ok()) return event.status();
            if (auto r = RefreshRollup(tx, household->household_id()); !r.ok()) return r;
            // Labour capacity, employment and health feed the risk factors.
            const bool assessed_fact_changed =
                std::any_of(
                    paths.begin(), paths.end(),
                    [](const std::string& path) { return PersonPathAffectsAssessment(path); }) &&
                (updated.person.labour_capacity() != stored->person.labour_capacity() ||
                 updated.person.employed() != stored->person.employed() ||
                 updated.person.health() != stored->person.health() ||
                 updated.person.disability_grade() != stored->person.disability_grade());
            if (assessed_fact_changed) {
              if (auto r = ReassessIfPolicyPublished(tx, rt_, *household, request->request_id());
                  !r.ok()) {
                return r;
              }
            }
            *response = std::move(masked);
            return absl::OkStatus();
          });
      if (!done.ok()) return done;
      if (auth::MaySeePersonalData(call.principal, request->purpose())) {
        current = LockPerson(tx, id);  // the sealed forms, to open below
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    if (current) {
      // Opened only for this caller, never stored: the idempotency record
      // and the event hold the masked person.
      auto id_number = vault.Open(current->id_number);
      if (!id_number.ok()) return id_number.status();
      std::string name = request->person().name();  // this update's name, as sent
      if (!name_changed) {
        auto opened = vault.Open(current->name);
        if (!opened.ok()) return opened.status();
        name = *std::move(opened);
      }
      auto info = id_card::Parse(*id_number, absl::CivilDay(9999, 12, 31));
      if (info.ok()) response->set_birth_date(absl::FormatCivilTime(info->birth_date));
      response->set_id_number(*id_number);
      response->set_name(name);
      response->set_personal_data_masked(false);
      call.AuditPersonalDataRead(id, request->purpose());
    }
    return absl::OkStatus();
  });
}

server::ServiceSpec MonitoringSpec() {
  return server::ServiceSpec{
      .name = "monitoring",
      .grpc_service_name = "zx.monitoring.v1.MonitoringService",
      .migrations = &migrations::MonitoringMigrations(),
      .make_services = [](server::Runtime& rt) {
        std::vector<std::unique_ptr<grpc::Service>> services;
        auto households = std::make_shared<HouseholdCache>(rt.config.household_cache_max);
        services.push_back(std::make_unique<MonitoringServiceImpl>(rt, households));
        if (rt.config.household_cache_max > 0) {
          rt.background_tasks.push_back([&rt, households](const std::atomic<bool>& stop) {
            RunHouseholdCacheRefresher(rt, *households, stop);
          });
        }
        rt.AddConsumer("employment", IncomeEventWork(rt, &DecodeEmploymentEvent));
        rt.AddConsumer("assets", IncomeEventWork(rt, &DecodeAssetsEvent));
        rt.AddConsumer("consumption", IncomeEventWork(rt, &DecodeConsumptionEvent));
        services.push_back(MakeLifecycleService(rt));
        services.push_back(MakeAlertService(rt));
        services.push_back(MakeCreditService(rt));
        rt.background_tasks.push_back(
            [&rt](const std::atomic<bool>& stop) { RunReassessmentWorker(rt, stop); });
        rt.background_tasks.push_back(
            [&rt](const std::atomic<bool>& stop) { RunRollupCompactor(rt, stop); });
        rt.background_tasks.push_back(
            [&rt](const std::atomic<bool>& stop) { RunDeadlineScheduler(rt, stop); });
        // For alerts and dashboards (deploy/prometheus, deploy/grafana).
        const auto counties = server::InstanceCounties(rt.division);
        rt.state_gauges = {
            {"zx_monitoring_households",
             "Households by county and current colour (none: not assessed yet)",
             {"county", "colour"},
             // From the roll-up (county counters + deltas not yet folded), as
             // GetRollup reads it: never a scan of the households.
             "SELECT county, CASE colour WHEN 'unassessed' THEN 'none' ELSE colour END, sum(n) "
             "FROM (SELECT division_code AS county, substr(key, 8) AS colour, value AS n "
             "  FROM rollup_counters WHERE key LIKE 'colour.%' AND substr(division_code, 5, 2) "
             "  <> '00' AND substr(division_code, 7) = '000000' "  // county rows only
             "  UNION ALL SELECT substr(village_code, 1, 6) || '000000', substr(key, 8), delta "
             "  FROM rollup_deltas WHERE key LIKE 'colour.%') r GROUP BY 1, 2",
             server::CountiesWith(counties, {"red", "orange", "yellow", "green", "none"})},
            {"zx_monitoring_alerts",
             "Alerts raised so far (records: the count only grows), by county and kind",
             {"county", "kind"},
             "SELECT substr(division_code, 1, 6) || '000000', CASE kind WHEN 1 THEN 'new_red' "
             "WHEN 2 THEN 'overdue_step' WHEN 3 THEN 'plan_missing' WHEN 4 THEN 'scale_warning' "
             "ELSE 'credit_overdue' END, count(*) FROM alerts GROUP BY 1, 2",
             server::CountiesWith(counties, {"new_red", "overdue_step", "plan_missing",
                                             "scale_warning", "credit_overdue"})}};
        return services;
      }};
}

}  // namespace zx::monitoring
