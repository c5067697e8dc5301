// The rapidcheck commands of the model-based test: one per event a driver can
// report (and per way of breaking the contract), each applied to the reference
// model and to the core, whose answers must agree (agreement.hpp).
#pragma once

#include <memory>

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include "core_under_test.hpp"
#include "server_model.hpp"

namespace berth::test {

using model_command_base = rc::state::Command<model::server_model, core_under_test>;
using command_ptr = std::shared_ptr<const model_command_base>;

/// The next command for a model state. The weights follow what the state makes
/// meaningful (accept while a batch wants more, close sockets the core asked to
/// close, ...), and every kind of contract-breaking event keeps a share.
[[nodiscard]] rc::Gen<command_ptr> next_command(const model::server_model& m);

}  // namespace berth::test
