/* Controls of the deterministic test platform (tests/unit/fake_platform.c). */
#ifndef UNIC_TEST_FAKE_PLATFORM_H
#define UNIC_TEST_FAKE_PLATFORM_H

#include <stdint.h>

void fake_clock_set(uint64_t now); /* never goes back */
void fake_random_seed(uint64_t seed);
void fake_console_quiet(int quiet);

#endif
