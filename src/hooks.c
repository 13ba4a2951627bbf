/* hooks.c: running OCI hooks with a timeout. */
#define _GNU_SOURCE
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

static const char *const kind_names[URUN_HOOK_KIND_COUNT] = {
  [URUN_HOOK_PRESTART] = "prestart",
  [URUN_HOOK_CREATE_RUNTIME] = "createRuntime",
  [URUN_HOOK_CREATE_CONTAINER] = "createContainer",
  [URUN_HOOK_START_CONTAINER] = "startContainer",
  [URUN_HOOK_POSTSTART] = "poststart",
  [URUN_HOOK_POSTSTOP] = "poststop",
};

const char *
urun_hook_kind_name (enum urun_hook_kind kind)
{
  return kind_names[kind];
}

bool
urun_hooks_at_create (const struct urun_spec *spec)
{
  return spec->hooks[URUN_HOOK_PRESTART].n_hooks || spec->hooks[URUN_HOOK_CREATE_RUNTIME].n_hooks
         || spec->hooks[URUN_HOOK_CREATE_CONTAINER].n_hooks
         || spec->hooks[URUN_HOOK_START_CONTAINER].n_hooks;
}

/* Runs in: the forked hook process. Never returns. */
__attribute__ ((noreturn)) static void
exec_hook (const struct urun_hook *h, int stdin_fd)
{
  char *default_argv[] = { h->path, NULL };
  char *empty_env[] = { NULL };
  sigset_t none;

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (dup2 (stdin_fd, 0) < 0)
    _exit (127);
  execve (h->path, h->n_args ? h->args : default_argv, h->env ? h->env : empty_env);
  _exit (errno == ENOENT ? 127 : 126);
}

/* Wait for PID; SIGKILL it past TIMEOUT seconds (< 0: no limit). Waiting on a
 * pidfd keeps the timeout exact without signals. pidfd_open(2), 5.3+ */
static int
wait_hook (pid_t pid, int64_t timeout, int *status)
{
  cleanup_close int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
  int timed_out = 0;

  if (pidfd >= 0 && poll (&pfd, 1, timeout < 0 ? -1 : (int) (timeout * 1000)) == 0)
    {
      kill (pid, SIGKILL);
      timed_out = 1;
    }
  while (waitpid (pid, status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return timed_out;
}

static int
run_hook (const struct urun_hook *h, const char *state_json,
          struct urun_error *err)
{
  int pipefd[2];
  int status = 0, timed_out;
  void (*old_pipe) (int);
  pid_t pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return urun_set_error (err, errno, "create the hook's stdin");
  pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return urun_set_error (err, errno, "fork");
    }
  if (pid == 0)
    exec_hook (h, pipefd[0]);
  close (pipefd[0]);
  /* A hook that does not read its stdin must not kill us: EPIPE is fine.
   * The old disposition comes back, as an ignored signal survives execve. */
  old_pipe = signal (SIGPIPE, SIG_IGN);
  urun_write_all (pipefd[1], state_json, strlen (state_json));
  close (pipefd[1]);
  signal (SIGPIPE, old_pipe);
  timed_out = wait_hook (pid, h->timeout.set ? h->timeout.value : -1, &status);
  if (timed_out < 0)
    return urun_set_error (err, errno, "wait for the hook");
  if (timed_out)
    return urun_set_error (err, ETIMEDOUT, "timed out after %lld s", (long long) h->timeout.value);
  if (WIFSIGNALED (status))
    return urun_set_error (err, 0, "killed by signal %d", WTERMSIG (status));
  if (WEXITSTATUS (status) == 127 || WEXITSTATUS (status) == 126)
    return urun_set_error (err, 0, "cannot execute it (exit status %d)", WEXITSTATUS (status));
  if (WEXITSTATUS (status) != 0)
    return urun_set_error (err, 0, "exited with status %d", WEXITSTATUS (status));
  return 0;
}

int
urun_run_hooks (const struct urun_spec *spec, enum urun_hook_kind kind,
                const char *state_json, struct urun_error *err)
{
  const struct urun_hook_list *list = &spec->hooks[kind];

  for (size_t i = 0; i < list->n_hooks; i++)
    if (run_hook (&list->hooks[i], state_json, err) < 0)
      return urun_wrap_error (err, "hooks.%s[%zu] `%s`", kind_names[kind], i,
                              list->hooks[i].path);
  return 0;
}

void
urun_run_hooks_warn (const struct urun_spec *spec, enum urun_hook_kind kind,
                     const char *state_json)
{
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  cleanup_free char *text = NULL;

  if (urun_run_hooks (spec, kind, state_json, &err) == 0)
    return;
  text = urun_format_error (&err);
  urun_warn ("%s", text ? text : "hook failed");
}
