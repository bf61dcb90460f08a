#include "build_info.h"

// Package.swift defines STYXY_COMMIT for this file alone when the build names one, so a new
// commit recompiles these few lines and relinks, and no Swift module is rebuilt for it.
#ifndef STYXY_COMMIT
#define STYXY_COMMIT ""
#endif

const char *styxy_build_commit(void) { return STYXY_COMMIT; }
