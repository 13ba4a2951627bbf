/* template.h: generated JSON documents — the default config.json of
 * `urun spec` and the OCI features document of `urun features`. */
#ifndef URUN_TEMPLATE_H
#define URUN_TEMPLATE_H

#include <stdbool.h>

#include "error.h"

/* The default config.json, as `runc spec` writes it; with ROOTLESS, as
 * `runc spec --rootless` does, but mapping every subordinate range the
 * caller owns, not only the caller's own ID. */
char *urun_default_spec_json (bool rootless, struct urun_error *err);

/* runtime-spec features.md: what this build of urun supports. */
char *urun_features_json (void);

#endif
