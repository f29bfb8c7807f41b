#pragma once
// Whether this build runs under AddressSanitizer (the `asan` preset): its shadow memory and
// quarantine make resident-memory measurements and address-space limits (ulimit -v) meaningless.
#if defined(__SANITIZE_ADDRESS__)
#define LSGD_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LSGD_TEST_ASAN 1
#endif
#endif
#ifndef LSGD_TEST_ASAN
#define LSGD_TEST_ASAN 0
#endif
