/* hooks.h: OCI hooks — run each with the container state on stdin, its own
 * args and env, and its timeout. Where each kind runs is the caller's
 * business (see container.c and init.c). */
#ifndef URUN_HOOKS_H
#define URUN_HOOKS_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

/* "prestart", "createRuntime", ... as in config.json. */
const char *urun_hook_kind_name (enum urun_hook_kind kind);

/* Does creating the container involve hooks (prestart, createRuntime,
 * createContainer or startContainer)? Then the container process stops for
 * urun to run the first two and learns its pid for their state. */
bool urun_hooks_at_create (const struct urun_spec *spec);

/* Run the hooks of KIND in order; the first that fails (exit status not 0,
 * killed, over its timeout, missing) stops the rest and sets ERR:
 * "hooks.createRuntime[1] `/bin/x`: exited with status 3". */
int urun_run_hooks (const struct urun_spec *spec, enum urun_hook_kind kind,
                    const char *state_json, struct urun_error *err);

/* The same for poststart and poststop, whose failures only warn
 * (runtime-spec, "Lifecycle"). */
void urun_run_hooks_warn (const struct urun_spec *spec,
                          enum urun_hook_kind kind, const char *state_json);

#endif
