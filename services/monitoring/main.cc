// zx-monitoring: 防止返贫动态监测和帮扶 (dynamic monitoring against return to poverty).
#include "services/monitoring/api/monitoring_service.h"

int main(int argc, char** argv) {
  return zx::server::RunServiceMain(zx::monitoring::MonitoringSpec(), argc, argv);
}
