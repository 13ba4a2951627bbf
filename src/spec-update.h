/* spec-update.h: the resources document of `update --resources` (a
 * linux.resources object of config.json, runc's format). */
#ifndef URUN_SPEC_UPDATE_H
#define URUN_SPEC_UPDATE_H

#include <stddef.h>

#include "error.h"
#include "spec.h"

/* Parse and validate JSON/LEN with config.json's rules; errors read
 * "NAME: memory.limit: expected ...". NULL on failure. */
struct urun_resources *urun_parse_resources (const char *json, size_t len,
                                             const char *name,
                                             struct urun_error *err);

void urun_free_resources (struct urun_resources *r);

#endif
