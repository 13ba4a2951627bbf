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

/* The namespaces a spec joins by path, opened all at once before any is
 * joined: once in another mount namespace, /proc/PID/ns/... names a
 * different process, or none. fds[type] is -1 for one not joined. */
struct urun_ns_joins
{
  int fds[URUN_NS_COUNT];
};

int urun_ns_open_joins (const struct urun_spec *spec, struct urun_ns_joins *j,
                        struct urun_error *err);
void urun_ns_close_joins (struct urun_ns_joins *j);

/* setns(2) into the joined user namespace, if any; then, with the
 * capabilities it grants (setns(2), "Details for specific namespace
 * types"), into the others, the mount namespace last.
 * Runs in: the container process, before it creates its new ones. */
int urun_ns_join_user (const struct urun_spec *spec, const struct urun_ns_joins *j,
                       struct urun_error *err);
int urun_ns_join_others (const struct urun_spec *spec, const struct urun_ns_joins *j,
                         struct urun_error *err);

/* fork(2) into new namespaces: clone3 with FLAGS and no stack, so the child
 * returns 0 here as after fork. Returns the child's pid in the parent. */
pid_t urun_clone (unsigned long flags, struct urun_error *err);

/* The same, the child starting in the cgroup v2 directory CGROUP_FD. */
pid_t urun_clone_into (unsigned long flags, int cgroup_fd,
                       struct urun_error *err);

#endif
