/* cleanup.h: scope-bound release of fds, memory and files (gcc/clang cleanup attribute). */
#ifndef URUN_CLEANUP_H
#define URUN_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"

/* Define cleanup_NAME for a type: the function gets a pointer to the variable. */
#define URUN_DEFINE_CLEANUP(name, type, release)                              \
  static inline void name##_release (type *p) { release; }

/* Takes void * (not void **) so that it fits a variable of any pointer type. */
static inline void
free_release (void *p)
{
  free (*(void **) p);
}
URUN_DEFINE_CLEANUP (close, int, if (*p >= 0) { int saved = errno; close (*p); errno = saved; })
URUN_DEFINE_CLEANUP (fclose, FILE *, if (*p) fclose (*p))
URUN_DEFINE_CLEANUP (closedir, DIR *, if (*p) closedir (*p))
URUN_DEFINE_CLEANUP (error, struct urun_error, urun_clear_error (p))

static inline void
strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **i = v; *i; i++)
    free (*i);
  free (v);
}
URUN_DEFINE_CLEANUP (strv, char **, strv_free (*p))

#define cleanup_free __attribute__ ((cleanup (free_release)))
#define cleanup_close __attribute__ ((cleanup (close_release)))
#define cleanup_fclose __attribute__ ((cleanup (fclose_release)))
#define cleanup_closedir __attribute__ ((cleanup (closedir_release)))
#define cleanup_error __attribute__ ((cleanup (error_release)))
#define cleanup_strv __attribute__ ((cleanup (strv_release)))

/* Hand a value out of a cleanup-owned variable, disarming its cleanup. */
#define TAKE_PTR(p)                                                           \
  ({                                                                          \
    __typeof__ (p) take_ptr_tmp_ = (p);                                       \
    (p) = NULL;                                                               \
    take_ptr_tmp_;                                                            \
  })
#define TAKE_FD(fd)                                                           \
  ({                                                                          \
    int take_fd_tmp_ = (fd);                                                  \
    (fd) = -1;                                                                \
    take_fd_tmp_;                                                             \
  })

#endif
