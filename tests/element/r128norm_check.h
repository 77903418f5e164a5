/* Shared helpers of the r128norm element tests: sample formats, a plain
 * float64 reference of SPEC section 3, buffer builders and bus helpers.
 *
 * The reference is written from the specification alone; it does not call
 * the library the element is built on. */
#ifndef R128NORM_CHECK_H
#define R128NORM_CHECK_H

#include <math.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <gst/video/video.h>

#define REF_MAX_CHANNELS 64

/* ---- sample formats ------------------------------------------------ */

typedef enum
{
  FMT_U8V,                      /* video u8, v / 255 */
  FMT_U16V,                     /* video u16 LE, v / 65535 */
  FMT_U8A,                      /* audio u8, (v - 128) / 128 */
  FMT_S16,                      /* audio s16 LE, v / 32768 */
  FMT_S32,                      /* audio s32 LE, v / 2^31 */
  FMT_F32,
  FMT_F64,
  FMT_F16                       /* IEEE half (tensors) */
} TFmt;

/* IEEE half <-> double, written from the format's definition */
static G_GNUC_UNUSED double
half_to_double (guint16 h)
{
  int e = (h >> 10) & 31, m = h & 1023;
  double v;

  if (e == 0)
    v = ldexp (m, -24);
  else if (e == 31)
    v = m ? NAN : INFINITY;
  else
    v = ldexp (1024 + m, e - 25);
  return h & 0x8000 ? -v : v;
}

/* rounded to nearest, ties to even */
static G_GNUC_UNUSED guint16
double_to_half (double x)
{
  guint16 sign = signbit (x) ? 0x8000 : 0;
  double a = fabs (x), m;
  int e;

  if (isnan (x))
    return 0x7e00;
  if (a >= 65520.0)
    return sign | 0x7c00;
  if (a < ldexp (1, -14))
    return sign | (guint16) nearbyint (ldexp (a, 24));      /* may reach the
                                                             * smallest normal */
  e = ilogb (a);
  m = nearbyint (ldexp (a, 10 - e));     /* 1024 .. 2048 */
  if (m == 2048) {
    m = 1024;
    e++;
  }
  if (e > 15)
    return sign | 0x7c00;
  return sign | (guint16) ((e + 15) << 10) | (guint16) (m - 1024);
}

static G_GNUC_UNUSED gsize
tfmt_size (TFmt f)
{
  switch (f) {
    case FMT_U8V:
    case FMT_U8A:
      return 1;
    case FMT_U16V:
    case FMT_S16:
    case FMT_F16:
      return 2;
    case FMT_S32:
    case FMT_F32:
      return 4;
    case FMT_F64:
      return 8;
  }
  return 0;
}

static G_GNUC_UNUSED gboolean
tfmt_is_float (TFmt f)
{
  return f == FMT_F32 || f == FMT_F64 || f == FMT_F16;
}

/* scale, offset, raw min and max of an integer format:
 * normalized = (raw - offset) / scale */
static G_GNUC_UNUSED void
tfmt_int_params (TFmt f, double *scale, double *offset, gint64 * lo,
    gint64 * hi)
{
  switch (f) {
    case FMT_U8V:
      *scale = 255.0, *offset = 0.0, *lo = 0, *hi = 255;
      break;
    case FMT_U16V:
      *scale = 65535.0, *offset = 0.0, *lo = 0, *hi = 65535;
      break;
    case FMT_U8A:
      *scale = 128.0, *offset = 128.0, *lo = 0, *hi = 255;
      break;
    case FMT_S16:
      *scale = 32768.0, *offset = 0.0, *lo = -32768, *hi = 32767;
      break;
    case FMT_S32:
      *scale = 2147483648.0, *offset = 0.0, *lo = G_MININT32, *hi =
          G_MAXINT32;
      break;
    default:
      g_assert_not_reached ();
  }
}

static G_GNUC_UNUSED gint64
tfmt_read_raw (TFmt f, const guint8 * p)
{
  switch (f) {
    case FMT_U8V:
    case FMT_U8A:
      return p[0];
    case FMT_U16V:
      return GST_READ_UINT16_LE (p);
    case FMT_S16:
      return (gint16) GST_READ_UINT16_LE (p);
    case FMT_S32:
      return (gint32) GST_READ_UINT32_LE (p);
    default:
      g_assert_not_reached ();
  }
  return 0;
}

/* the normalized value of the sample at @p */
static G_GNUC_UNUSED double
tfmt_read (TFmt f, const guint8 * p)
{
  double scale, offset;
  gint64 lo, hi;

  if (f == FMT_F32) {
    gfloat v;
    memcpy (&v, p, 4);
    return v;
  }
  if (f == FMT_F64) {
    gdouble v;
    memcpy (&v, p, 8);
    return v;
  }
  if (f == FMT_F16)
    return half_to_double (GST_READ_UINT16_LE (p));
  tfmt_int_params (f, &scale, &offset, &lo, &hi);
  return (tfmt_read_raw (f, p) - offset) / scale;
}

/* the raw integer an exact normalized value @y must become: rounded to
 * nearest and saturated */
static G_GNUC_UNUSED gint64
tfmt_expect_raw (TFmt f, double y)
{
  double scale, offset, r;
  gint64 lo, hi;

  tfmt_int_params (f, &scale, &offset, &lo, &hi);
  r = floor (y * scale + offset + 0.5);
  if (r < (double) lo)
    return lo;
  if (r > (double) hi)
    return hi;
  return (gint64) r;
}

/* Stores normalized @x at @p (integers rounded and saturated) and returns
 * the value actually stored, in normalized units. */
static G_GNUC_UNUSED double
tfmt_write (TFmt f, guint8 * p, double x)
{
  gint64 raw;

  switch (f) {
    case FMT_F32:{
      gfloat v = (gfloat) x;
      memcpy (p, &v, 4);
      break;
    }
    case FMT_F64:
      memcpy (p, &x, 8);
      break;
    case FMT_F16:
      GST_WRITE_UINT16_LE (p, double_to_half (x));
      break;
    case FMT_U8V:
    case FMT_U8A:
      p[0] = (guint8) tfmt_expect_raw (f, x);
      break;
    case FMT_U16V:
    case FMT_S16:
      raw = tfmt_expect_raw (f, x);
      GST_WRITE_UINT16_LE (p, (guint16) raw);
      break;
    case FMT_S32:
      raw = tfmt_expect_raw (f, x);
      GST_WRITE_UINT32_LE (p, (guint32) raw);
      break;
  }
  return tfmt_read (f, p);
}

/* Whether the output sample at @p matches the exact reference @y: integer
 * output within 1 LSB of the rounded, saturated value, float output within
 * 1e-5 relative (plus 1e-7 absolute, the float32 resolution near 0). */
static G_GNUC_UNUSED gboolean
tfmt_matches (TFmt f, const guint8 * p, double y, gchar ** why)
{
  if (f == FMT_F16) {
    /* rounded once from the exact value: within half a step of half */
    double v = tfmt_read (f, p), a = fabs (y);
    double step = ldexp (1, (a < ldexp (1, -14) ? -14 : ilogb (a)) - 10);
    if (!(fabs (v - y) <= 0.5 * step * (1 + 1e-9))) {
      *why = g_strdup_printf ("got half %.9g, expected %.9g", v, y);
      return FALSE;
    }
  } else if (tfmt_is_float (f)) {
    double v = tfmt_read (f, p);
    if (!(fabs (v - y) <= 1e-5 * fabs (y) + 1e-7)) {
      *why = g_strdup_printf ("got %.9g, expected %.9g", v, y);
      return FALSE;
    }
  } else {
    gint64 v = tfmt_read_raw (f, p), e = tfmt_expect_raw (f, y);
    if (ABS (v - e) > 1) {
      *why = g_strdup_printf ("got raw %" G_GINT64_FORMAT ", expected %"
          G_GINT64_FORMAT " (%.9g normalized)", v, e, y);
      return FALSE;
    }
  }
  return TRUE;
}

#define assert_sample(f, p, y, ...) G_STMT_START {                      \
  gchar *why_ = NULL;                                                   \
  if (!tfmt_matches ((f), (p), (y), &why_)) {                           \
    gchar *where_ = g_strdup_printf (__VA_ARGS__);                      \
    fail ("%s: %s", where_, why_);                                      \
  }                                                                     \
} G_STMT_END

/* ---- float64 reference of SPEC section 3 --------------------------- */

enum
{ REF_PER_CHANNEL, REF_LAYER, REF_GROUP, REF_AUTO };
enum
{ REF_FRAME, REF_RUNNING, REF_FROZEN };

typedef struct
{
  guint channels;
  /* settings */
  int variant, stats;
  guint groups, min_samples;
  double momentum, epsilon, strength, clip_sigma;
  double time_constant, warmup;   /* seconds */
  double gamma[REF_MAX_CHANNELS], beta[REF_MAX_CHANNELS];
  double max_gain[REF_MAX_CHANNELS];    /* 0: unlimited (YUV chroma: 1) */
  /* state */
  gboolean seen;
  double elapsed;
  double rmean[REF_MAX_CHANNELS], rvar[REF_MAX_CHANNELS];
  /* what the last buffer was normalized with, and its statistics */
  double nmean[REF_MAX_CHANNELS], nvar[REF_MAX_CHANNELS];
  double bmean[REF_MAX_CHANNELS], bvar[REF_MAX_CHANNELS];
  guint64 bn[REF_MAX_CHANNELS];
} Ref;

/* SPEC defaults; @gamma and @beta are the format family's defaults */
static G_GNUC_UNUSED void
ref_init (Ref * r, guint channels, double gamma, double beta)
{
  guint c;

  memset (r, 0, sizeof *r);
  g_assert (channels <= REF_MAX_CHANNELS);
  r->channels = channels;
  r->variant = REF_PER_CHANNEL;
  r->stats = REF_RUNNING;
  r->groups = 1;
  r->min_samples = 16;
  r->momentum = 0.95;
  r->epsilon = 1e-5;
  r->strength = 1.0;
  for (c = 0; c < channels; c++) {
    r->gamma[c] = gamma;
    r->beta[c] = beta;
  }
}

static G_GNUC_UNUSED void
ref_set_running (Ref * r, const double *mean, const double *var)
{
  memcpy (r->rmean, mean, r->channels * sizeof (double));
  memcpy (r->rvar, var, r->channels * sizeof (double));
  r->seen = TRUE;
}

/* Normalizes one buffer: @x[c] holds @n[c] normalized samples of channel
 * c, @y[c] receives the exact outputs.  @duration in seconds. */
static G_GNUC_UNUSED void
ref_process (Ref * r, double *const *x, const gsize * n, double **y,
    double duration)
{
  guint C = r->channels, c, d, size;
  double lo[REF_MAX_CHANNELS], hi[REF_MAX_CHANNELS];
  double gmean[REF_MAX_CHANNELS], gvar[REF_MAX_CHANNELS];
  guint64 gn[REF_MAX_CHANNELS];
  int variant = r->variant;
  double strength = r->strength, m = r->momentum;
  gsize i;

  /* clip bounds from the running values */
  for (c = 0; c < C; c++) {
    lo[c] = -INFINITY;
    hi[c] = INFINITY;
    if (r->seen && r->clip_sigma > 0) {
      /* k standard deviations, epsilon included (lib/ since 7ce782e), so
       * a constant start cannot pin the statistics for ever */
      lo[c] = r->rmean[c] - r->clip_sigma * sqrt (r->rvar[c] + r->epsilon);
      hi[c] = r->rmean[c] + r->clip_sigma * sqrt (r->rvar[c] + r->epsilon);
    }
  }
  /* per-channel batch statistics of the finite (clipped) samples */
  for (c = 0; c < C; c++) {
    double s = 0, s2 = 0, mean;
    guint64 k = 0;
    for (i = 0; i < n[c]; i++)
      if (isfinite (x[c][i])) {
        s += CLAMP (x[c][i], lo[c], hi[c]);
        k++;
      }
    mean = k ? s / k : 0.0;
    for (i = 0; i < n[c]; i++)
      if (isfinite (x[c][i])) {
        double v = CLAMP (x[c][i], lo[c], hi[c]) - mean;
        s2 += v * v;
      }
    r->bn[c] = k;
    r->bmean[c] = mean;
    r->bvar[c] = k ? s2 / k : 0.0;
  }
  if (variant == REF_AUTO) {
    variant = REF_PER_CHANNEL;
    for (c = 0; c < C; c++)
      if (n[c] < r->min_samples)
        variant = REF_LAYER;
  }
  size = variant == REF_PER_CHANNEL ? 1 : variant == REF_LAYER ? C
      : C / r->groups;
  /* pooled statistics of each group */
  for (c = 0; c < C; c += size) {
    double s = 0, s2 = 0, mean;
    guint64 k = 0;
    for (d = c; d < c + size; d++) {
      s += r->bmean[d] * r->bn[d];
      k += r->bn[d];
    }
    mean = k ? s / k : 0.0;
    for (d = c; d < c + size; d++) {
      double dm = r->bmean[d] - mean;
      s2 += r->bvar[d] * r->bn[d] + dm * dm * r->bn[d];
    }
    for (d = c; d < c + size; d++) {
      gn[d] = k;
      gmean[d] = mean;
      gvar[d] = k ? s2 / k : 0.0;
    }
  }
  /* what to normalize with */
  for (c = 0; c < C; c++) {
    if (r->stats == REF_FRAME || !r->seen) {
      r->nmean[c] = gmean[c];
      r->nvar[c] = gvar[c];
    } else {
      r->nmean[c] = r->rmean[c];
      r->nvar[c] = r->rvar[c];
    }
  }
  if (r->warmup > 0 && r->elapsed < r->warmup)
    strength *= r->elapsed / r->warmup;
  for (c = 0; c < C; c++) {
    double den = r->nvar[c] + r->epsilon, gamma = r->gamma[c];
    if (r->max_gain[c] > 0 && den > 0 && fabs (gamma) / sqrt (den) >
        r->max_gain[c])
      gamma = (gamma < 0 ? -1 : 1) * r->max_gain[c] * sqrt (den);
    for (i = 0; i < n[c]; i++) {
      double v = x[c][i], z;
      if (!isfinite (v)) {
        y[c][i] = r->beta[c];
        continue;
      }
      z = den > 0 ? gamma * (v - r->nmean[c]) / sqrt (den)
          + r->beta[c] : r->beta[c];
      y[c][i] = v + strength * (z - v);
    }
  }
  /* running update */
  if (r->time_constant > 0 && duration > 0)
    m = exp (-duration / r->time_constant);
  if (r->stats != REF_FROZEN || !r->seen) {
    for (c = 0; c < C; c++) {
      if (gn[c] == 0)
        continue;
      if (!r->seen) {
        r->rmean[c] = gmean[c];
        r->rvar[c] = gvar[c];
      } else {
        r->rmean[c] = m * r->rmean[c] + (1 - m) * gmean[c];
        r->rvar[c] = m * r->rvar[c] + (1 - m) * gvar[c];
      }
    }
    r->seen = TRUE;
  }
  r->elapsed += duration;
}

/* ---- element, properties, bus -------------------------------------- */

/* A new r128norm with properties given as name, value-string pairs
 * (parsed like gst-launch does), NULL terminated. */
static G_GNUC_UNUSED GstElement *
make_element (const gchar * first, ...)
{
  GstElement *el = gst_element_factory_make ("r128norm", NULL);
  const gchar *name;
  va_list ap;

  fail_unless (el != NULL, "r128norm not found: check GST_PLUGIN_PATH_1_0");
  va_start (ap, first);
  for (name = first; name; name = va_arg (ap, const gchar *)) {
    const gchar *value = va_arg (ap, const gchar *);
    gst_util_set_object_arg (G_OBJECT (el), name, value);
  }
  va_end (ap);
  return el;
}

/* A caps event from caps we own: gst_event_new_caps() takes a reference
 * of its own, so ours is dropped here (else each such event leaks its
 * caps, as valgrind showed). */
static G_GNUC_UNUSED GstEvent *
caps_event_take (GstCaps * caps)
{
  GstEvent *event = gst_event_new_caps (caps);

  gst_caps_unref (caps);
  return event;
}

/* A harness around @el (which it takes), @bus attached when not NULL. */
static G_GNUC_UNUSED GstHarness *
harness_for (GstElement * el, GstBus * bus)
{
  GstHarness *h;

  if (bus)
    gst_element_set_bus (el, bus);
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  return h;
}

static G_GNUC_UNUSED guint
get_doubles (gpointer obj, const gchar * name, double *out, guint max)
{
  GValue v = G_VALUE_INIT;
  guint i, n;

  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (obj), name, &v);
  n = gst_value_array_get_size (&v);
  for (i = 0; i < n && i < max; i++)
    out[i] = g_value_get_double (gst_value_array_get_value (&v, i));
  g_value_unset (&v);
  return n;
}

static G_GNUC_UNUSED void
set_doubles (gpointer obj, const gchar * name, const double *in, guint n)
{
  GValue v = G_VALUE_INIT;
  guint i;

  g_value_init (&v, GST_TYPE_ARRAY);
  for (i = 0; i < n; i++) {
    GValue d = G_VALUE_INIT;
    g_value_init (&d, G_TYPE_DOUBLE);
    g_value_set_double (&d, in[i]);
    gst_value_array_append_and_take_value (&v, &d);
  }
  g_object_set_property (G_OBJECT (obj), name, &v);
  g_value_unset (&v);
}

static G_GNUC_UNUSED gboolean
close_to (double a, double b, double rel)
{
  return fabs (a - b) <= rel * MAX (fabs (a), fabs (b)) + 1e-12;
}

/* The running values the element reports equal @mean/@var (1e-9). */
static G_GNUC_UNUSED void
assert_running (GstElement * el, const double *mean, const double *var,
    guint channels)
{
  double m[REF_MAX_CHANNELS], v[REF_MAX_CHANNELS];
  guint c;

  fail_unless_equals_int (get_doubles (el, "running-mean", m,
          REF_MAX_CHANNELS), channels);
  fail_unless_equals_int (get_doubles (el, "running-var", v,
          REF_MAX_CHANNELS), channels);
  for (c = 0; c < channels; c++) {
    fail_unless (close_to (m[c], mean[c], 1e-9),
        "running-mean[%u] = %.12g, expected %.12g", c, m[c], mean[c]);
    fail_unless (close_to (v[c], var[c], 1e-9),
        "running-var[%u] = %.12g, expected %.12g", c, v[c], var[c]);
  }
}

/* The text of the next error message on @bus, or NULL (caller frees). */
static G_GNUC_UNUSED gchar *
pop_error (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *text;

  if (!msg)
    return NULL;
  gst_message_parse_error (msg, &err, NULL);
  text = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (msg);
  return text;
}

/* ---- audio buffers ------------------------------------------------- */

typedef struct
{
  TFmt fmt;
  guint channels;
  gboolean planar;
  gsize n;                      /* samples per channel */
  gsize gap;                    /* planar: bytes between planes */
  gint rate;
  guint first;                  /* run_audio: index of the first buffer (PTS) */
} AudioSpec;

static G_GNUC_UNUSED const gchar *
tfmt_audio_name (TFmt f)
{
  switch (f) {
    case FMT_U8A:
      return "U8";
    case FMT_S16:
      return "S16LE";
    case FMT_S32:
      return "S32LE";
    case FMT_F32:
      return "F32LE";
    case FMT_F64:
      return "F64LE";
    default:
      g_assert_not_reached ();
  }
  return NULL;
}

static G_GNUC_UNUSED gchar *
audio_caps_str (TFmt f, guint channels, gboolean planar, gint rate)
{
  return g_strdup_printf ("audio/x-raw, format=%s, rate=%d, channels=%u, "
      "layout=%s%s", tfmt_audio_name (f), rate, channels,
      planar ? "non-interleaved" : "interleaved",
      channels > 2 || planar ? ", channel-mask=(bitmask)0" : "");
}

static G_GNUC_UNUSED gsize
audio_plane_offset (const AudioSpec * s, guint c)
{
  return c * (s->n * tfmt_size (s->fmt) + s->gap);
}

/* A buffer of @s holding @x[c][i] (rounded to the format: @x is updated to
 * what was stored).  Planar buffers carry a GstAudioMeta; bytes between
 * planes are 0xA5. */
static G_GNUC_UNUSED GstBuffer *
audio_buffer (const AudioSpec * s, double **x)
{
  gsize bps = tfmt_size (s->fmt), size, i;
  GstBuffer *buf;
  GstMapInfo map;
  guint c;

  size = s->planar ? audio_plane_offset (s, s->channels) - s->gap
      : s->n * bps * s->channels;
  buf = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, 0xA5, size);
  for (c = 0; c < s->channels; c++)
    for (i = 0; i < s->n; i++) {
      guint8 *p = s->planar ? map.data + audio_plane_offset (s, c) + i * bps
          : map.data + (i * s->channels + c) * bps;
      x[c][i] = tfmt_write (s->fmt, p, x[c][i]);
    }
  gst_buffer_unmap (buf, &map);
  if (s->planar) {
    GstAudioInfo info;
    gsize offsets[REF_MAX_CHANNELS];
    GstCaps *caps;
    gchar *str = audio_caps_str (s->fmt, s->channels, TRUE, s->rate);
    caps = gst_caps_from_string (str);
    fail_unless (gst_audio_info_from_caps (&info, caps));
    gst_caps_unref (caps);
    g_free (str);
    for (c = 0; c < s->channels; c++)
      offsets[c] = audio_plane_offset (s, c);
    gst_buffer_add_audio_meta (buf, &info, s->n, offsets);
  }
  return buf;
}

/* Checks every sample of @buf (described by @caps) against @y. */
static G_GNUC_UNUSED void
assert_audio (GstBuffer * buf, GstCaps * caps, TFmt fmt, double **y,
    gsize n, const gchar * what)
{
  GstAudioInfo info;
  GstAudioBuffer ab;
  gsize bps = tfmt_size (fmt), i;
  guint c, C;
  gboolean planar;

  fail_unless (gst_audio_info_from_caps (&info, caps));
  fail_unless (gst_audio_buffer_map (&ab, &info, buf, GST_MAP_READ));
  fail_unless_equals_int (ab.n_samples, n);
  C = GST_AUDIO_INFO_CHANNELS (&info);
  planar = GST_AUDIO_INFO_LAYOUT (&info) == GST_AUDIO_LAYOUT_NON_INTERLEAVED;
  for (c = 0; c < C; c++)
    for (i = 0; i < n; i++) {
      const guint8 *p = planar ? (guint8 *) ab.planes[c] + i * bps
          : (guint8 *) ab.planes[0] + (i * C + c) * bps;
      assert_sample (fmt, p, y[c][i], "%s: channel %u sample %"
          G_GSIZE_FORMAT, what, c, i);
    }
  gst_audio_buffer_unmap (&ab);
}

/* per-channel sample arrays */
typedef struct
{
  guint channels;
  gsize n;
  double *x[REF_MAX_CHANNELS], *y[REF_MAX_CHANNELS];
  gsize counts[REF_MAX_CHANNELS];
} Samples;

static G_GNUC_UNUSED void
samples_init (Samples * s, guint channels, gsize n)
{
  guint c;

  s->channels = channels;
  s->n = n;
  for (c = 0; c < channels; c++) {
    s->x[c] = g_new0 (double, n);
    s->y[c] = g_new0 (double, n);
    s->counts[c] = n;
  }
}

static G_GNUC_UNUSED void
samples_clear (Samples * s)
{
  guint c;

  for (c = 0; c < s->channels; c++) {
    g_free (s->x[c]);
    g_free (s->y[c]);
  }
}

/* Channel c: a sine plus uniform noise around a channel-specific level,
 * amplitude @amp (normalized units). */
static G_GNUC_UNUSED void
samples_fill (Samples * s, GRand * rand, double amp)
{
  guint c;
  gsize i;

  for (c = 0; c < s->channels; c++) {
    double level = amp * (0.3 * c - 0.2), a = amp * (1.0 + 0.5 * c);
    for (i = 0; i < s->n; i++)
      s->x[c][i] = level + a * (0.6 * sin (0.05 * (c + 1) * i)
          + 0.4 * g_rand_double_range (rand, -1.0, 1.0));
  }
}

/* ---- video frames ------------------------------------------------- */

/* Where every component of a frame lives in the buffer: GStreamer's
 * default layout or one with larger strides and gaps between planes. */
typedef struct
{
  GstVideoInfo info;
  gsize offset[GST_VIDEO_MAX_PLANES];
  gint stride[GST_VIDEO_MAX_PLANES];
  gsize size;
  gboolean meta;
  guint channels;               /* statistics channels: colour components */
  TFmt fmt;
} VLayout;

static G_GNUC_UNUSED void
vlayout_init (VLayout * l, GstVideoFormat format, gint w, gint h,
    gboolean custom)
{
  const GstVideoFormatInfo *finfo;
  guint p, c;

  fail_unless (gst_video_info_set_format (&l->info, format, w, h));
  GST_VIDEO_INFO_FPS_N (&l->info) = 30;
  GST_VIDEO_INFO_FPS_D (&l->info) = 1;
  finfo = l->info.finfo;
  l->channels = GST_VIDEO_INFO_N_COMPONENTS (&l->info)
      - (GST_VIDEO_INFO_HAS_ALPHA (&l->info) ? 1 : 0);
  l->fmt = format == GST_VIDEO_FORMAT_GRAY16_LE ? FMT_U16V : FMT_U8V;
  l->meta = custom;
  if (!custom) {
    for (p = 0; p < GST_VIDEO_INFO_N_PLANES (&l->info); p++) {
      l->offset[p] = GST_VIDEO_INFO_PLANE_OFFSET (&l->info, p);
      l->stride[p] = GST_VIDEO_INFO_PLANE_STRIDE (&l->info, p);
    }
    l->size = GST_VIDEO_INFO_SIZE (&l->info);
    return;
  }
  /* planes in reverse order, strides 40 bytes longer than needed, gaps */
  l->size = 56;
  for (p = GST_VIDEO_INFO_N_PLANES (&l->info); p-- > 0;) {
    gint rows = h;
    for (c = 0; c < GST_VIDEO_INFO_N_COMPONENTS (&l->info); c++)
      if (GST_VIDEO_FORMAT_INFO_PLANE (finfo, c) == p)
        rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, c, h);
    l->stride[p] = GST_ROUND_UP_8 (GST_VIDEO_INFO_PLANE_STRIDE (&l->info,
            p)) + 40;
    l->offset[p] = l->size;
    l->size += (gsize) l->stride[p] * rows + 72;
  }
}

static G_GNUC_UNUSED gsize
vlayout_addr (const VLayout * l, guint c, gint x, gint y)
{
  const GstVideoFormatInfo *finfo = l->info.finfo;
  guint p = GST_VIDEO_FORMAT_INFO_PLANE (finfo, c);

  return l->offset[p] + (gsize) y * l->stride[p]
      + (gsize) x * GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c)
      + GST_VIDEO_FORMAT_INFO_POFFSET (finfo, c);
}

static G_GNUC_UNUSED gint
comp_w (const VLayout * l, guint c)
{
  return GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (l->info.finfo, c,
      GST_VIDEO_INFO_WIDTH (&l->info));
}

static G_GNUC_UNUSED gint
comp_h (const VLayout * l, guint c)
{
  return GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (l->info.finfo, c,
      GST_VIDEO_INFO_HEIGHT (&l->info));
}

/* A frame: colour components hold channel-specific levels and spreads,
 * every other byte (alpha, x, row ends, gaps) random.  @smp receives the
 * normalized colour samples, @bytes a copy of the whole buffer. */
static G_GNUC_UNUSED GstBuffer *
video_buffer (const VLayout * l, GRand * rand, Samples * smp,
    guint8 ** bytes)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, l->size, NULL);
  GstMapInfo map;
  gsize i, bps = tfmt_size (l->fmt);
  guint c;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < l->size; i++)
    map.data[i] = g_rand_int_range (rand, 0, 256);
  for (c = 0; c < l->channels; c++) {
    gint x, y, w = comp_w (l, c), h = comp_h (l, c);
    double level = 0.15 + 0.25 * c, spread = 0.1 + 0.1 * c;
    smp->counts[c] = (gsize) w * h;
    i = 0;
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++, i++) {
        double v = level + spread * g_rand_double (rand);
        if (l->fmt == FMT_U8V && bps == 1)
          v = floor (v * 255.0) / 255.0;
        smp->x[c][i] = tfmt_write (l->fmt, map.data + vlayout_addr (l, c,
                x, y), v);
      }
  }
  *bytes = g_memdup2 (map.data, l->size);
  gst_buffer_unmap (buf, &map);
  if (l->meta)
    gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_INFO_FORMAT (&l->info), GST_VIDEO_INFO_WIDTH (&l->info),
        GST_VIDEO_INFO_HEIGHT (&l->info), GST_VIDEO_INFO_N_PLANES (&l->info),
        (gsize *) l->offset, (gint *) l->stride);
  return buf;
}

/* ---- running audio through the element ----------------------------- */

/* Pushes @n_buffers buffers of @s through @h, checks each output against
 * @ref, and returns nothing: any mismatch fails.  Planar gaps must stay
 * untouched.  @out_fmt/@out_caps describe what leaves the element.
 * @shape, when not NULL, may change the samples of each buffer first.
 * Returns how many reference outputs lie outside [-1, 1]. */
static G_GNUC_UNUSED guint
run_audio_shaped (GstHarness * h, Ref * ref, const AudioSpec * s,
    TFmt out_fmt, const gchar * out_caps_str, guint n_buffers, double amp,
    gboolean expect_in_place, void (*shape) (Samples * smp, guint buffer))
{
  static guint calls = 0;        /* new data at every call */
  GRand *rand = g_rand_new_with_seed (1234 + s->fmt + 977 * calls++);
  GstCaps *out_caps = gst_caps_from_string (out_caps_str);
  Samples smp;
  guint b, c, outside = 0;
  gsize i;

  samples_init (&smp, s->channels, s->n);
  for (b = 0; b < n_buffers; b++) {
    GstBuffer *in, *out;
    gchar *what;
    double dur = (double) s->n / s->rate;

    samples_fill (&smp, rand, amp);
    if (shape)
      shape (&smp, b);
    in = audio_buffer (s, smp.x);
    GST_BUFFER_PTS (in) = gst_util_uint64_scale ((s->first + b) * s->n,
        GST_SECOND, s->rate);
    GST_BUFFER_DURATION (in) = gst_util_uint64_scale (s->n, GST_SECOND,
        s->rate);
    ref_process (ref, smp.x, smp.counts, smp.y, dur);
    for (c = 0; c < s->channels; c++)
      for (i = 0; i < s->n; i++)
        outside += fabs (smp.y[c][i]) > 1.0;

    out = gst_harness_push_and_pull (h, in);
    fail_unless (out != NULL);
    if (expect_in_place)
      fail_unless (out == in, "not processed in place");
    else
      fail_unless (out != in, "a converting element returned its input");
    what = g_strdup_printf ("%s %s -> %s, buffer %u",
        tfmt_audio_name (s->fmt), s->planar ? "planar" : "interleaved",
        tfmt_audio_name (out_fmt), b);
    assert_audio (out, out_caps, out_fmt, smp.y, s->n, what);

    if (s->planar && expect_in_place && s->gap > 0) {
      GstMapInfo map;
      fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
      for (c = 0; c + 1 < s->channels; c++)
        for (i = 0; i < s->gap; i++)
          fail_unless_equals_int (map.data[audio_plane_offset (s, c) +
                  s->n * tfmt_size (s->fmt) + i], 0xA5);
      gst_buffer_unmap (out, &map);
    }
    g_free (what);
    gst_buffer_unref (out);
  }
  assert_running (h->element, ref->rmean, ref->rvar,
      s->channels);
  samples_clear (&smp);
  gst_caps_unref (out_caps);
  g_rand_free (rand);
  return outside;
}

#define run_audio(h, ref, s, out_fmt, out_caps, n_buffers, amp, in_place) \
  run_audio_shaped (h, ref, s, out_fmt, out_caps, n_buffers, amp, in_place, NULL)

#endif /* R128NORM_CHECK_H */
