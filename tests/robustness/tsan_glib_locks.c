/* Linked into the ThreadSanitizer build of the stress test only.
 *
 * GLib (2.74, Debian 12) implements GMutex, GRecMutex and GCond with raw
 * futexes on Linux, inside an uninstrumented libglib: ThreadSanitizer sees
 * neither the locking nor the ordering it gives, and reports every access
 * made under GST_OBJECT_LOCK from two threads as a race.  These wrappers
 * interpose the GLib lock functions (the dynamic linker resolves the
 * plugin's and GStreamer's calls to the executable's definitions first),
 * call the real ones, and tell ThreadSanitizer what they did, so that only
 * real races remain. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

#include <glib.h>
#include <sanitizer/tsan_interface.h>

#define REAL(ret, name, ...)                                            \
  static ret (*real) (__VA_ARGS__);                                     \
  if (!real)                                                            \
    real = (ret (*) (__VA_ARGS__)) dlsym (RTLD_NEXT, name);             \
  if (!real)                                                            \
    abort ()

void
g_mutex_lock (GMutex * m)
{
  REAL (void, "g_mutex_lock", GMutex *);
  real (m);
  __tsan_acquire (m);
}

gboolean
g_mutex_trylock (GMutex * m)
{
  gboolean ok;
  REAL (gboolean, "g_mutex_trylock", GMutex *);
  ok = real (m);
  if (ok)
    __tsan_acquire (m);
  return ok;
}

void
g_mutex_unlock (GMutex * m)
{
  REAL (void, "g_mutex_unlock", GMutex *);
  __tsan_release (m);
  real (m);
}

void
g_rec_mutex_lock (GRecMutex * m)
{
  REAL (void, "g_rec_mutex_lock", GRecMutex *);
  real (m);
  __tsan_acquire (m);
}

gboolean
g_rec_mutex_trylock (GRecMutex * m)
{
  gboolean ok;
  REAL (gboolean, "g_rec_mutex_trylock", GRecMutex *);
  ok = real (m);
  if (ok)
    __tsan_acquire (m);
  return ok;
}

void
g_rec_mutex_unlock (GRecMutex * m)
{
  REAL (void, "g_rec_mutex_unlock", GRecMutex *);
  __tsan_release (m);
  real (m);
}

void
g_cond_wait (GCond * c, GMutex * m)
{
  REAL (void, "g_cond_wait", GCond *, GMutex *);
  __tsan_release (m);
  real (c, m);
  __tsan_acquire (m);
  __tsan_acquire (c);
}

gboolean
g_cond_wait_until (GCond * c, GMutex * m, gint64 end_time)
{
  gboolean ok;
  REAL (gboolean, "g_cond_wait_until", GCond *, GMutex *, gint64);
  __tsan_release (m);
  ok = real (c, m, end_time);
  __tsan_acquire (m);
  __tsan_acquire (c);
  return ok;
}

void
g_cond_signal (GCond * c)
{
  REAL (void, "g_cond_signal", GCond *);
  __tsan_release (c);
  real (c);
}

void
g_cond_broadcast (GCond * c)
{
  REAL (void, "g_cond_broadcast", GCond *);
  __tsan_release (c);
  real (c);
}
