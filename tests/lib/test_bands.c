/* Bands of rows (r128norm_set_parallel): the same bands give bit-identical
 * output and statistics whether they run one after the other or on several
 * threads at once, and for integer samples (exact sums) bands change
 * nothing at all. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "r128norm.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
      printf ("FAIL %s:%d: ", __FILE__, __LINE__); printf (__VA_ARGS__); \
      printf ("\n"); } } while (0)

/* A runner on two threads: this one and one started per call (a test does
 * not need a pool; the element keeps one). */
typedef struct {
  unsigned n, next;
  void (*task) (void *, unsigned);
  void *data;
  pthread_mutex_t lock;
} work;

static void *
worker (void *p)
{
  work *w = p;
  for (;;) {
    unsigned i;
    pthread_mutex_lock (&w->lock);
    i = w->next++;
    pthread_mutex_unlock (&w->lock);
    if (i >= w->n)
      return NULL;
    w->task (w->data, i);
  }
}

static void
run_two_threads (void *user, unsigned n, void (*task) (void *, unsigned),
    void *data)
{
  work w = { n, 0, task, data, PTHREAD_MUTEX_INITIALIZER };
  pthread_t t;
  (void) user;
  pthread_create (&t, NULL, worker, &w);
  worker (&w);
  pthread_join (t, NULL);
}

typedef struct {
  r128norm_format format;
  size_t size;
  unsigned channels, lanes;     /* statistics channels of `lanes` per pixel */
  int planar;
  int semi;             /* semi-planar: a plane, then the others' (NV12) */
  const char *name;
} layout;

/* Samples of a w x h buffer; NV12's chroma w/2 x h/2 pairs, rounded up. */
static size_t
layout_samples (const layout *l, size_t w, size_t h)
{
  if (l->semi)
    return w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2);
  return w * h * (l->planar ? l->channels : l->lanes);
}

static void
fill (void *buf, const layout *l, size_t n, unsigned seed)
{
  size_t i;
  srand (seed);
  for (i = 0; i < n; i++) {
    double v = (rand () % 10000) / 10000.0;
    if (l->format == R128NORM_FORMAT_U8)
      ((unsigned char *) buf)[i] = (unsigned char) (v * 255);
    else
      ((float *) buf)[i] = (float) (v * 3.0 + 100.0);
  }
}

static void
describe (const layout *l, void *buf, size_t w, size_t h, r128norm_channel *ch)
{
  unsigned c;
  for (c = 0; c < l->channels; c++) {
    if (l->semi) {
      const size_t cw = (w + 1) / 2;
      ch[c].data = (char *) buf + (c == 0 ? 0 : w * h + c - 1);
      ch[c].step = c == 0 ? 1 : 2;
      ch[c].stride = c == 0 ? w : 2 * cw;
      ch[c].width = c == 0 ? w : cw;
      ch[c].height = c == 0 ? h : (h + 1) / 2;
      continue;
    }
    if (l->planar) {
      ch[c].data = (char *) buf + c * w * h * l->size;
      ch[c].step = l->size;
      ch[c].stride = w * l->size;
    } else {
      ch[c].data = (char *) buf + c * l->size;
      ch[c].step = l->lanes * l->size;
      ch[c].stride = w * l->lanes * l->size;
    }
    ch[c].width = w;
    ch[c].height = h;
  }
}

/* Runs 4 buffers in @mode with (bands, runner) and returns outputs and
 * running values. */
static void
run (const layout *l, r128norm_stats_mode mode, unsigned bands,
    r128norm_parallel_fn runner, unsigned char *out, double *mean,
    double *var, size_t w, size_t h)
{
  size_t samples = layout_samples (l, w, h);
  size_t bytes = samples * l->size;
  r128norm_config cfg;
  r128norm_channel ch[4];
  r128norm_state *st = r128norm_create (l->channels, NULL);
  int b;

  r128norm_config_init (&cfg);
  cfg.stats = mode;
  cfg.variant = R128NORM_VARIANT_LAYER;
  r128norm_set_config (st, &cfg);
  r128norm_set_formats (st, l->format, l->format);
  CHECK (r128norm_set_parallel (st, bands, runner, NULL) == R128NORM_SUCCESS,
      "set_parallel %u", bands);
  for (b = 0; b < 4; b++) {
    unsigned char *buf = out + b * bytes;
    fill (buf, l, samples, 100 + b);
    describe (l, buf, w, h, ch);
    CHECK (r128norm_process (st, ch, NULL, 0.01) == R128NORM_SUCCESS,
        "process");
  }
  r128norm_get_running (st, mean, var, l->channels);
  r128norm_destroy (&st);
}

int
main (void)
{
  static const layout layouts[] = {
    {R128NORM_FORMAT_U8, 1, 3, 4, 0, 0, "u8 RGBx"},
    {R128NORM_FORMAT_U8, 1, 3, 3, 1, 0, "u8 planar"},
    {R128NORM_FORMAT_U8, 1, 3, 3, 0, 1, "u8 NV12"},
    {R128NORM_FORMAT_F32, 4, 3, 3, 1, 0, "f32 planar"},
    {R128NORM_FORMAT_F32, 4, 2, 2, 0, 0, "f32 interleaved"},
  };
  static const r128norm_stats_mode modes[] = {
    R128NORM_STATS_FRAME, R128NORM_STATS_RUNNING, R128NORM_STATS_FROZEN
  };
  const size_t w = 333, h = 97;
  size_t li, mi;

  for (li = 0; li < sizeof layouts / sizeof layouts[0]; li++) {
    const layout *l = &layouts[li];
    size_t bytes = 4 * layout_samples (l, w, h) * l->size;
    for (mi = 0; mi < 3; mi++) {
      unsigned char *one = malloc (bytes), *seq = malloc (bytes),
          *par = malloc (bytes);
      /* zeroed: a layout of fewer than 4 channels leaves the rest unset,
       * and they are compared too */
      double m1[4] = { 0 }, v1[4] = { 0 }, ms[4] = { 0 }, vs[4] = { 0 },
          mp[4] = { 0 }, vp[4] = { 0 };
      run (l, modes[mi], 1, NULL, one, m1, v1, w, h);
      run (l, modes[mi], 8, NULL, seq, ms, vs, w, h);
      run (l, modes[mi], 8, run_two_threads, par, mp, vp, w, h);
      CHECK (memcmp (seq, par, bytes) == 0 && memcmp (ms, mp, sizeof ms) == 0
          && memcmp (vs, vp, sizeof vs) == 0,
          "%s mode %zu: 8 bands on two threads differ from 8 bands on one",
          l->name, mi);
      if (l->format == R128NORM_FORMAT_U8)
        CHECK (memcmp (one, seq, bytes) == 0
            && memcmp (m1, ms, sizeof m1) == 0
            && memcmp (v1, vs, sizeof v1) == 0,
            "%s mode %zu: integer sums, yet bands changed the result",
            l->name, mi);
      else {
        /* float sums in another order: equal within rounding */
        unsigned c;
        for (c = 0; c < l->channels; c++)
          CHECK (fabs (m1[c] - ms[c]) <= 1e-12 * fabs (m1[c])
              && fabs (v1[c] - vs[c]) <= 1e-9 * v1[c],
              "%s mode %zu channel %u: %.17g %.17g vs %.17g %.17g", l->name,
              mi, c, m1[c], v1[c], ms[c], vs[c]);
      }
      printf ("%s %s: %s stats, 8 bands on 1 and 2 threads identical\n",
          failures ? "FAIL" : "ok  ", l->name,
          mi == 0 ? "frame" : mi == 1 ? "running" : "frozen");
      free (one);
      free (seq);
      free (par);
    }
  }
  {
    r128norm_state *st = r128norm_create (1, NULL);
    CHECK (r128norm_set_parallel (st, 0, NULL, NULL)
        == R128NORM_ERROR_INVALID_ARGUMENT, "0 bands refused");
    CHECK (r128norm_set_parallel (st, R128NORM_MAX_BANDS + 1, NULL, NULL)
        == R128NORM_ERROR_INVALID_ARGUMENT, "too many bands refused");
    r128norm_destroy (&st);
  }
  printf ("%d failures\n", failures);
  return failures ? 1 : 0;
}
