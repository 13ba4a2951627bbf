/* fuzz.h: what the libFuzzer harnesses share.  Each harness is one
 * LLVMFuzzerTestOneInput over one parser of urun-core; a crash it finds
 * becomes a test in tests/unit/ (tests/fuzz/run.sh runs them). */
#ifndef URUN_FUZZ_H
#define URUN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A copy of DATA with a terminating NUL (the parsers of C strings need one). */
char *fuzz_strndup (const uint8_t *data, size_t size);

#endif
