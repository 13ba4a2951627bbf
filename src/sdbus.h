/* sdbus.h: libsystemd's sd-bus, loaded (dlopen) the first time
 * --systemd-cgroup needs it, and the connection to a systemd manager: the
 * user's for a rootless caller, the system's for root. */
#ifndef URUN_SDBUS_H
#define URUN_SDBUS_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "error.h"

/* The part of sd-bus urun calls, with sd-bus.h's own prototypes. */
struct urun_sdbus
{
  __typeof__ (sd_bus_new) *bus_new;
  __typeof__ (sd_bus_set_address) *set_address;
  __typeof__ (sd_bus_set_bus_client) *set_bus_client;
  __typeof__ (sd_bus_start) *start;
  __typeof__ (sd_bus_open_system) *open_system;
  __typeof__ (sd_bus_flush_close_unref) *close_unref;
  __typeof__ (sd_bus_call) *call;
  __typeof__ (sd_bus_process) *process;
  __typeof__ (sd_bus_wait) *wait;
  __typeof__ (sd_bus_match_signal) *match_signal;
  __typeof__ (sd_bus_slot_unref) *slot_unref;
  __typeof__ (sd_bus_message_new_method_call) *new_method_call;
  __typeof__ (sd_bus_message_unref) *message_unref;
  __typeof__ (sd_bus_message_append) *append;
  __typeof__ (sd_bus_message_append_array) *append_array;
  __typeof__ (sd_bus_message_open_container) *open_container;
  __typeof__ (sd_bus_message_close_container) *close_container;
  __typeof__ (sd_bus_message_read) *read;
  __typeof__ (sd_bus_error_free) *error_free;
  __typeof__ (sd_bus_error_get_errno) *error_get_errno;
  __typeof__ (sd_bus_error_has_name) *error_has_name;
};

/* The loaded table; NULL (ERR set) when libsystemd.so.0 cannot be loaded. */
const struct urun_sdbus *urun_sdbus_load (struct urun_error *err);

/* A connection to a systemd manager. */
struct urun_manager
{
  const struct urun_sdbus *sd;
  sd_bus *bus;
  bool is_direct;    /* its private socket: no bus daemon, no sender names */
  char *address;     /* for messages */
};

/* Connect to the user's manager (USER) or the system's, and ask it for its
 * version, so that a connection that works is one to a manager. Returns 0,
 * or -1 with *WHY_NOT saying what was tried and why each failed. Rootless:
 * $DBUS_SESSION_BUS_ADDRESS, the manager's private socket
 * $XDG_RUNTIME_DIR/systemd/private (no dbus daemon needed), the session bus
 * $XDG_RUNTIME_DIR/bus; root: /run/systemd/private, then the system bus,
 * on a system booted with systemd (/run/systemd/system, sd_booted(3)). */
int urun_manager_connect (bool user, struct urun_manager *m, char **why_not);

void urun_manager_close (struct urun_manager *m);
#define cleanup_manager __attribute__ ((cleanup (urun_manager_close)))

/* A method call to org.freedesktop.systemd1.Manager, to be filled in. */
sd_bus_message *urun_manager_new_call (struct urun_manager *m,
                                       const char *method,
                                       struct urun_error *err);

/* Call M (ERR names METHOD and the manager's error message); *REPLY, when
 * not NULL, gets the reply. ERR's errnum is the bus error's errno; the
 * D-Bus error name goes to *ERROR_NAME when that is not NULL. */
int urun_manager_call (struct urun_manager *m, sd_bus_message *call,
                       const char *method, sd_bus_message **reply,
                       char **error_name, struct urun_error *err);

/* Call M, a method that queues a job (StartTransientUnit, StopUnit), and
 * wait up to TIMEOUT_USEC for the job to end (its JobRemoved signal).
 * *RESULT gets the job's result: "done", "failed", "canceled", ... */
int urun_manager_run_job (struct urun_manager *m, sd_bus_message *call,
                          const char *method, uint64_t timeout_usec,
                          char **result, char **error_name,
                          struct urun_error *err);

static inline void
sd_message_release (sd_bus_message **p)
{
  const struct urun_sdbus *sd;

  if (*p && (sd = urun_sdbus_load (NULL)) != NULL)
    sd->message_unref (*p);
}
#define cleanup_sd_message __attribute__ ((cleanup (sd_message_release)))

#endif
