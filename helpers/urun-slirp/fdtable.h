/* fdtable.h: tables indexed by file descriptor (pollset.c's epoll
   registrations, splice.c's listeners and connections). */
#ifndef URUN_SLIRP_FDTABLE_H
#define URUN_SLIRP_FDTABLE_H

#include <stddef.h>

/* TABLE (*N entries of SIZE bytes) with room for index FD (>= 0): as it is
   when it has, else grown by doubling from FIRST entries, the new ones
   zeroed, and *N updated.  NULL (errno ENOMEM) leaves TABLE and *N as they
   were. */
void *urun_fdtable_reserve (void *table, size_t *n, size_t size, size_t first,
                            int fd);

#endif
