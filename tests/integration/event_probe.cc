// zx-event-probe: the moving parts of the event pipeline as separate
// processes, so tests can SIGKILL them at random points.
//   zx-event-probe relay   --pg C --redis H:P --stream S
//   zx-event-probe consume --pg C --redis H:P --stream S --group G
// The producer schema is "probe_producer" (outbox), the consumer schema
// "probe_consumer" (processed events + effects: one row per event with the
// number of times its effect was applied — exactly-once means all ones).
#include <signal.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"
#include "common/events/events.h"
#include "common/logging/logging.h"
#include "common/pg/pg.h"

int main(int argc, char** argv) {
  CLI::App app{"event pipeline probe"};
  std::string mode, pg, redis, stream, group = "probe";
  double claim_idle_s = 2;
  app.add_option("mode", mode)->required()->check(CLI::IsMember({"relay", "consume"}));
  app.add_option("--pg", pg)->required();
  app.add_option("--redis", redis)->required();
  app.add_option("--stream", stream)->required();
  app.add_option("--group", group);
  app.add_option("--claim-idle", claim_idle_s);
  CLI11_PARSE(app, argc, argv);
  zx::logging::Init("event-probe", mode, "warn");
  const auto colon = redis.rfind(':');
  const std::string host = redis.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(redis.substr(colon + 1), &port)) return 2;

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (mode == "relay") {
    zx::events::Relay relay({.pg_conninfo = pg,
                             .schema = "probe_producer",
                             .stream_key = stream,
                             .redis_host = host,
                             .redis_port = port,
                             .batch_size = 200,
                             .poll_interval = absl::Milliseconds(200)},
                            nullptr);
    relay.Start();
    int sig = 0;
    sigwait(&signals, &sig);
    relay.Stop();
    return 0;
  }
  zx::pg::Pool pool({.conninfo = pg, .size = 2, .search_path = "probe_consumer"});
  zx::events::Consumer consumer(
      {.stream_key = stream,
       .group = group,
       .consumer_name = zx::events::DefaultConsumerName(),
       .redis_host = host,
       .redis_port = port,
       .batch_size = 50,
       .block = absl::Milliseconds(200),
       .claim_idle = absl::Seconds(claim_idle_s),
       .claim_interval = absl::Milliseconds(500)},
      pool,
      [](pqxx::transaction_base& tx, const zx::common::v1::Event& event) {
        tx.exec_params(
            "INSERT INTO effects (event_id, applied) VALUES ($1, 1) "
            "ON CONFLICT (event_id) DO UPDATE SET applied = effects.applied + 1",
            event.id());
        return absl::OkStatus();
      },
      nullptr);
  consumer.Start();
  int sig = 0;
  sigwait(&signals, &sig);
  consumer.Stop();
  return 0;
}
