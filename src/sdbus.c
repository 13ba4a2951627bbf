/* sdbus.c: libsystemd's sd-bus loaded at first use, and the connection to
 * the user's or the system's systemd manager. */
#define _GNU_SOURCE
#include "sdbus.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

static struct urun_sdbus sdbus;

/* libsystemd is loaded when --systemd-cgroup needs it, not linked: a link
 * would load it (and its libraries: lz4, zstd, gcrypt, ...) at every start
 * of urun and of its self-clone, as userns/subid.c avoids for libsubid. */
static bool
load_symbols (void *handle)
{
  struct
  {
    void **slot;
    const char *name;
  } symbols[] = {
#define SYM(field, name) { (void **) &sdbus.field, name }
    SYM (bus_new, "sd_bus_new"),
    SYM (set_address, "sd_bus_set_address"),
    SYM (set_bus_client, "sd_bus_set_bus_client"),
    SYM (start, "sd_bus_start"),
    SYM (open_system, "sd_bus_open_system"),
    SYM (close_unref, "sd_bus_flush_close_unref"),
    SYM (call, "sd_bus_call"),
    SYM (process, "sd_bus_process"),
    SYM (wait, "sd_bus_wait"),
    SYM (match_signal, "sd_bus_match_signal"),
    SYM (slot_unref, "sd_bus_slot_unref"),
    SYM (new_method_call, "sd_bus_message_new_method_call"),
    SYM (message_unref, "sd_bus_message_unref"),
    SYM (append, "sd_bus_message_append"),
    SYM (append_array, "sd_bus_message_append_array"),
    SYM (open_container, "sd_bus_message_open_container"),
    SYM (close_container, "sd_bus_message_close_container"),
    SYM (read, "sd_bus_message_read"),
    SYM (error_free, "sd_bus_error_free"),
    SYM (error_get_errno, "sd_bus_error_get_errno"),
    SYM (error_has_name, "sd_bus_error_has_name"),
#undef SYM
  };

  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++)
    if ((*symbols[i].slot = dlsym (handle, symbols[i].name)) == NULL)
      return false;
  return true;
}

const struct urun_sdbus *
urun_sdbus_load (struct urun_error *err)
{
  static bool tried, loaded;
  static char *why;
  void *handle;

  if (!tried)
    {
      tried = true;
      handle = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
      if (handle == NULL)
        why = xasprintf ("load libsystemd.so.0: %s", dlerror ());
      else if (!(loaded = load_symbols (handle)))
        why = xstrdup ("libsystemd.so.0 lacks sd-bus functions (older than systemd 240)");
    }
  if (!loaded && err != NULL)
    urun_set_error (err, 0, "%s", why);
  return loaded ? &sdbus : NULL;
}

/* ---------------------------------------------------------------------- */

/* A D-Bus address escapes all but [A-Za-z0-9_/.\-] as %XX (D-Bus
 * specification, "Server Addresses"). */
static char *
unix_address (const char *path)
{
  cleanup_free char *out = xmalloc0 (strlen (path) * 3 + 16);
  char *p = stpcpy (out, "unix:path=");

  for (const char *c = path; *c; c++)
    if (strchr ("_/.\\-", *c) || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
        || (*c >= '0' && *c <= '9'))
      *p++ = *c;
    else
      p += sprintf (p, "%%%02x", (unsigned char) *c);
  return TAKE_PTR (out);
}

/* The manager's Version property: proves that a manager answers there. */
static int
probe (struct urun_manager *m, struct urun_error *err)
{
  cleanup_sd_message sd_bus_message *call = NULL, *reply = NULL;
  const char *version = NULL;
  int r;

  r = m->sd->new_method_call (m->bus, &call, SD_DEST, SD_PATH, "org.freedesktop.DBus.Properties", "Get");
  if (r >= 0)
    r = m->sd->append (call, "ss", SD_MANAGER, "Version");
  if (r < 0)
    return urun_set_error (err, -r, "build a D-Bus message");
  if (urun_manager_call (m, call, "Get", &reply, NULL, err) < 0)
    return -1;
  r = m->sd->read (reply, "v", "s", &version);
  if (r < 0)
    return urun_set_error (err, -r, "read the manager's version");
  urun_debug ("--systemd-cgroup: systemd %s at `%s`", version, m->address);
  return 0;
}

/* Connect to ADDRESS: a manager's private socket (DIRECT) or a bus. */
static int
try_address (struct urun_manager *m, const char *address, bool direct,
             char **notes)
{
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  cleanup_free char *msg = NULL;
  int r;

  /* Loaded only now: with no socket to try, urun does not pay for it. */
  if (m->sd == NULL && (m->sd = urun_sdbus_load (&err)) == NULL)
    {
      urun_strappend (notes, ", ", "`%s`: %s", address, err.msg);
      return -1;
    }
  m->is_direct = direct;
  m->address = xstrdup (address);
  r = m->sd->bus_new (&m->bus);
  if (r >= 0)
    r = m->sd->set_address (m->bus, address);
  if (r >= 0 && !direct)
    r = m->sd->set_bus_client (m->bus, 1);
  if (r >= 0)
    r = m->sd->start (m->bus);
  if (r < 0)
    urun_set_error (&err, -r, "connect");
  if (r >= 0 && probe (m, &err) == 0)
    return 0;
  msg = urun_format_error (&err);
  urun_strappend (notes, ", ", "`%s`: %s", address, msg);
  urun_manager_close (m);
  return -1;
}

/* SOCKET (a path) when it exists. */
static int
try_socket (struct urun_manager *m, const char *socket, bool direct, char **notes)
{
  cleanup_free char *address = NULL;

  if (access (socket, F_OK) < 0)
    {
      urun_strappend (notes, ", ", "no `%s`", socket);
      return -1;
    }
  address = unix_address (socket);
  return try_address (m, address, direct, notes);
}

static int
connect_user (struct urun_manager *m, char **notes)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  const char *dbus = getenv ("DBUS_SESSION_BUS_ADDRESS");
  cleanup_free char *private = NULL, *bus = NULL, *dbus_note = NULL;

  if (dbus && *dbus && try_address (m, dbus, false, &dbus_note) == 0)
    return 0;
  if (xdg == NULL || *xdg == '\0')
    urun_strappend (notes, ", ", "%s", dbus && *dbus ? "XDG_RUNTIME_DIR unset" : "XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS unset");
  else
    {
      private = xasprintf ("%s/systemd/private", xdg);
      bus = xasprintf ("%s/bus", xdg);
      if (try_socket (m, private, true, notes) == 0 || try_socket (m, bus, false, notes) == 0)
        return 0;
      if (dbus == NULL || *dbus == '\0')
        urun_strappend (notes, ", ", "DBUS_SESSION_BUS_ADDRESS unset");
    }
  if (dbus_note)
    urun_strappend (notes, ", ", "DBUS_SESSION_BUS_ADDRESS %s", dbus_note);
  return -1;
}

static int
connect_system (struct urun_manager *m, char **notes)
{
  const char *env = getenv ("DBUS_SYSTEM_BUS_ADDRESS");
  cleanup_free char *address = NULL;

  /* sd_booted(3): the system runs systemd when /run/systemd/system/ exists. */
  if (access ("/run/systemd/system", F_OK) < 0)
    {
      urun_strappend (notes, ", ", "no `/run/systemd/system`");
      return -1;
    }
  if (try_socket (m, "/run/systemd/private", true, notes) == 0)
    return 0;
  address = env && *env ? xstrdup (env) : unix_address ("/run/dbus/system_bus_socket");
  return try_address (m, address, false, notes);
}

int
urun_manager_connect (bool user, struct urun_manager *m, char **why_not)
{
  *m = (struct urun_manager){ 0 };
  *why_not = NULL;
  return user ? connect_user (m, why_not) : connect_system (m, why_not);
}

void
urun_manager_close (struct urun_manager *m)
{
  if (m->bus && m->sd)
    m->sd->close_unref (m->bus);
  m->bus = NULL;
  free (m->address);
  m->address = NULL;
}

/* ---------------------------------------------------------------------- */

sd_bus_message *
urun_manager_new_call (struct urun_manager *m, const char *method,
                       struct urun_error *err)
{
  sd_bus_message *call = NULL;
  int r = m->sd->new_method_call (m->bus, &call, SD_DEST, SD_PATH, SD_MANAGER, method);

  if (r < 0)
    {
      urun_set_error (err, -r, "build the D-Bus call %s", method);
      return NULL;
    }
  return call;
}

int
urun_manager_call (struct urun_manager *m, sd_bus_message *call,
                   const char *method, sd_bus_message **reply,
                   char **error_name, struct urun_error *err)
{
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message *answer = NULL;
  int r = m->sd->call (m->bus, call, 0, &error, &answer);

  if (r >= 0)
    {
      if (reply)
        *reply = answer;
      else
        m->sd->message_unref (answer);
      return 0;
    }
  if (error_name)
    *error_name = error.name ? xstrdup (error.name) : NULL;
  if (error.message)
    urun_set_error (err, m->sd->error_get_errno (&error), "systemd %s: %s", method, error.message);
  else
    urun_set_error (err, -r, "systemd %s", method);
  m->sd->error_free (&error);
  return -1;
}

struct job_wait
{
  const char *path; /* the job's object path; NULL until the reply came */
  char *result;
};

/* JobRemoved (u id, o job, s unit, s result). org.freedesktop.systemd1(5) */
static int
job_removed (sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
  const struct urun_sdbus *sd = urun_sdbus_load (NULL);
  struct job_wait *w = userdata;
  const char *path = NULL, *unit = NULL, *result = NULL;
  uint32_t id;

  (void) error;
  if (sd->read (msg, "uoss", &id, &path, &unit, &result) < 0 || w->path == NULL)
    return 0;
  if (strcmp (path, w->path) == 0 && w->result == NULL)
    w->result = xstrdup (result);
  return 0;
}

static uint64_t
now_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int
wait_job (struct urun_manager *m, struct job_wait *w, const char *method,
          uint64_t timeout_usec, struct urun_error *err)
{
  uint64_t deadline = now_usec () + timeout_usec;

  while (w->result == NULL)
    {
      uint64_t now = now_usec ();
      int r = m->sd->process (m->bus, NULL);

      if (r > 0)
        continue;
      if (r >= 0 && now >= deadline)
        return urun_set_error (err, ETIMEDOUT, "wait for the job of systemd %s `%s`", method, w->path);
      if (r >= 0)
        r = m->sd->wait (m->bus, deadline - now);
      if (r < 0)
        return urun_set_error (err, -r, "wait for the job of systemd %s `%s`", method, w->path);
    }
  return 0;
}

int
urun_manager_run_job (struct urun_manager *m, sd_bus_message *call,
                      const char *method, uint64_t timeout_usec,
                      char **result, char **error_name,
                      struct urun_error *err)
{
  cleanup_sd_message sd_bus_message *reply = NULL;
  struct job_wait w = { NULL, NULL };
  sd_bus_slot *slot = NULL;
  int r;

  /* Before the call: the signal may come before we read the reply. A
   * private socket has no bus daemon, so no sender name to match. */
  r = m->sd->match_signal (m->bus, &slot, m->is_direct ? NULL : SD_DEST, SD_PATH, SD_MANAGER,
                           "JobRemoved", job_removed, &w);
  if (r < 0)
    return urun_set_error (err, -r, "watch systemd's jobs");
  if (urun_manager_call (m, call, method, &reply, error_name, err) < 0
      || (r = m->sd->read (reply, "o", &w.path)) < 0)
    {
      if (r < 0)
        urun_set_error (err, -r, "read the reply of systemd %s", method);
      m->sd->slot_unref (slot);
      return -1;
    }
  r = wait_job (m, &w, method, timeout_usec, err);
  m->sd->slot_unref (slot);
  if (r < 0)
    {
      free (w.result);
      return -1;
    }
  *result = w.result;
  return 0;
}
