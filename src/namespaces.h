/* namespaces.h: which namespaces a container gets, and entering them. */
#ifndef URUN_NAMESPACES_H
#define URUN_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

int urun_ns_clone_flag (enum urun_ns_type type);

/* CLONE_NEW* flags of the namespaces the spec asks to create (no path). */
unsigned long urun_ns_new_flags (const struct urun_spec *spec);

/* Does the spec join any namespace by path? */
bool urun_ns_has_joins (const struct urun_spec *spec);

/* setns(2) into the namespaces given by path: only the user namespace when
 * USER_ONLY, else every other one. Runs in: the container process. */
int urun_ns_join (const struct urun_spec *spec, bool user_only,
                  struct urun_error *err);

/* fork(2) into new namespaces: clone3 with FLAGS and no stack, so the child
 * returns 0 here as after fork. Returns the child's pid in the parent. */
pid_t urun_clone (unsigned long flags, struct urun_error *err);

#endif
