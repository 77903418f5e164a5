/* LD_PRELOAD interposer that counts heap allocations (malloc, calloc,
 * realloc, memalign family) and writes the count to $ALLOC_COUNTER_OUT at
 * exit.  Used by test_hot_path.sh to show that r128norm adds no allocation
 * per buffer: the same pipeline is run with identity in its place, for two
 * lengths, and the per-buffer differences are compared. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_ulong allocations;

extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t n, size_t size);
extern void *__libc_realloc (void *p, size_t size);
extern void *__libc_memalign (size_t alignment, size_t size);

void *
malloc (size_t size)
{
  atomic_fetch_add_explicit (&allocations, 1, memory_order_relaxed);
  return __libc_malloc (size);
}

void *
calloc (size_t n, size_t size)
{
  atomic_fetch_add_explicit (&allocations, 1, memory_order_relaxed);
  return __libc_calloc (n, size);
}

void *
realloc (void *p, size_t size)
{
  atomic_fetch_add_explicit (&allocations, 1, memory_order_relaxed);
  return __libc_realloc (p, size);
}

void *
memalign (size_t alignment, size_t size)
{
  atomic_fetch_add_explicit (&allocations, 1, memory_order_relaxed);
  return __libc_memalign (alignment, size);
}

int
posix_memalign (void **out, size_t alignment, size_t size)
{
  void *p;
  atomic_fetch_add_explicit (&allocations, 1, memory_order_relaxed);
  p = __libc_memalign (alignment, size);
  if (!p)
    return 12;                  /* ENOMEM */
  *out = p;
  return 0;
}

void *
aligned_alloc (size_t alignment, size_t size)
{
  atomic_fetch_add_explicit (&allocations, 1, memory_order_relaxed);
  return __libc_memalign (alignment, size);
}

__attribute__((destructor))
static void
report (void)
{
  const char *path = getenv ("ALLOC_COUNTER_OUT");
  FILE *f;

  if (!path)
    return;
  f = fopen (path, "w");
  if (!f)
    return;
  fprintf (f, "%lu\n", (unsigned long) atomic_load (&allocations));
  fclose (f);
}
