/* exec.c: a new process in a running container — its config inherited from
 * the container's, its namespaces those of the container's pid 1. */
#define _GNU_SOURCE
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../userns/mappings.h"
#include "cleanup.h"
#include "log.h"
#include "spawn.h"
#include "state.h"
#include "sync.h"
#include "utils.h"

/* /proc/PID/ns file names, indexed by enum urun_ns_type. */
static const char *const ns_files[URUN_NS_COUNT] = {
  [URUN_NS_USER] = "user",  [URUN_NS_MOUNT] = "mnt",     [URUN_NS_PID] = "pid",
  [URUN_NS_NETWORK] = "net", [URUN_NS_IPC] = "ipc",      [URUN_NS_UTS] = "uts",
  [URUN_NS_CGROUP] = "cgroup", [URUN_NS_TIME] = "time",
};

static bool
same_namespace (pid_t pid, const char *file)
{
  char path[64];
  struct stat theirs, ours;

  snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, file);
  if (stat (path, &theirs) < 0)
    return true; /* a kernel without this namespace type */
  snprintf (path, sizeof path, "/proc/self/ns/%s", file);
  return stat (path, &ours) == 0 && ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev;
}

/* The namespaces to join are whatever the container's pid 1 has that we do
 * not: that includes the user namespace urun added for a rootless caller,
 * which the config does not list. */
static void
join_namespaces_of (struct urun_spec *spec, pid_t pid)
{
  struct urun_linux *l = &spec->linux_;

  for (size_t i = 0; i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  l->namespaces = xmalloc0 (URUN_NS_COUNT * sizeof (struct urun_namespace));
  l->n_namespaces = 0;
  for (int t = 0; t < URUN_NS_COUNT; t++)
    if (!same_namespace (pid, ns_files[t]))
      l->namespaces[l->n_namespaces++] = (struct urun_namespace){
        .type = t, .path = xasprintf ("/proc/%d/ns/%s", (int) pid, ns_files[t])
      };
}

/* What only the container's creation does: hostname, hooks, sysctl. */
static void
strip_creation_steps (struct urun_spec *spec)
{
  struct urun_linux *l = &spec->linux_;

  free (spec->hostname);
  free (spec->domainname);
  spec->hostname = spec->domainname = NULL;
  for (int k = 0; k < URUN_HOOK_KIND_COUNT; k++)
    {
      for (size_t i = 0; i < spec->hooks[k].n_hooks; i++)
        {
          free (spec->hooks[k].hooks[i].path);
          strv_free (spec->hooks[k].hooks[i].args);
          strv_free (spec->hooks[k].hooks[i].env);
        }
      free (spec->hooks[k].hooks);
      spec->hooks[k] = (struct urun_hook_list){ NULL, 0 };
    }
  for (size_t i = 0; i < l->n_sysctl; i++)
    {
      free (l->sysctl[i].key);
      free (l->sysctl[i].value);
    }
  free (l->sysctl);
  l->sysctl = NULL;
  l->n_sysctl = 0;
}

static void
replace_process (struct urun_spec *spec, struct urun_process *p)
{
  struct urun_process old = spec->process;

  spec->process = *p;
  *p = old;
  urun_free_process (p);
}

static int
load_process_file (struct urun_spec *spec, int dir_fd, const char *file,
                   struct urun_error *err)
{
  cleanup_free char *json = NULL;
  cleanup_free char *base = NULL;
  size_t len = 0, base_len = 0;
  struct urun_process *p;

  if (urun_read_file_at (AT_FDCWD, file, &json, &len, err) < 0
      || urun_read_file_at (dir_fd, "config.json", &base, &base_len, err) < 0)
    return urun_wrap_error (err, "--process");
  p = urun_parse_process_over (json, len, "process.json", base, base_len, err);
  if (p == NULL)
    return -1;
  replace_process (spec, p);
  return 0;
}

static char **
strv_copy (char **v, size_t *n)
{
  char **copy;

  for (*n = 0; v[*n]; (*n)++)
    ;
  copy = xmalloc0 ((*n + 1) * sizeof (char *));
  for (size_t i = 0; i < *n; i++)
    copy[i] = xstrdup (v[i]);
  return copy;
}

/* The command line's flags, over what was inherited. */
static void
apply_flags (struct urun_process *p, const struct urun_exec_opts *o)
{
  struct urun_capabilities *c = &p->capabilities;

  if (o->args)
    {
      strv_free (p->args);
      p->args = strv_copy (o->args, &p->n_args);
    }
  if (o->has_uid)
    p->user.uid = o->uid;
  if (o->has_gid)
    p->user.gid = o->gid;
  if (o->n_additional_gids)
    {
      free (p->user.additional_gids);
      p->user.additional_gids = xmalloc0 (o->n_additional_gids * sizeof (gid_t));
      memcpy (p->user.additional_gids, o->additional_gids, o->n_additional_gids * sizeof (gid_t));
      p->user.n_additional_gids = o->n_additional_gids;
    }
  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  for (size_t i = 0; i < o->n_env; i++)
    if (urun_process_set_env (p, o->env[i]) < 0)
      abort ();
  c->bounding |= o->add_caps, c->effective |= o->add_caps, c->permitted |= o->add_caps;
  c->inheritable |= o->add_caps, c->ambient |= o->add_caps;
  p->no_new_privileges = p->no_new_privileges || o->no_new_privs;
  p->terminal = p->terminal || o->tty;
  if (o->apparmor)
    free (p->apparmor_profile), p->apparmor_profile = xstrdup (o->apparmor);
  if (o->process_label)
    free (p->selinux_label), p->selinux_label = xstrdup (o->process_label);
}

/* keep-id made the container's process the caller (when the config said
 * 0:0) at create; the stored config.json still says 0:0, so exec does the
 * same (userns/rootless.h). */
static void
keep_id_user (struct urun_spec *spec, const struct urun_state *state,
              const struct urun_exec_opts *o)
{
  struct urun_user *u = &spec->process.user;
  bool keep_id = false;

  /* The state's annotations, which include a `--userns` given at create. */
  for (size_t i = 0; i < state->n_annotations; i++)
    keep_id = keep_id || (strcmp (state->annotations[i].key, URUN_USERNS_ANNOTATION) == 0
                          && strcmp (state->annotations[i].value, "keep-id") == 0);
  if (!keep_id || o->has_uid || u->uid != 0 || u->gid != 0)
    return;
  u->uid = getuid ();
  u->gid = getgid ();
}

/* Read the container's state and build the spec of the new process. */
static int
prepare_exec (const struct urun_context *ctx, const struct urun_exec_opts *o,
              struct urun_bundle *b, struct urun_state *state,
              struct urun_error *err)
{
  cleanup_close int root_fd = urun_state_open_root (ctx->state_root, err);
  cleanup_close int dir_fd = -1;
  const char *status;

  if (root_fd < 0 || (dir_fd = urun_state_open_dir (root_fd, o->id, err)) < 0
      || urun_state_read (dir_fd, state, err) < 0)
    return -1;
  status = urun_container_status (state, dir_fd);
  if (strcmp (status, "stopped") == 0)
    return urun_set_error (err, 0, "the container is stopped");
  if (strcmp (status, "paused") == 0 && !o->ignore_paused)
    return urun_set_error (err, 0, "the container is paused (resume it, or use --ignore-paused)");
  b->spec = urun_state_load_config (dir_fd, err);
  if (b->spec == NULL)
    return -1;
  if (o->process_file && load_process_file (b->spec, dir_fd, o->process_file, err) < 0)
    return -1;
  keep_id_user (b->spec, state, o);
  apply_flags (&b->spec->process, o);
  join_namespaces_of (b->spec, state->pid);
  strip_creation_steps (b->spec);
  b->path = xstrdup (state->bundle);
  /* The container's own root, whatever mount namespace it is in: a
   * process in one urun did not make enters it with chroot (sharedmnt.h);
   * in one urun made, it is the namespace's "/" already. */
  b->rootfs = xasprintf ("/proc/%d/root", (int) state->pid);
  return 0;
}

/* Start it: START, then wait until it has exec'd (or failed to). */
static int
start_process (int sync_fd, bool foreground, sigset_t *set, sigset_t *old,
               struct urun_error *err)
{
  urun_forwarded_signals (set);
  if (foreground)
    sigprocmask (SIG_BLOCK, set, old);
  if (urun_sync_send (sync_fd, URUN_SYNC_START, 0, err) < 0)
    return -1;
  return urun_sync_wait_exec (sync_fd, err);
}

int
urun_container_exec (const struct urun_context *ctx,
                     const struct urun_exec_opts *o, int *exit_status,
                     struct urun_error *err)
{
  cleanup_launch struct urun_launch l = URUN_LAUNCH_INIT;
  cleanup_bundle struct urun_bundle b = { 0 };
  cleanup_state struct urun_state state = { 0 };
  cleanup_close int sync_fd = -1;
  struct urun_create_opts co = {
    .id = o->id, .console_socket = o->console_socket, .pid_file = o->pid_file,
    .preserve_fds = o->preserve_fds, .detach = o->detach, .no_new_keyring = true,
  };
  struct urun_tty_proxy proxy;
  sigset_t set, old;

  if (prepare_exec (ctx, o, &b, &state, err) < 0
      || urun_open_console_socket (b.spec, &co, !o->detach, &l, err) < 0)
    return urun_wrap_error (err, "exec in `%s`", o->id);
  signal (SIGCHLD, SIG_DFL);
  /* The process is forked again inside the pid namespace: adopt it. */
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  /* Into the container's cgroup: the launch owns it now (id is NULL, so a
   * failed exec only frees it). */
  l.cgroup = state.cgroup;
  memset (&state.cgroup, 0, sizeof state.cgroup);
  sync_fd = urun_spawn (&b, &co, -1, &l, err);
  if (sync_fd < 0 || (o->pid_file && urun_write_pid_file (o->pid_file, l.pid, err) < 0)
      || start_process (sync_fd, !o->detach, &set, &old, err) < 0)
    return urun_wrap_error (err, "exec in `%s`", o->id);
  *exit_status = 0;
  if (!o->detach)
    {
      if (l.pty_master >= 0)
        urun_tty_proxy_start (&proxy, l.pty_master);
      *exit_status = urun_wait_forwarding (l.pid, &set, l.pty_master >= 0 ? &proxy : NULL);
      if (l.pty_master >= 0)
        urun_tty_proxy_stop (&proxy);
      sigprocmask (SIG_SETMASK, &old, NULL);
    }
  l.pid = 0;
  return 0;
}
