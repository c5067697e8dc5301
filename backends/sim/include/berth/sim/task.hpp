/// @file
/// The simulator's clients and handlers are berth::task coroutines, the type every
/// backend's handlers are (berth/task.hpp); sim::task is the same type.
#pragma once

#include "berth/task.hpp"

namespace berth::sim {

/// berth::task, under the simulator's name.
using berth::task;

}  // namespace berth::sim
