// zx-consumption: 消费帮扶 (suppliers and bindings, certified products,
// buyers and targets, orders, attribution to households, 832 imports).
#include "services/consumption/api/consumption_service.h"

int main(int argc, char** argv) {
  return zx::server::RunServiceMain(zx::consumption::ConsumptionSpec(), argc, argv);
}
