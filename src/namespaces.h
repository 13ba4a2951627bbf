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

/* setns(2) into every namespace given by path, the user namespace first.
 * Runs in: the container process, before it creates its new ones. */
int urun_ns_join (const struct urun_spec *spec, struct urun_error *err);

/* fork(2) into new namespaces: clone3 with FLAGS and no stack, so the child
 * returns 0 here as after fork. Returns the child's pid in the parent. */
pid_t urun_clone (unsigned long flags, struct urun_error *err);

/* The same, the child starting in the cgroup v2 directory CGROUP_FD. */
pid_t urun_clone_into (unsigned long flags, int cgroup_fd,
                       struct urun_error *err);

#endif
