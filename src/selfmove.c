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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
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

int
urun_selfmove_binary_of (int exe_fd, struct urun_selfmove_binary *b, struct urun_error *err)
{
  struct stat st;
  ssize_t len = readlink ("/proc/self/exe", b->path, sizeof b->path - 1);

  b->path[len > 0 && b->path[0] == '/' ? len : 0] = '\0';
  if (fstat (exe_fd, &st) < 0)
    return urun_set_error (err, errno, "stat `/proc/self/exe`");
  /* A binary deleted since it started (an upgrade) reads "PATH (deleted)",
   * and no path leads to it: none then, the inode still finds its
   * mappings. */
  if (st.st_nlink == 0)
    b->path[0] = '\0';
  b->dev = st.st_dev;
  b->ino = st.st_ino;
  return 0;
}

/* Append M, a mapping of the binary (SHARED: MAP_SHARED), to MAPS. */
static int
add_mapping (struct mapping *maps, size_t *n, const struct mapping *m, bool shared,
             struct urun_error *err)
{
  if (shared)
    return urun_set_error (err, 0, "%#jx-%#jx of the binary is mapped shared",
                           (uintmax_t) m->start, (uintmax_t) m->end);
  if (m->prot != 0 && !(m->prot & PROT_READ))
    return urun_set_error (err, 0, "%#jx-%#jx of the binary is not readable",
                           (uintmax_t) m->start, (uintmax_t) m->end);
  if (*n == MAX_MAPPINGS)
    return urun_set_error (err, 0, "more than %d mappings of `/proc/self/exe`", MAX_MAPPINGS);
  maps[(*n)++] = *m;
  return 0;
}

/* The mappings of the binary B, from the text of /proc/self/maps: for
 * kernels before PROCMAP_QUERY. */
static int
read_mappings (const struct urun_selfmove_binary *b, struct mapping *maps, size_t *n,
               struct urun_error *err)
{
  cleanup_free char *text = NULL;
  size_t len;

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
      if (parse_mapping (line, b->dev, b->ino, b->path, &m, &private_)
          && add_mapping (maps, n, &m, !private_, err) < 0)
        return -1;
    }
  if (*n == 0)
    return urun_set_error (err, 0, "no mapping of `/proc/self/exe` in `/proc/self/maps`");
  return 0;
}

/* Where the kernel loaded this program, from its own program headers
 * (getauxval AT_PHDR), placed by the load bias (AT_PHDR less PT_PHDR's
 * address; 0 for a binary that is not position-independent): the span of
 * the file parts of its PT_LOAD segments (the zero-filled rest of the last
 * one, .bss, is anonymous), which holds every mapping of the binary, and its
 * PT_GNU_RELRO segment, which ld.so relocated and then made read-only: it
 * looks like any read-only mapping but holds written pages. elf(5),
 * getauxval(3) */
struct layout
{
  uintptr_t lo, hi; /* the span of the PT_LOAD file parts, page-aligned */
  uintptr_t relro_start, relro_end;
};

static void
own_layout (struct layout *l)
{
  const ElfW (Phdr) *ph = (const void *) getauxval (AT_PHDR);
  size_t n = getauxval (AT_PHNUM);
  uintptr_t bias = 0, page = (uintptr_t) sysconf (_SC_PAGESIZE);

  *l = (struct layout){ .lo = UINTPTR_MAX };
  for (size_t i = 0; ph && i < n; i++)
    if (ph[i].p_type == PT_PHDR)
      bias = (uintptr_t) ph - ph[i].p_vaddr;
  for (size_t i = 0; ph && i < n; i++)
    {
      uintptr_t start = bias + ph[i].p_vaddr;

      if (ph[i].p_type == PT_LOAD)
        {
          uintptr_t end = start + ph[i].p_filesz;

          l->lo = start < l->lo ? start & ~(page - 1) : l->lo;
          l->hi = end > l->hi ? (end + page - 1) & ~(page - 1) : l->hi;
        }
      else if (ph[i].p_type == PT_GNU_RELRO)
        {
          l->relro_start = start;
          l->relro_end = start + ph[i].p_memsz;
        }
    }
  if (l->lo > l->hi)
    l->lo = l->hi = 0;
}

/* struct procmap_query of <linux/fs.h> (Linux 6.11; Debian bookworm's
 * headers predate it): an ioctl(2) on an open /proc/PID/maps that returns
 * one mapping, with no text for the kernel to make or for us to parse. */
struct procmap_query
{
  uint64_t size, query_flags, query_addr;
  uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
  uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
  uint64_t vma_name_addr, build_id_addr;
};
#define PROCMAP_QUERY _IOWR ('f', 17, struct procmap_query)
#define PROCMAP_QUERY_VMA_READABLE 0x01
#define PROCMAP_QUERY_VMA_WRITABLE 0x02
#define PROCMAP_QUERY_VMA_EXECUTABLE 0x04
#define PROCMAP_QUERY_VMA_SHARED 0x08
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
#define PROCMAP_QUERY_FILE_BACKED_VMA 0x20

/* The file mappings inside the program's span L, by PROCMAP_QUERY: 1 when
 * found, 0 when the kernel has no such ioctl (ENOTTY), < 0 on error. They
 * are all the binary's (the kernel maps the span from it, gaps included),
 * which the first, the ELF header that AT_PHDR points into, vouches for:
 * every other one must be of its device and inode. Comparing with
 * /proc/self/exe would not do on overlayfs, whose mappings are of the
 * lower inode. */
static int
query_mappings (const struct layout *l, struct mapping *maps, size_t *n, struct urun_error *err)
{
  cleanup_close int fd = open ("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  struct procmap_query first = { 0 };
  struct mapping m;

  if (fd < 0)
    return urun_set_error (err, errno, "open `/proc/self/maps`");
  *n = 0;
  for (uintptr_t addr = l->lo; addr < l->hi;)
    {
      struct procmap_query q = {
        .size = sizeof q,
        .query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA | PROCMAP_QUERY_FILE_BACKED_VMA,
        .query_addr = addr,
      };

      if (ioctl (fd, PROCMAP_QUERY, &q) < 0)
        {
          if (errno == ENOTTY && *n == 0)
            return 0;
          if (errno == ENOENT)
            break;
          return urun_set_error (err, errno, "`/proc/self/maps`: query the mapping at %#jx",
                                 (uintmax_t) addr);
        }
      if (q.vma_start >= l->hi)
        break;
      if (*n == 0)
        first = q;
      if (q.inode != first.inode || q.dev_major != first.dev_major
          || q.dev_minor != first.dev_minor)
        return urun_set_error (err, 0, "%#jx-%#jx, in the program's span, maps another file",
                               (uintmax_t) q.vma_start, (uintmax_t) q.vma_end);
      m = (struct mapping){
        .start = q.vma_start, .end = q.vma_end, .offset = (off_t) q.vma_offset,
        .prot = (q.vma_flags & PROCMAP_QUERY_VMA_READABLE ? PROT_READ : 0)
                | (q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE ? PROT_WRITE : 0)
                | (q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE ? PROT_EXEC : 0),
      };
      if (add_mapping (maps, n, &m, q.vma_flags & PROCMAP_QUERY_VMA_SHARED, err) < 0)
        return -1;
      addr = q.vma_end;
    }
  if (*n == 0)
    return urun_set_error (err, 0, "no mapping of `/proc/self/exe` in `/proc/self/maps`");
  return 1;
}

/* The readable parts of the N mappings M into COPY, which stands for the
 * span from M[0]'s start: through the kernel when it can, in one call, as a
 * memcpy in a sanitizer build is checked, and trips on the redzones ASan
 * puts between globals. process_vm_readv(2) on ourselves needs no
 * privilege. A gap (PROT_NONE) keeps no content, and cannot be read. */
static void
copy_contents (char *copy, const struct mapping *m, size_t n)
{
  struct iovec local[MAX_MAPPINGS], remote[MAX_MAPPINGS];
  size_t parts = 0, total = 0;

  for (size_t i = 0; i < n; i++)
    if (m[i].prot != 0)
      {
        size_t len = m[i].end - m[i].start;

        local[parts] = (struct iovec){ copy + (m[i].start - m[0].start), len };
        remote[parts++] = (struct iovec){ (void *) m[i].start, len };
        total += len;
      }
  if (process_vm_readv (getpid (), local, parts, remote, parts, 0) == (ssize_t) total)
    return;
  for (size_t i = 0; i < parts; i++)
    memcpy (local[i].iov_base, remote[i].iov_base, local[i].iov_len);
}

/* Anonymous copies of the N adjacent mappings M, made as one and moved
 * over them by one mremap(2), which with MREMAP_FIXED unmaps what was
 * there first, atomically. MAP_POPULATE faults the copy's pages in one
 * go. A single mapping gets its protection before the move: it may be the
 * code running now. Several (none executable: copy_mappings) get theirs
 * after, as mremap(2) moves one mapping only and mprotect(2) would split
 * the copy. */
static int
copy_adjacent (const struct mapping *m, size_t n, struct urun_error *err)
{
  size_t len = m[n - 1].end - m[0].start;
  char *copy = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                     -1, 0);

  if (copy == MAP_FAILED)
    return urun_set_error (err, errno, "map %zu bytes", len);
  copy_contents (copy, m, n);
  if ((n == 1 && mprotect (copy, len, m[0].prot) < 0)
      || mremap (copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *) m[0].start) == MAP_FAILED)
    {
      int saved = errno;
      munmap (copy, len);
      return urun_set_error (err, saved, "move the copy of %#jx-%#jx", (uintmax_t) m[0].start,
                             (uintmax_t) m[n - 1].end);
    }
  for (size_t i = 0; n > 1 && i < n; i++)
    if (m[i].prot != (PROT_READ | PROT_WRITE)
        && mprotect ((void *) m[i].start, m[i].end - m[i].start, m[i].prot) < 0)
      return urun_set_error (err, errno, "protect the copy of %#jx-%#jx", (uintmax_t) m[i].start,
                             (uintmax_t) m[i].end);
  return 0;
}

/* Two mappings whose copies can be made as one. */
static bool
joinable (const struct mapping *a, const struct mapping *b)
{
  return a->end == b->start && !(a->prot & PROT_EXEC) && !(b->prot & PROT_EXEC);
}

/* The N mappings M (in address order) as anonymous copies, one run of
 * joinable ones at a time: RELRO and data are one. */
static int
copy_mappings (const struct mapping *m, size_t n, struct urun_error *err)
{
  for (size_t i = 0, run; i < n; i += run)
    {
      for (run = 1; i + run < n && joinable (&m[i + run - 1], &m[i + run]); run++)
        ;
      if (copy_adjacent (m + i, run, err) < 0)
        return -1;
    }
  return 0;
}

/* M again from FD, the same file through another mount: the same pages.
 * MAP_POPULATE maps them all now, while urun waits for newuidmap, rather
 * than one fault at a time afterwards (bench/selfclone.sh: 0.05 ms). */
static int
remap_mapping (const struct mapping *m, int fd, struct urun_error *err)
{
  if (mmap ((void *) m->start, m->end - m->start, m->prot,
            MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, m->offset) == MAP_FAILED)
    return urun_set_error (err, errno, "map %#jx-%#jx again from the clone", (uintmax_t) m->start,
                           (uintmax_t) m->end);
  return 0;
}

/* Fields 26-28 (startcode, endcode, startstack) and 45-51 (start_data ...
 * env_end) of /proc/self/stat, after the command name, which may hold
 * spaces and parentheses: the last ')' ends it. proc(5) */
static int
read_mm_fields (struct prctl_mm_map *map, struct urun_error *err)
{
  /* 52 numbers of at most 20 digits and a command name of at most 64
   * bytes; on the stack, as a fresh child would fault in a heap page. */
  char text[2048];
  unsigned long long field[52] = { 0 };
  cleanup_close int fd = open ("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ssize_t len;
  char *p, *save = NULL;
  int i = 3;

  if (fd < 0)
    return urun_set_error (err, errno, "open `/proc/self/stat`");
  len = read (fd, text, sizeof text - 1);
  if (len < 0)
    return urun_set_error (err, errno, "read `/proc/self/stat`");
  text[len] = '\0';
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

/* Test only: URUN_TEST_MAPS_TEXT=1 reads the text of /proc/self/maps, as
 * on kernels before PROCMAP_QUERY (tests/integration/selfclone.bats). */
static bool
maps_text_forced (void)
{
  const char *v = getenv ("URUN_TEST_MAPS_TEXT");

  return v && strcmp (v, "1") == 0;
}

int
urun_selfmove_prepare (const struct urun_selfmove_binary *b, struct urun_error *err)
{
  struct mapping maps[MAX_MAPPINGS], written[MAX_MAPPINGS];
  struct layout l;
  size_t n = 0, n_written = 0;
  int found;

  own_layout (&l);
  found = maps_text_forced () ? 0 : query_mappings (&l, maps, &n, err);
  if (found < 0 || (found == 0 && read_mappings (b, maps, &n, err) < 0)
      || read_mm_fields (&moved.mm, err) < 0)
    return -1;
  urun_debug ("selfmove: %zu mappings of the binary, from %s", n,
              found ? "PROCMAP_QUERY" : "the text of /proc/self/maps");
  moved.n = 0;
  for (size_t i = 0; i < n; i++)
    {
      const struct mapping *m = &maps[i];

      if (!(m->prot & PROT_WRITE) && !(m->start < l.relro_end && l.relro_start < m->end))
        moved.maps[moved.n++] = *m;
      else
        written[n_written++] = *m;
    }
  if (copy_mappings (written, n_written, err) < 0)
    return -1;
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
  if (clone_fd < 0 && copy_mappings (moved.maps, moved.n, err) < 0)
    return -1;
  for (size_t i = 0; clone_fd >= 0 && i < moved.n; i++)
    if (remap_mapping (&moved.maps[i], clone_fd, err) < 0)
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
