/* criu-run.c: talking to criu through libcriu — which binary, the options
 * every request shares, and turning a failure into a message from criu's
 * own log. */
#define _GNU_SOURCE
#include "criu.h"

#include <criu.h> /* criu.pc: -I$includedir/criu */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

/* libcriu 4.1.1 exports this but its criu.h declares only the global
 * criu_set_unprivileged(). */
void criu_local_set_unprivileged (criu_opts *opts, bool unprivileged);

/* --unprivileged appeared in CRIU 3.18; criu_get_version() says 31800. */
#define MIN_CRIU_VERSION 31800

const char *
urun_criu_binary (const char *path)
{
  const char *env = getenv ("URUN_CRIU");

  if (path && *path)
    return path;
  return env && *env ? env : "criu";
}

static void
set_log (struct urun_criu *c, int work_fd, const char *work_path,
         const char *log_name)
{
  c->work_fd = work_fd;
  c->work_path = work_path;
  c->log_name = log_name;
  criu_local_set_work_dir_fd (c->opts, work_fd);
  criu_local_set_log_file (c->opts, log_name);
  criu_local_set_log_level (c->opts, 4);
}

/* libcriu 4.1.1's criu_check() crashes the check worker (fixed upstream
 * after 4.1.1), so the version request is what tells that criu runs. */
int
urun_criu_init (struct urun_criu *c, const char *binary, int images_fd,
                int work_fd, const char *work_path, const char *log_name,
                struct urun_error *err)
{
  int version;

  memset (c, 0, sizeof *c);
  c->work_fd = -1;
  if (criu_local_init_opts (&c->opts) < 0)
    return urun_set_error (err, ENOMEM, "set up criu options");
  c->binary = binary;
  if (criu_local_set_service_binary (c->opts, binary) < 0)
    return urun_set_error (err, ENOMEM, "set up criu options");
  version = criu_local_get_version (c->opts);
  if (version < 0)
    return urun_set_error (err, 0, "run `%s swrk` (is CRIU installed? set --criu PATH or $URUN_CRIU)", binary);
  if (version < MIN_CRIU_VERSION)
    return urun_set_error (err, 0, "criu `%s` is version %d.%d, need 3.18 or later",
                           binary, version / 10000, version / 100 % 100);
  urun_debug ("criu `%s`: version %d", binary, version);
  criu_local_set_images_dir_fd (c->opts, images_fd);
  set_log (c, work_fd, work_path, log_name);
  return 0;
}

void
urun_criu_set_unprivileged (struct urun_criu *c, bool unprivileged)
{
  criu_local_set_unprivileged (c->opts, unprivileged);
}

void
urun_criu_free (struct urun_criu *c)
{
  if (c->opts)
    criu_local_free_opts (c->opts);
  c->opts = NULL;
}

/* The first "Error (file:line): message" of criu's log, without the
 * prefix: the cause ("Can't get rlimit 0: Operation not permitted"); what
 * follows it is criu giving up ("Dump core (pid: 12) failed with -1"). */
static char *
first_log_error (const struct urun_criu *c)
{
  cleanup_free char *text = NULL;
  cleanup_error struct urun_error ignored = URUN_ERROR_INIT;
  char *first = NULL, *line, *save = NULL;
  size_t len = 0;

  if (c->work_fd < 0 || urun_read_file_at (c->work_fd, c->log_name, &text, &len, &ignored) < 0)
    return NULL;
  for (line = strtok_r (text, "\n", &save); line && first == NULL; line = strtok_r (NULL, "\n", &save))
    {
      char *e = strstr (line, "Error (");
      char *close;

      if (e == NULL || (close = strstr (e, "): ")) == NULL)
        continue;
      /* Noise of unprivileged mode that criu itself ignores. */
      if (strstr (close, "RLIMIT_NOFILE") || strstr (close, "net: Unexpected error")
          || strstr (close, "FAILED."))
        continue;
      first = close + 3;
    }
  return first ? xstrdup (first) : NULL;
}

int
urun_criu_fail (const struct urun_criu *c, int ret, const char *action,
                struct urun_error *err)
{
  cleanup_free char *why = first_log_error (c);
  const char *dir = c->work_path ? c->work_path : ".";

  if (why)
    return urun_set_error (err, 0, "criu %s: %s (log: `%s/%s`)", action, why, dir, c->log_name);
  return urun_set_error (err, ret < 0 ? -ret : 0, "criu %s failed with no error in its log `%s/%s`",
                         action, dir, c->log_name);
}

/* Pre-dumps and --parent-path need the kernel to report which pages were
 * written since the last dump: soft-dirty bits (CONFIG_MEM_SOFT_DIRTY,
 * Linux 3.11+). A page just written is soft-dirty; without the config,
 * pagemap's bit 55 is always 0. pagemap(5). Asked here, not of criu: its
 * feature check prints its kernel probing on our stderr. */
bool
urun_criu_has_dirty_tracking (void)
{
  long page = sysconf (_SC_PAGESIZE);
  cleanup_close int fd = open ("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  volatile char *p = mmap (NULL, (size_t) page, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint64_t entry = 0;
  bool dirty;

  if (p == MAP_FAILED)
    return false;
  p[0] = 1;
  dirty = fd >= 0
          && pread (fd, &entry, sizeof entry, (off_t) ((uintptr_t) p / (uintptr_t) page * 8)) == sizeof entry
          && (entry >> 55) & 1;
  munmap ((void *) p, (size_t) page);
  return dirty;
}
