/* r128norm element: every property's specification (type, default, range,
 * flags), enum nicks, and each property's effect on the output against the
 * float64 reference. */
#include <gst/controller/controller.h>

#include "r128norm_check.h"

/* ---- specifications ------------------------------------------------ */

static GParamSpec *
pspec (GstElement * el, const gchar * name)
{
  GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (el),
      name);
  fail_unless (p != NULL, "no property %s", name);
  fail_unless ((p->flags & G_PARAM_READWRITE) == G_PARAM_READWRITE,
      "%s is not readable and writable", name);
  return p;
}

static void
check_double (GstElement * el, const gchar * name, double min, double max,
    double def, gboolean controllable)
{
  GParamSpecDouble *p = G_PARAM_SPEC_DOUBLE (pspec (el, name));
  double v;

  fail_unless_equals_float (p->minimum, min);
  fail_unless_equals_float (p->maximum, max);
  fail_unless_equals_float (p->default_value, def);
  g_object_get (el, name, &v, NULL);
  fail_unless_equals_float (v, def);
  fail_unless_equals_int (! !(G_PARAM_SPEC (p)->flags &
          GST_PARAM_CONTROLLABLE), controllable);
  fail_unless (G_PARAM_SPEC (p)->flags & GST_PARAM_MUTABLE_PLAYING,
      "%s is not mutable while playing", name);
}

static void
check_uint64 (GstElement * el, const gchar * name, guint64 min, guint64 def)
{
  GParamSpecUInt64 *p = G_PARAM_SPEC_UINT64 (pspec (el, name));
  guint64 v;

  fail_unless_equals_uint64 (p->minimum, min);
  fail_unless_equals_uint64 (p->maximum, G_MAXUINT64);
  fail_unless_equals_uint64 (p->default_value, def);
  g_object_get (el, name, &v, NULL);
  fail_unless_equals_uint64 (v, def);
}

static void
check_uint (GstElement * el, const gchar * name, guint min, guint def)
{
  GParamSpecUInt *p = G_PARAM_SPEC_UINT (pspec (el, name));
  guint v;

  fail_unless_equals_int (p->minimum, min);
  fail_unless (p->maximum >= 64, "%s: maximum %u", name, p->maximum);
  fail_unless_equals_int (p->default_value, def);
  g_object_get (el, name, &v, NULL);
  fail_unless_equals_int (v, def);
}

static void
check_enum (GstElement * el, const gchar * name, const gchar * def,
    const gchar * const *nicks)
{
  GParamSpecEnum *p = G_PARAM_SPEC_ENUM (pspec (el, name));
  GEnumValue *v;
  guint i;
  gint current;

  for (i = 0; nicks[i]; i++) {
    v = g_enum_get_value_by_nick (p->enum_class, nicks[i]);
    fail_unless (v != NULL, "%s has no value '%s'", name, nicks[i]);
    gst_util_set_object_arg (G_OBJECT (el), name, nicks[i]);
    g_object_get (el, name, &current, NULL);
    fail_unless_equals_int (current, v->value);
  }
  fail_unless_equals_int (i, p->enum_class->n_values);
  v = g_enum_get_value (p->enum_class, p->default_value);
  fail_unless_equals_string (v->value_nick, def);
}

static void
check_empty_array (GstElement * el, const gchar * name)
{
  double d[4];

  fail_unless (GST_IS_PARAM_SPEC_ARRAY_LIST (pspec (el, name)),
      "%s is not a GstValueArray", name);
  fail_unless_equals_int (get_doubles (el, name, d, 4), 0);
}

GST_START_TEST (test_property_specs)
{
  GstElement *el = make_element (NULL);
  static const gchar *const variants[] = { "per-channel", "layer", "group",
    "auto", NULL
  };
  static const gchar *const stats[] = { "frame", "running", "frozen", NULL };
  static const gchar *const layouts[] = { "hwc", "chw", NULL };
  GParamSpec *p;
  gchar *s;
  gboolean b;

  check_double (el, "momentum", 0, 1, 0.95, TRUE);
  check_double (el, "epsilon", 0, 1, 1e-5, TRUE);
  check_double (el, "strength", 0, 1, 1.0, TRUE);
  check_double (el, "clip-sigma", 0, G_MAXDOUBLE, 0.0, TRUE);
  check_uint64 (el, "time-constant", 0, 0);
  check_uint64 (el, "warmup", 0, 0);
  check_uint64 (el, "interval", 1, 100 * GST_MSECOND);
  check_uint (el, "groups", 1, 1);
  check_uint (el, "min-samples", 0, 16);
  check_enum (el, "variant", "per-channel", variants);
  check_enum (el, "stats", "running", stats);
  check_enum (el, "tensor-layout", "hwc", layouts);
  check_empty_array (el, "gamma");
  check_empty_array (el, "beta");
  check_empty_array (el, "running-mean");
  check_empty_array (el, "running-var");

  p = pspec (el, "stats-file");
  fail_unless (G_IS_PARAM_SPEC_STRING (p));
  fail_unless (G_PARAM_SPEC_STRING (p)->default_value == NULL);
  g_object_get (el, "stats-file", &s, NULL);
  fail_unless (s == NULL);
  fail_if (p->flags & GST_PARAM_CONTROLLABLE);
  p = pspec (el, "post-messages");
  fail_unless (G_IS_PARAM_SPEC_BOOLEAN (p));
  fail_unless (G_PARAM_SPEC_BOOLEAN (p)->default_value == FALSE);
  g_object_get (el, "post-messages", &b, NULL);
  fail_unless (b == FALSE);
  /* not a continuous scalar: not controllable */
  fail_if (pspec (el, "variant")->flags & GST_PARAM_CONTROLLABLE);
  fail_if (pspec (el, "groups")->flags & GST_PARAM_CONTROLLABLE);

  gst_object_unref (el);
}

GST_END_TEST;

GST_START_TEST (test_reset_signal_spec)
{
  GstElement *el = make_element (NULL);
  GSignalQuery q;
  guint id = g_signal_lookup ("reset", G_OBJECT_TYPE (el));

  fail_unless (id != 0, "no reset signal");
  g_signal_query (id, &q);
  fail_unless (q.signal_flags & G_SIGNAL_ACTION);
  fail_unless_equals_int (q.n_params, 0);
  fail_unless (q.return_type == G_TYPE_NONE);
  gst_object_unref (el);
}

GST_END_TEST;

/* gst-launch syntax reaches every enum by nick, arrays included. */
GST_START_TEST (test_parse_launch_nicks)
{
  GError *err = NULL;
  GstElement *el = gst_parse_launch ("r128norm variant=group groups=3 "
      "stats=frozen tensor-layout=chw momentum=0.5 gamma=\"<1.0, 2.0, 3.0>\" "
      "time-constant=20000000", &err);
  gint variant, stats, layout;
  guint groups;
  double momentum, gamma[4];
  guint64 tc;

  fail_unless (err == NULL, "%s", err ? err->message : "");
  fail_unless (el != NULL);
  g_object_get (el, "variant", &variant, "stats", &stats, "tensor-layout",
      &layout, "groups", &groups, "momentum", &momentum, "time-constant",
      &tc, NULL);
  fail_unless_equals_int (variant, 2);
  fail_unless_equals_int (stats, 2);
  fail_unless_equals_int (layout, 1);
  fail_unless_equals_int (groups, 3);
  fail_unless_equals_float (momentum, 0.5);
  fail_unless_equals_uint64 (tc, 20 * GST_MSECOND);
  fail_unless_equals_int (get_doubles (el, "gamma", gamma, 4), 3);
  fail_unless_equals_float (gamma[2], 3.0);
  gst_object_unref (el);

  el = gst_parse_launch ("r128norm variant=auto stats=frame", &err);
  fail_unless (el != NULL);
  g_object_get (el, "variant", &variant, "stats", &stats, NULL);
  fail_unless_equals_int (variant, 3);
  fail_unless_equals_int (stats, 0);
  gst_object_unref (el);
  el = gst_parse_launch ("r128norm variant=layer", &err);
  fail_unless (el != NULL);
  g_object_get (el, "variant", &variant, NULL);
  fail_unless_equals_int (variant, 1);
  gst_object_unref (el);
}

GST_END_TEST;

/* ---- effects on the output ----------------------------------------- */

/* F32 interleaved audio through @el (taken) against @ref: @n samples per
 * channel per buffer at 48 kHz, amplitude 0.05. */
static void
check_f32 (GstElement * el, Ref * ref, gsize n, guint n_buffers,
    void (*shape) (Samples *, guint))
{
  AudioSpec s = { FMT_F32, ref->channels, FALSE, n, 0, 48000 };
  gchar *caps = audio_caps_str (FMT_F32, ref->channels, FALSE, 48000);
  GstHarness *h = harness_for (el, NULL);

  gst_harness_set_caps_str (h, caps, caps);
  run_audio_shaped (h, ref, &s, FMT_F32, caps, n_buffers, 0.05, TRUE,
      shape);
  gst_harness_teardown (h);
  g_free (caps);
}

static void
check_s16 (GstElement * el, Ref * ref, gsize n, guint n_buffers)
{
  AudioSpec s = { FMT_S16, ref->channels, FALSE, n, 0, 48000 };
  gchar *caps = audio_caps_str (FMT_S16, ref->channels, FALSE, 48000);
  GstHarness *h = harness_for (el, NULL);

  gst_harness_set_caps_str (h, caps, caps);
  run_audio (h, ref, &s, FMT_S16, caps, n_buffers, 0.05, TRUE);
  gst_harness_teardown (h);
  g_free (caps);
}

/* strength=0 gives the input back exactly; 0.5 goes half way. */
GST_START_TEST (test_strength)
{
  AudioSpec s = { FMT_S16, 2, FALSE, 300, 0, 48000 };
  gchar *caps = audio_caps_str (FMT_S16, 2, FALSE, 48000);
  GstHarness *h = harness_for (make_element ("strength", "0", NULL), NULL);
  double *x[2];
  GstBuffer *in, *out;
  GstMapInfo mi, mo;
  Samples smp;
  GRand *rand = g_rand_new_with_seed (3);
  guint8 *copy;
  Ref ref;

  gst_harness_set_caps_str (h, caps, caps);
  samples_init (&smp, 2, s.n);
  samples_fill (&smp, rand, 0.1);
  x[0] = smp.x[0];
  x[1] = smp.x[1];
  in = audio_buffer (&s, x);
  gst_buffer_map (in, &mi, GST_MAP_READ);
  copy = g_memdup2 (mi.data, mi.size);
  gst_buffer_unmap (in, &mi);
  out = gst_harness_push_and_pull (h, in);
  gst_buffer_map (out, &mo, GST_MAP_READ);
  fail_unless (memcmp (mo.data, copy, mo.size) == 0,
      "strength=0 changed the samples");
  gst_buffer_unmap (out, &mo);
  gst_buffer_unref (out);
  g_free (copy);
  samples_clear (&smp);
  g_rand_free (rand);
  gst_harness_teardown (h);
  g_free (caps);

  ref_init (&ref, 2, 0.1, 0.0);
  ref.strength = 0.0;
  check_f32 (make_element ("strength", "0", NULL), &ref, 256, 2, NULL);
  ref_init (&ref, 2, 0.1, 0.0);
  ref.strength = 0.5;
  check_f32 (make_element ("strength", "0.5", NULL), &ref, 256, 3, NULL);
  ref_init (&ref, 2, 0.1, 0.0);
  ref.strength = 0.25;
  check_s16 (make_element ("strength", "0.25", NULL), &ref, 256, 3);
}

GST_END_TEST;

GST_START_TEST (test_gamma_beta)
{
  Ref ref;

  /* one value per channel */
  ref_init (&ref, 3, 0.1, 0.0);
  ref.gamma[0] = 1.0, ref.gamma[1] = 0.5, ref.gamma[2] = 2.0;
  ref.beta[0] = 0.1, ref.beta[1] = -0.2, ref.beta[2] = 0.0;
  check_f32 (make_element ("gamma", "<1.0, 0.5, 2.0>", "beta",
          "<0.1, -0.2, 0.0>", NULL), &ref, 256, 2, NULL);
  /* one value for all channels */
  ref_init (&ref, 3, 0.7, -0.05);
  check_f32 (make_element ("gamma", "<0.7>", "beta", "<-0.05>", NULL), &ref,
      256, 2, NULL);
  /* z-scores in S16 */
  ref_init (&ref, 2, 0.25, 0.0);
  check_s16 (make_element ("gamma", "<0.25>", NULL), &ref, 256, 2);
}

GST_END_TEST;

/* channel 1 constant in the first buffers, channel 0 constant always */
static void
make_constant (Samples * smp, guint buffer)
{
  gsize i;

  for (i = 0; i < smp->n; i++) {
    smp->x[0][i] = 0.25;
    if (buffer < 2)
      smp->x[1][i] = -0.125;
  }
}

GST_START_TEST (test_epsilon)
{
  Ref ref;

  ref_init (&ref, 2, 0.1, 0.0);
  ref.epsilon = 0.01;           /* 10x the variance of the data */
  check_f32 (make_element ("epsilon", "0.01", NULL), &ref, 256, 2, NULL);
  ref_init (&ref, 2, 0.1, 0.0);
  ref.epsilon = 0.0;
  check_f32 (make_element ("epsilon", "0", NULL), &ref, 256, 2, NULL);
  /* a constant channel is normalized with epsilon alone; with epsilon 0
   * it comes out as beta, never NaN */
  ref_init (&ref, 2, 0.1, 0.05);
  check_f32 (make_element ("beta", "<0.05>", NULL), &ref, 256, 4,
      make_constant);
  ref_init (&ref, 2, 0.1, 0.05);
  ref.epsilon = 0.0;
  check_f32 (make_element ("beta", "<0.05>", "epsilon", "0", NULL), &ref,
      256, 4, make_constant);
  ref_init (&ref, 2, 0.1, 0.05);
  ref.epsilon = 0.0;
  ref.stats = REF_FRAME;
  check_f32 (make_element ("beta", "<0.05>", "epsilon", "0", "stats",
          "frame", NULL), &ref, 256, 3, make_constant);
}

GST_END_TEST;

GST_START_TEST (test_momentum)
{
  static const gchar *values[] = { "0.5", "0", "1", "0.9" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (values); i++) {
    Ref ref;
    ref_init (&ref, 2, 0.1, 0.0);
    ref.momentum = g_ascii_strtod (values[i], NULL);
    check_f32 (make_element ("momentum", values[i], NULL), &ref, 200, 5,
        NULL);
  }
}

GST_END_TEST;

/* 10 ms buffers with time-constant 20 ms: momentum exp(-0.5) per buffer
 * whatever the momentum property says. */
GST_START_TEST (test_time_constant)
{
  Ref ref;

  ref_init (&ref, 2, 0.1, 0.0);
  ref.time_constant = 0.020;
  check_f32 (make_element ("time-constant", "20000000", "momentum", "0.99",
          NULL), &ref, 480, 5, NULL);
  /* 5 ms buffers: the same time constant, a different momentum */
  ref_init (&ref, 2, 0.1, 0.0);
  ref.time_constant = 0.020;
  check_f32 (make_element ("time-constant", "20000000", NULL), &ref, 240, 5,
      NULL);
}

GST_END_TEST;

/* time-constant follows a new rate mid-stream: 480 frames are 10 ms at
 * 48 kHz, then 20 ms at 24 kHz (the element keeps each buffer length's
 * duration between buffers; a new rate must not reuse it) */
GST_START_TEST (test_time_constant_rate_change)
{
  AudioSpec s48 = { FMT_F32, 2, FALSE, 480, 0, 48000 };
  AudioSpec s24 = { FMT_F32, 2, FALSE, 480, 0, 24000 };
  gchar *caps48 = audio_caps_str (FMT_F32, 2, FALSE, 48000);
  gchar *caps24 = audio_caps_str (FMT_F32, 2, FALSE, 24000);
  GstHarness *h = harness_for (make_element ("time-constant", "20000000",
          NULL), NULL);
  Ref ref;

  gst_harness_set_caps_str (h, caps48, caps48);
  ref_init (&ref, 2, 0.1, 0.0);
  ref.time_constant = 0.020;
  run_audio (h, &ref, &s48, FMT_F32, caps48, 3, 0.05, TRUE);
  gst_harness_set_caps_str (h, caps24, caps24);
  run_audio (h, &ref, &s24, FMT_F32, caps24, 3, 0.05, TRUE);
  gst_harness_teardown (h);
  g_free (caps48);
  g_free (caps24);
}

GST_END_TEST;

/* strength ramps from 0 over 50 ms of 10 ms buffers */
GST_START_TEST (test_warmup)
{
  Ref ref;

  ref_init (&ref, 2, 0.1, 0.0);
  ref.warmup = 0.050;
  check_f32 (make_element ("warmup", "50000000", NULL), &ref, 480, 8, NULL);
  ref_init (&ref, 1, 0.1, 0.0);
  ref.warmup = 0.050;
  ref.strength = 0.5;
  check_f32 (make_element ("warmup", "50000000", "strength", "0.5", NULL),
      &ref, 480, 8, NULL);
}

GST_END_TEST;

/* Buffers whose duration is no whole number of nanoseconds (100 frames
 * at 48 kHz: 2083333.33 ns): warmup and time-constant take the exact
 * duration, frames / rate.  S32 output resolves the strength to 2^-31,
 * where nanoseconds rounded down move it by up to 150 LSB. */
GST_START_TEST (test_exact_durations)
{
  AudioSpec s = { FMT_S32, 2, FALSE, 100, 0, 48000 };
  gchar *caps = audio_caps_str (s.fmt, s.channels, FALSE, s.rate);
  GstHarness *h = harness_for (make_element ("warmup", "15000000",
          "time-constant", "20000000", "gamma", "<0.8>", NULL), NULL);
  Ref ref;

  gst_harness_set_caps_str (h, caps, caps);
  ref_init (&ref, s.channels, 0.8, 0.0);
  ref.warmup = 0.015;
  ref.time_constant = 0.020;
  run_audio (h, &ref, &s, s.fmt, caps, 6, 0.3, TRUE);
  gst_harness_teardown (h);
  g_free (caps);
}

GST_END_TEST;

/* outliers of 40 sigma in every buffer after the first */
static void
add_outliers (Samples * smp, guint buffer)
{
  guint c;
  gsize i;

  if (buffer == 0)
    return;
  for (c = 0; c < smp->channels; c++)
    for (i = c; i < smp->n; i += 37)
      smp->x[c][i] = (i % 2 ? 1.0 : -0.9) * (0.5 + 0.1 * buffer);
}

GST_START_TEST (test_clip_sigma)
{
  Ref ref;

  ref_init (&ref, 2, 0.1, 0.0);
  ref.clip_sigma = 2.0;
  ref.momentum = 0.5;
  check_f32 (make_element ("clip-sigma", "2", "momentum", "0.5", NULL), &ref,
      400, 4, add_outliers);
  /* without clipping the same data gives other running values */
  ref_init (&ref, 2, 0.1, 0.0);
  ref.momentum = 0.5;
  check_f32 (make_element ("momentum", "0.5", NULL), &ref, 400, 4,
      add_outliers);
}

GST_END_TEST;

/* 8 samples per channel: below min-samples=16 auto is layer-wise, with
 * min-samples=8 it is per channel. */
GST_START_TEST (test_min_samples_auto)
{
  Ref ref;

  ref_init (&ref, 3, 0.1, 0.0);
  ref.variant = REF_AUTO;
  check_f32 (make_element ("variant", "auto", NULL), &ref, 8, 3, NULL);
  ref_init (&ref, 3, 0.1, 0.0);
  ref.variant = REF_AUTO;
  ref.min_samples = 8;
  check_f32 (make_element ("variant", "auto", "min-samples", "8", NULL),
      &ref, 8, 3, NULL);
  /* the two really differ: layer-wise is not per-channel */
  ref_init (&ref, 3, 0.1, 0.0);
  ref.variant = REF_LAYER;
  check_f32 (make_element ("variant", "auto", "min-samples", "9", NULL),
      &ref, 8, 2, NULL);
}

GST_END_TEST;

GST_START_TEST (test_variant_layer_group)
{
  Ref ref;

  ref_init (&ref, 3, 0.1, 0.0);
  ref.variant = REF_LAYER;
  check_f32 (make_element ("variant", "layer", NULL), &ref, 256, 3, NULL);
  ref_init (&ref, 4, 0.1, 0.0);
  ref.variant = REF_GROUP;
  ref.groups = 2;
  check_f32 (make_element ("variant", "group", "groups", "2", NULL), &ref,
      256, 3, NULL);
  ref_init (&ref, 6, 0.1, 0.0);
  ref.variant = REF_GROUP;
  ref.groups = 3;
  check_s16 (make_element ("variant", "group", "groups", "3", NULL), &ref,
      128, 2);
}

GST_END_TEST;

GST_START_TEST (test_stats_frame)
{
  Ref ref;

  ref_init (&ref, 2, 0.1, 0.0);
  ref.stats = REF_FRAME;
  check_f32 (make_element ("stats", "frame", NULL), &ref, 256, 4, NULL);
}

GST_END_TEST;

/* frozen with running-mean/running-var given: used exactly, never
 * updated; frozen without: the first buffer calibrates, then locked. */
GST_START_TEST (test_stats_frozen)
{
  static const double mean[2] = { 0.02, -0.03 }, var[2] = { 0.0004, 0.01 };
  GstElement *el;
  Ref ref;

  ref_init (&ref, 2, 0.1, 0.0);
  ref.stats = REF_FROZEN;
  ref_set_running (&ref, mean, var);
  el = make_element ("stats", "frozen", NULL);
  set_doubles (el, "running-mean", mean, 2);
  set_doubles (el, "running-var", var, 2);
  check_f32 (el, &ref, 256, 3, NULL);
  fail_unless_equals_float (ref.rmean[1], mean[1]);

  ref_init (&ref, 2, 0.1, 0.0);
  ref.stats = REF_FROZEN;
  check_f32 (make_element ("stats", "frozen", NULL), &ref, 256, 3, NULL);
}

GST_END_TEST;

/* running-mean/running-var written before start seed the running
 * statistics, which then keep learning. */
GST_START_TEST (test_running_seed)
{
  static const double mean[3] = { 0.01, 0.0, -0.02 };
  static const double var[3] = { 0.001, 0.002, 0.003 };
  GstElement *el = make_element ("momentum", "0.8", NULL);
  double m[4];
  Ref ref;

  set_doubles (el, "running-mean", mean, 3);
  set_doubles (el, "running-var", var, 3);
  fail_unless_equals_int (get_doubles (el, "running-mean", m, 4), 3);
  fail_unless_equals_float (m[2], -0.02);
  ref_init (&ref, 3, 0.1, 0.0);
  ref.momentum = 0.8;
  ref_set_running (&ref, mean, var);
  check_f32 (el, &ref, 256, 3, NULL);
}

GST_END_TEST;

/* Writing running-mean while playing seeds the statistics at the next
 * buffer (docs/element.md); stats=frozen then uses them as they are. */
GST_START_TEST (test_running_write_while_playing)
{
  static const double mean[2] = { 0.3, -0.3 }, var[2] = { 0.04, 0.09 };
  AudioSpec s = { FMT_F32, 2, FALSE, 256, 0, 48000 };
  gchar *caps = audio_caps_str (FMT_F32, 2, FALSE, 48000);
  GstHarness *h = harness_for (make_element (NULL), NULL);
  Ref ref;

  gst_harness_set_caps_str (h, caps, caps);
  ref_init (&ref, 2, 0.1, 0.0);
  run_audio (h, &ref, &s, FMT_F32, caps, 2, 0.05, TRUE);
  gst_util_set_object_arg (G_OBJECT (h->element), "stats", "frozen");
  set_doubles (h->element, "running-mean", mean, 2);
  set_doubles (h->element, "running-var", var, 2);
  ref.stats = REF_FROZEN;
  ref_set_running (&ref, mean, var);
  run_audio (h, &ref, &s, FMT_F32, caps, 2, 0.05, TRUE);
  gst_harness_teardown (h);
  g_free (caps);
}

GST_END_TEST;

/* changing a property while playing takes effect at the next buffer */
GST_START_TEST (test_change_while_playing)
{
  AudioSpec s = { FMT_F32, 2, FALSE, 256, 0, 48000 };
  gchar *caps = audio_caps_str (FMT_F32, 2, FALSE, 48000);
  GstHarness *h = harness_for (make_element (NULL), NULL);
  Ref ref;

  gst_harness_set_caps_str (h, caps, caps);
  ref_init (&ref, 2, 0.1, 0.0);
  run_audio (h, &ref, &s, FMT_F32, caps, 2, 0.05, TRUE);
  g_object_set (h->element, "momentum", 0.3, "epsilon", 0.001, NULL);
  gst_util_set_object_arg (G_OBJECT (h->element), "gamma", "<1.0, 0.5>");
  ref.momentum = 0.3;
  ref.epsilon = 0.001;
  ref.gamma[0] = 1.0;
  ref.gamma[1] = 0.5;
  run_audio (h, &ref, &s, FMT_F32, caps, 2, 0.05, TRUE);
  gst_util_set_object_arg (G_OBJECT (h->element), "variant", "layer");
  ref.variant = REF_LAYER;
  run_audio (h, &ref, &s, FMT_F32, caps, 2, 0.05, TRUE);
  gst_harness_teardown (h);
  g_free (caps);
}

GST_END_TEST;

/* strength under a GstController: each buffer uses the value at its
 * timestamp (before_transform syncs the controlled properties) */
GST_START_TEST (test_controlled_strength)
{
  AudioSpec s = { FMT_F32, 2, FALSE, 480, 0, 48000 };
  gchar *caps = audio_caps_str (FMT_F32, 2, FALSE, 48000);
  GstHarness *h = harness_for (make_element (NULL), NULL);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GstTimedValueControlSource *tvcs = GST_TIMED_VALUE_CONTROL_SOURCE (cs);
  Ref ref;

  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  gst_timed_value_control_source_set (tvcs, 0, 0.0);
  gst_timed_value_control_source_set (tvcs, 40 * GST_MSECOND, 1.0);
  fail_unless (gst_object_add_control_binding (GST_OBJECT (h->element),
          gst_direct_control_binding_new (GST_OBJECT (h->element), "strength",
              cs)));
  gst_harness_set_caps_str (h, caps, caps);
  ref_init (&ref, 2, 0.1, 0.0);
  /* run_audio stamps buffer b at b * 10 ms */
  for (guint b = 0; b < 6; b++) {
    ref.strength = MIN (1.0, b * 0.25);
    s.first = b;
    run_audio (h, &ref, &s, FMT_F32, caps, 1, 0.05, TRUE);
  }
  gst_object_unref (cs);
  gst_harness_teardown (h);
  g_free (caps);
}

GST_END_TEST;

static Suite *
r128norm_props_suite (void)
{
  Suite *s = suite_create ("r128norm-props");
  TCase *tc = tcase_create ("props");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_property_specs);
  tcase_add_test (tc, test_reset_signal_spec);
  tcase_add_test (tc, test_parse_launch_nicks);
  tcase_add_test (tc, test_strength);
  tcase_add_test (tc, test_gamma_beta);
  tcase_add_test (tc, test_epsilon);
  tcase_add_test (tc, test_momentum);
  tcase_add_test (tc, test_time_constant);
  tcase_add_test (tc, test_time_constant_rate_change);
  tcase_add_test (tc, test_warmup);
  tcase_add_test (tc, test_exact_durations);
  tcase_add_test (tc, test_clip_sigma);
  tcase_add_test (tc, test_min_samples_auto);
  tcase_add_test (tc, test_variant_layer_group);
  tcase_add_test (tc, test_stats_frame);
  tcase_add_test (tc, test_stats_frozen);
  tcase_add_test (tc, test_running_seed);
  tcase_add_test (tc, test_running_write_while_playing);
  tcase_add_test (tc, test_change_while_playing);
  tcase_add_test (tc, test_controlled_strength);
  return s;
}

GST_CHECK_MAIN (r128norm_props);
