/* selfmove.c: the self-protection without a re-exec (selfclone.h). urun
 * makes every mapping of its binary lead to a file the container cannot
 * write, then points /proc/self/exe there too. Afterwards nothing in the
 * process leads back to the binary on disk: not the exe link, not a mapping
 * (/proc/PID/map_files), not an fd. A re-exec from a clone reaches the same
 * state, but pays for a second execve(2) and dynamic link, several times the
 * cost on a small VM (bench/selfclone.sh).
 *
 * Two ways to re-make a mapping, both safe under the running code, because
 * the bytes at every address stay the same across one system call:
 * - from the same file opened through a read-only mount clone: mmap(2)
 *   MAP_FIXED at the same offset maps the same page-cache pages, nothing is
 *   copied;
 * - as an anonymous copy moved over the old mapping by mremap(2), for pages
 *   the loader wrote (relocations in RELRO and data: a private file mapping
 *   keeps them in anonymous pages that a new mapping would lose), and for
 *   everything when no mount clone can be had. */
#define _GNU_SOURCE
#include "selfmove.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

/* A binary maps a handful of segments (ELF headers, text, read-only data,
 * RELRO, data) and the gaps between them; sanitizer builds a few more. */
#define MAX_MAPPINGS 32

struct mapping
{
  uintptr_t start, end;
  off_t offset;
  int prot;
};

bool
urun_selfmove_supported (void)
{
  unsigned int size = 0;

  /* PR_SET_MM_MAP exists with CONFIG_CHECKPOINT_RESTORE (Linux 3.18+);
   * without it every PR_SET_MM_MAP* fails with EINVAL. prctl(2) */
  return prctl (PR_SET_MM, PR_SET_MM_MAP_SIZE, &size, 0, 0) == 0
         && size == sizeof (struct prctl_mm_map);
}

/* One line of /proc/self/maps: "start-end perms offset major:minor inode
 * path". True and M filled when it maps the file DEV:INO or is named PATH
 * (overlayfs shows the upper path but the lower inode). */
static bool
parse_mapping (const char *line, dev_t dev, ino_t ino, const char *path,
               struct mapping *m, bool *private_)
{
  unsigned long long offset;
  unsigned long start, end, inode;
  unsigned int major, minor;
  char perms[5];
  int name_at = 0;

  if (sscanf (line, "%lx-%lx %4s %llx %x:%x %lu %n", &start, &end, perms, &offset,
              &major, &minor, &inode, &name_at) < 7)
    return false;
  if (inode == 0)
    return false;
  if (!(makedev (major, minor) == dev && inode == ino)
      && !(name_at > 0 && path[0] == '/' && strcmp (line + name_at, path) == 0))
    return false;
  m->start = start;
  m->end = end;
  m->offset = (off_t) offset;
  m->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0)
            | (perms[2] == 'x' ? PROT_EXEC : 0);
  *private_ = perms[3] == 'p';
  return true;
}

static int
find_mappings (int exe_fd, struct mapping *maps, size_t *n, struct urun_error *err)
{
  cleanup_free char *text = NULL;
  char path[4096] = "";
  struct stat st;
  size_t len;
  ssize_t plen;

  if (fstat (exe_fd, &st) < 0)
    return urun_set_error (err, errno, "stat `/proc/self/exe`");
  plen = readlink ("/proc/self/exe", path, sizeof path - 1);
  path[plen > 0 ? plen : 0] = '\0';
  if (urun_read_file_at (AT_FDCWD, "/proc/self/maps", &text, &len, err) < 0)
    return -1;
  *n = 0;
  for (char *line = text, *next; line && *line; line = next)
    {
      struct mapping m;
      bool private_;

      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      if (!parse_mapping (line, st.st_dev, st.st_ino, path, &m, &private_))
        continue;
      if (!private_)
        return urun_set_error (err, 0, "`%s` is mapped shared", line);
      if (*n == MAX_MAPPINGS)
        return urun_set_error (err, 0, "more than %d mappings of `/proc/self/exe`", MAX_MAPPINGS);
      if (m.prot != 0 && !(m.prot & PROT_READ))
        return urun_set_error (err, 0, "`%s` is not readable", line);
      maps[(*n)++] = m;
    }
  if (*n == 0)
    return urun_set_error (err, 0, "no mapping of `/proc/self/exe` in `/proc/self/maps`");
  return 0;
}

/* LEN bytes from FROM to TO, through the kernel when it can: a memcpy in a
 * sanitizer build is checked, and trips on the redzones ASan puts between
 * globals. process_vm_readv(2) on ourselves needs no privilege. */
static void
copy_bytes (void *to, const void *from, size_t len)
{
  struct iovec local = { .iov_base = to, .iov_len = len };
  struct iovec remote = { .iov_base = (void *) from, .iov_len = len };

  if (process_vm_readv (getpid (), &local, 1, &remote, 1, 0) == (ssize_t) len)
    return;
  memcpy (to, from, len);
}

/* An anonymous copy of M, moved over it. MAP_POPULATE faults the copy's
 * pages in one go. A gap (PROT_NONE) keeps no content. mremap(2) with
 * MREMAP_FIXED unmaps what was at the target first, atomically. */
static int
copy_mapping (const struct mapping *m, struct urun_error *err)
{
  size_t len = m->end - m->start;
  void *copy = mmap (NULL, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | (m->prot ? MAP_POPULATE : 0), -1, 0);

  if (copy == MAP_FAILED)
    return urun_set_error (err, errno, "map %zu bytes", len);
  if (m->prot)
    copy_bytes (copy, (const void *) m->start, len);
  if (mprotect (copy, len, m->prot) < 0
      || mremap (copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *) m->start) == MAP_FAILED)
    {
      int saved = errno;
      munmap (copy, len);
      return urun_set_error (err, saved, "move the copy of %#jx-%#jx", (uintmax_t) m->start,
                             (uintmax_t) m->end);
    }
  return 0;
}

/* M again from FD, the same file through another mount: the same pages. */
static int
remap_mapping (const struct mapping *m, int fd, struct urun_error *err)
{
  if (mmap ((void *) m->start, m->end - m->start, m->prot, MAP_PRIVATE | MAP_FIXED, fd,
            m->offset) == MAP_FAILED)
    return urun_set_error (err, errno, "map %#jx-%#jx again from the clone", (uintmax_t) m->start,
                           (uintmax_t) m->end);
  return 0;
}

/* The program's PT_GNU_RELRO segment, which ld.so relocated and then made
 * read-only: it looks like any read-only mapping in /proc/self/maps but
 * holds written pages. From our own program headers (getauxval AT_PHDR),
 * placed by the load bias (AT_PHDR less PT_PHDR's address; 0 for a binary
 * that is not position-independent). elf(5), getauxval(3) */
static void
relro_range (uintptr_t *start, uintptr_t *end)
{
  const ElfW (Phdr) *ph = (const void *) getauxval (AT_PHDR);
  size_t n = getauxval (AT_PHNUM);
  uintptr_t bias = 0;

  *start = *end = 0;
  for (size_t i = 0; ph && i < n; i++)
    if (ph[i].p_type == PT_PHDR)
      bias = (uintptr_t) ph - ph[i].p_vaddr;
  for (size_t i = 0; ph && i < n; i++)
    if (ph[i].p_type == PT_GNU_RELRO)
      {
        *start = bias + ph[i].p_vaddr;
        *end = *start + ph[i].p_memsz;
      }
}

/* Fields 26-28 (startcode, endcode, startstack) and 45-51 (start_data ...
 * env_end) of /proc/self/stat, after the command name, which may hold
 * spaces and parentheses: the last ')' ends it. proc(5) */
static int
read_mm_fields (struct prctl_mm_map *map, struct urun_error *err)
{
  cleanup_free char *text = NULL;
  unsigned long long field[52] = { 0 };
  size_t len;
  char *p, *save = NULL;
  int i = 3;

  if (urun_read_file_at (AT_FDCWD, "/proc/self/stat", &text, &len, err) < 0)
    return -1;
  p = strrchr (text, ')');
  if (p == NULL)
    return urun_set_error (err, 0, "`/proc/self/stat`: no command name");
  for (char *t = strtok_r (p + 1, " ", &save); t && i < 52; t = strtok_r (NULL, " ", &save))
    field[i++] = strtoull (t, NULL, 10);
  if (i < 52)
    return urun_set_error (err, 0, "`/proc/self/stat`: %d fields, expected 51 or more", i - 1);
  *map = (struct prctl_mm_map){
    .start_code = field[26], .end_code = field[27], .start_stack = field[28],
    .start_data = field[45], .end_data = field[46], .start_brk = field[47],
    .arg_start = field[48], .arg_end = field[49], .env_start = field[50], .env_end = field[51],
  };
  return 0;
}

/* What urun_selfmove_prepare leaves for urun_selfmove_finish, in this
 * process or in a fork of it, which has the same mappings. */
static struct
{
  bool prepared;
  struct mapping maps[MAX_MAPPINGS]; /* still of the binary: never written */
  size_t n;
  struct prctl_mm_map mm; /* all but the break, which malloc moves */
} moved;

int
urun_selfmove_prepare (int exe_fd, struct urun_error *err)
{
  struct mapping maps[MAX_MAPPINGS];
  uintptr_t relro_start, relro_end;
  size_t n = 0;

  if (read_mm_fields (&moved.mm, err) < 0 || find_mappings (exe_fd, maps, &n, err) < 0)
    return -1;
  relro_range (&relro_start, &relro_end);
  moved.n = 0;
  for (size_t i = 0; i < n; i++)
    {
      const struct mapping *m = &maps[i];

      if (!(m->prot & PROT_WRITE) && !(m->start < relro_end && relro_start < m->end))
        moved.maps[moved.n++] = *m;
      else if (copy_mapping (m, err) < 0)
        return -1;
    }
  moved.prepared = true;
  return 0;
}

int
urun_selfmove_finish (int clone_fd, int exe_link_fd, struct urun_error *err)
{
  struct prctl_mm_map map = moved.mm;

  if (!moved.prepared)
    return urun_set_error (err, EINVAL, "point `/proc/self/exe` elsewhere: the mappings were "
                           "not prepared");
  for (size_t i = 0; i < moved.n; i++)
    if ((clone_fd < 0 ? copy_mapping (&moved.maps[i], err)
                      : remap_mapping (&moved.maps[i], clone_fd, err)) < 0)
      return -1;
  /* The break moves with malloc; sbrk(0) only reads glibc's copy of it. */
  map.brk = (uintptr_t) sbrk (0);
  map.exe_fd = (uint32_t) exe_link_fd;
  /* PR_SET_MM_EXE_FILE wants CAP_SYS_RESOURCE in the initial user
   * namespace; PR_SET_MM_MAP only CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE
   * in ours (CAP_CHECKPOINT_RESTORE since Linux 5.9), which a rootless urun
   * holds in the container's user namespace. Either fails with EBUSY while
   * any mapping of the old exe's path is left: the kernel compares paths
   * (mount and dentry), so a mapping of the same inode through another
   * mount does not count (kernel/sys.c, replace_mm_exe_file). */
  if (prctl (PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map, 0) < 0)
    return urun_set_error (err, errno, "point `/proc/self/exe` at the clone (prctl PR_SET_MM_MAP)");
  return 0;
}
