/* GStreamer r128norm element.
 *
 * SECTION:element-r128norm
 * @title: r128norm
 *
 * Normalizes audio, video and tensors (NNStreamer's other/tensors) with
 * per-channel running statistics,
 *
 *   y = gamma[c] * (x - mean) / sqrt(var + epsilon) + beta[c]
 *
 * with per-channel, layer, group and auto variants and statistics taken
 * from each buffer (`stats=frame`), kept running (`stats=running`) or held
 * fixed (`stats=frozen`).  All values are in normalized units (u8 video
 * v/255, s16 audio v/32768, float as is), so one setting means the same for
 * every format.  The defaults give a watchable auto-levelled picture (gamma
 * 0.2, beta 0.5) and audio at -20 dBFS RMS (gamma 0.1, beta 0).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc ! videobalance brightness=-0.3 ! r128norm ! videoconvert ! autovideosink
 * gst-launch-1.0 audiotestsrc volume=0.05 ! r128norm ! audioconvert ! autoaudiosink
 * gst-launch-1.0 -m videotestsrc num-buffers=30 ! r128norm post-messages=true ! fakesink
 * gst-launch-1.0 v4l2src ! videoconvert ! video/x-raw,format=RGB ! r128norm tensor-layout=chw ! other/tensors,types=float32 ! tensor_filter ...
 * ]|
 *
 * The element works in place when input and output formats match; video
 * becomes float tensors (hwc or chw) in the same pass.  The
 * arithmetic lives in lib/ (no GStreamer there); this file maps buffers to
 * channel descriptions, keeps the properties and posts the messages.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gstr128norm.h"

/* The functions every audio buffer runs through, placed together with
 * the library's (R128NORM_HOT in lib/r128norm_kernels.h): for 10 ms of
 * audio it is the code, more than the samples, that has to come back into
 * the caches for each buffer. */
#if defined(__GNUC__) && defined(__ELF__)
#define PER_BUFFER __attribute__ ((section (".text.hot.r128norm")))
#else
#define PER_BUFFER
#endif
#if defined(__GNUC__)
#define PER_BUFFER_COLD __attribute__ ((cold, noinline))
#else
#define PER_BUFFER_COLD
#endif

GST_DEBUG_CATEGORY_STATIC (gst_r128norm_debug);
#define GST_CAT_DEFAULT gst_r128norm_debug

#define DEFAULT_VARIANT GST_R128NORM_VARIANT_PER_CHANNEL
#define DEFAULT_GROUPS 1
#define DEFAULT_STATS GST_R128NORM_STATS_RUNNING
#define DEFAULT_MOMENTUM 0.95
#define DEFAULT_TIME_CONSTANT 0
#define DEFAULT_EPSILON 1e-5
#define DEFAULT_STRENGTH 1.0
#define DEFAULT_WARMUP 0
#define DEFAULT_CLIP_SIGMA 0.0
#define DEFAULT_MIN_SAMPLES 16
#define DEFAULT_POST_MESSAGES FALSE
#define DEFAULT_INTERVAL (100 * GST_MSECOND)
#define DEFAULT_TENSOR_LAYOUT GST_R128NORM_TENSOR_LAYOUT_HWC
/* one: the work is bound by memory bandwidth, which one core saturates on
 * the machines measured (docs/performance.md); 0 asks for one per core */
#define DEFAULT_N_THREADS 1
#define MAX_THREADS 16
/* Frames of at least this many samples per channel are split into bands of
 * rows, always BANDS of them whatever the thread count, so that the output
 * does not depend on n-threads (docs/element.md). */
#define BAND_MIN_SAMPLES (1024 * 1024)
#define BANDS 8

#define STATS_FILE_GROUP "r128norm"
#define STATS_FILE_VERSION 1

enum
{
  PROP_0,
  PROP_VARIANT,
  PROP_GROUPS,
  PROP_STATS,
  PROP_MOMENTUM,
  PROP_TIME_CONSTANT,
  PROP_EPSILON,
  PROP_GAMMA,
  PROP_BETA,
  PROP_STRENGTH,
  PROP_WARMUP,
  PROP_CLIP_SIGMA,
  PROP_MIN_SAMPLES,
  PROP_RUNNING_MEAN,
  PROP_RUNNING_VAR,
  PROP_STATS_FILE,
  PROP_POST_MESSAGES,
  PROP_INTERVAL,
  PROP_TENSOR_LAYOUT,
  PROP_N_THREADS
};

enum
{
  SIGNAL_RESET,
  LAST_SIGNAL
};

static guint gst_r128norm_signals[LAST_SIGNAL];

#define AUDIO_CAPS \
  "audio/x-raw, format = (string) { F32LE, F64LE, S16LE, S32LE, U8 }, " \
  "rate = (int) [ 1, MAX ], channels = (int) [ 1, 64 ], " \
  "layout = (string) { interleaved, non-interleaved }"

#define VIDEO_FORMATS "{ GRAY8, GRAY16_LE, RGB, BGR, RGBA, BGRA, ARGB, " \
  "ABGR, RGBx, BGRx, xRGB, xBGR, RGBP, BGRP, I420, YV12, NV12, NV21, " \
  "Y444, Y42B }"

/* NNStreamer's convention: one tensor, types and dimensions (innermost
 * first, e.g. 3:640:480:1 for an interleaved 640x480 RGB frame) */
#define TENSOR_CAPS "other/tensors, format = (string) static, " \
  "num_tensors = (int) 1, framerate = (fraction) [ 0/1, MAX ]"

#define ALL_CAPS AUDIO_CAPS "; " GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS) "; " \
  TENSOR_CAPS

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (ALL_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (ALL_CAPS));

/* Threads that share the bands of a large frame: the streaming thread and
 * n - 1 workers started at caps time.  Per buffer it only takes a lock and
 * wakes the workers: no allocation. */
typedef struct
{
  GMutex lock;
  GCond wake, done;
  GThread *threads[MAX_THREADS];
  guint n_workers;
  void (*task) (void *data, unsigned i);
  void *task_data;
  guint n_tasks, next, finished;
  gint generation;              /* written under the lock, read also without */
  gboolean quit;
} WorkerPool;

/* Diagnostics gathered over one message interval, per channel. */
typedef struct
{
  guint64 n;
  gdouble mean, m2;
  gdouble out_mean, out_m2;
  guint64 histogram[R128NORM_HISTOGRAM_BINS];
} ChannelDiagnostics;

#define MAX_TENSOR_RANK 16
/* The largest tensor (in or out) the element takes: caps may describe up
 * to 2^32 samples, and the output pool's buffers are allocated from them,
 * where a failed allocation aborts (GLib); found by fuzzing, a float32
 * tensor of 3.4 GB (docs/reliability.md). */
#define MAX_TENSOR_BYTES ((gsize) G_MAXINT32)

/* Where the channels of a tensor are: channel c starts at c * channel_offset
 * bytes, its samples are `step` bytes apart in rows of `width`, and `height`
 * rows are `stride` bytes apart. */
typedef struct
{
  r128norm_format in_format, out_format;
  guint channels;
  gsize in_size, out_size;      /* bytes of one frame */
  gint fps_n, fps_d;
  struct
  {
    gsize channel_offset, step, width, height, stride;
  } in, out;
} TensorGeometry;

typedef enum
{
  FAMILY_NONE,
  FAMILY_AUDIO,
  FAMILY_VIDEO,
  FAMILY_TENSOR,                /* other/tensors in and out */
  FAMILY_VIDEO_TO_TENSOR        /* video in, other/tensors float out */
} StreamFamily;

struct _GstR128Norm
{
  GstBaseTransform parent;

  /* properties, under the object lock */
  GstR128NormVariant variant;
  guint groups;
  GstR128NormStats stats;
  gdouble momentum;
  guint64 time_constant;
  gdouble epsilon;
  GArray *gamma, *beta;         /* gdouble; empty = format default */
  gdouble strength;
  guint64 warmup;
  gdouble clip_sigma;
  guint min_samples;
  gchar *stats_file;
  gboolean post_messages;
  guint64 interval;
  GstR128NormTensorLayout tensor_layout;
  guint n_threads;

  gboolean settings_changed;    /* a property changed since the last snapshot */
  gboolean reset_pending;       /* the reset signal was emitted */
  GArray *seed_mean, *seed_var; /* running values given by property or file */
  gboolean seed_pending;        /* ...not yet handed to the library */
  /* atomic, set (under the lock) with any of the three flags above: the
   * streaming thread reads it without the lock, once per buffer */
  gint pending;
  /* the latest running values, for readers of running-mean/running-var:
   * written by the streaming thread under published_seq (publish_running),
   * read under the object lock and published_seq (read_published) */
  GArray *published_mean, *published_var;
  gboolean published_valid;
  guint published_seq;          /* odd while the values are being written */
  /* streaming thread only: the running values may be published without
   * the lock (they were valid at the last locked publish, and nothing
   * happened since that could make them not) */
  gboolean publish_unlocked;
  gdouble *publish_scratch;     /* 2 x channels: the library's copy */
  /* streaming thread only: post-messages and interval, as the settings
   * last handed to the library had them */
  gboolean stream_post_messages;
  guint64 stream_interval;

  /* streaming state: set at caps time, used by the streaming thread */
  StreamFamily family;
  GstAudioInfo in_audio, out_audio;
  gsize duration_frames;        /* the last audio buffer's length, and */
  GstClockTime frames_duration; /* its duration (0 frames: none yet), */
  gdouble frames_seconds;       /* exactly, for the library */
  GstVideoInfo in_video, out_video;
  guint channels;
  gboolean in_place;            /* as set_caps() told the base class */
  r128norm_state *norm;
  r128norm_channel *in_channels, *out_channels;
  gdouble *default_gamma, *default_beta;
  gdouble *default_max_gain;    /* YUV chroma: never inflated (docs/element.md) */
  gboolean settings_error;      /* the last snapshot was refused */
  gboolean caps_error_posted;   /* the negotiation error was explained once */
  TensorGeometry tensor;        /* FAMILY_TENSOR, FAMILY_VIDEO_TO_TENSOR */
  GstFlowReturn (*process) (GstR128Norm * self, GstBuffer * in,
      GstBuffer * out);
  gchar *stream_id;
  WorkerPool *workers;          /* n-threads > 1 on a large frame */
  GstBufferPool *out_pool;      /* converting with no pool from downstream */
  gsize out_pool_size;

  /* stats-file state */
  gboolean stats_file_bad;      /* unreadable or mismatched: never overwrite */
  gboolean seed_from_file;      /* the seeds were loaded from stats-file */

  /* diagnostics over the current interval */
  ChannelDiagnostics *diagnostics;
  guint64 diag_non_finite, diag_saturated;
  GstClockTime diag_start;
  guint64 diag_duration;
};

#define gst_r128norm_parent_class parent_class
G_DEFINE_TYPE (GstR128Norm, gst_r128norm, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (r128norm, "r128norm", GST_RANK_NONE,
    GST_TYPE_R128NORM);

/* ---- enum types ---------------------------------------------------- */

#define GST_TYPE_R128NORM_VARIANT (gst_r128norm_variant_get_type ())
static GType
gst_r128norm_variant_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_R128NORM_VARIANT_PER_CHANNEL, "Each channel its own statistic",
        "per-channel"},
    {GST_R128NORM_VARIANT_LAYER, "One statistic over all channels", "layer"},
    {GST_R128NORM_VARIANT_GROUP, "One statistic per group of channels",
        "group"},
    {GST_R128NORM_VARIANT_AUTO,
        "Per-channel with enough samples per channel, else layer", "auto"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstR128NormVariant", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_R128NORM_STATS (gst_r128norm_stats_get_type ())
static GType
gst_r128norm_stats_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_R128NORM_STATS_FRAME, "Statistics of each buffer", "frame"},
    {GST_R128NORM_STATS_RUNNING, "Running statistics, updated every buffer",
        "running"},
    {GST_R128NORM_STATS_FROZEN, "Fixed running statistics", "frozen"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstR128NormStats", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_R128NORM_TENSOR_LAYOUT (gst_r128norm_tensor_layout_get_type ())
static GType
gst_r128norm_tensor_layout_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_R128NORM_TENSOR_LAYOUT_HWC, "Interleaved channels (height, width, "
          "channels)", "hwc"},
    {GST_R128NORM_TENSOR_LAYOUT_CHW, "Planar channels (channels, height, "
          "width)", "chw"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstR128NormTensorLayout", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---- forward declarations ------------------------------------------ */

static void gst_r128norm_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_r128norm_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_r128norm_finalize (GObject * object);
static GstCaps *gst_r128norm_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter);
static gboolean gst_r128norm_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static gboolean gst_r128norm_get_unit_size (GstBaseTransform * trans,
    GstCaps * caps, gsize * size);
static gboolean gst_r128norm_transform_size (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, gsize size,
    GstCaps * othercaps, gsize * othersize);
static gboolean gst_r128norm_propose_allocation (GstBaseTransform * trans,
    GstQuery * decide_query, GstQuery * query);
static gboolean gst_r128norm_start (GstBaseTransform * trans);
static gboolean gst_r128norm_stop (GstBaseTransform * trans);
static gboolean gst_r128norm_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static void gst_r128norm_before_transform (GstBaseTransform * trans,
    GstBuffer * buffer);
static GstFlowReturn gst_r128norm_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);
static GstFlowReturn gst_r128norm_transform (GstBaseTransform * trans,
    GstBuffer * inbuf, GstBuffer * outbuf);
static void gst_r128norm_reset (GstR128Norm * self);
static GstFlowReturn gst_r128norm_prepare_output_buffer (GstBaseTransform *
    trans, GstBuffer * input, GstBuffer ** outbuf);
static void post_diagnostics (GstR128Norm * self);

/* ---- class --------------------------------------------------------- */

static GParamSpec *
double_array_pspec (const gchar * name, const gchar * nick,
    const gchar * blurb)
{
  return gst_param_spec_array (name, nick, blurb,
      g_param_spec_double ("value", "Value", "One value per channel",
          -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS),
      G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING | G_PARAM_STATIC_STRINGS);
}

static void
gst_r128norm_class_init (GstR128NormClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags playing = rw | GST_PARAM_MUTABLE_PLAYING;
  const GParamFlags controllable = playing | GST_PARAM_CONTROLLABLE;

  GST_DEBUG_CATEGORY_INIT (gst_r128norm_debug, "r128norm", 0,
      "r128norm normalization");

  gobject_class->set_property = gst_r128norm_set_property;
  gobject_class->get_property = gst_r128norm_get_property;
  gobject_class->finalize = gst_r128norm_finalize;

  g_object_class_install_property (gobject_class, PROP_VARIANT,
      g_param_spec_enum ("variant", "Variant",
          "Which samples share one statistic", GST_TYPE_R128NORM_VARIANT,
          DEFAULT_VARIANT, playing));
  g_object_class_install_property (gobject_class, PROP_GROUPS,
      g_param_spec_uint ("groups", "Groups",
          "Number of channel groups for variant=group (must divide the "
          "channel count)", 1, R128NORM_MAX_CHANNELS, DEFAULT_GROUPS,
          playing));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_enum ("stats", "Statistics",
          "Where mean and variance come from", GST_TYPE_R128NORM_STATS,
          DEFAULT_STATS, playing));
  g_object_class_install_property (gobject_class, PROP_MOMENTUM,
      g_param_spec_double ("momentum", "Momentum",
          "Weight of the old running value at each update", 0.0, 1.0,
          DEFAULT_MOMENTUM, controllable));
  g_object_class_install_property (gobject_class, PROP_TIME_CONSTANT,
      g_param_spec_uint64 ("time-constant", "Time constant",
          "When > 0, momentum per buffer is exp(-duration / time-constant) "
          "(in nanoseconds; 0 = use momentum)", 0, G_MAXUINT64,
          DEFAULT_TIME_CONSTANT, playing));
  g_object_class_install_property (gobject_class, PROP_EPSILON,
      g_param_spec_double ("epsilon", "Epsilon",
          "Added to the variance", 0.0, 1.0, DEFAULT_EPSILON, controllable));
  g_object_class_install_property (gobject_class, PROP_GAMMA,
      double_array_pspec ("gamma", "Gamma",
          "Scale in normalized units: one value for all channels or one per "
          "channel; empty = format default (video 0.2, audio 0.1)"));
  g_object_class_install_property (gobject_class, PROP_BETA,
      double_array_pspec ("beta", "Beta",
          "Offset in normalized units: one value for all channels or one per "
          "channel; empty = format default (video 0.5, audio 0)"));
  g_object_class_install_property (gobject_class, PROP_STRENGTH,
      g_param_spec_double ("strength", "Strength",
          "Output = x + strength * (y - x)", 0.0, 1.0, DEFAULT_STRENGTH,
          controllable));
  g_object_class_install_property (gobject_class, PROP_WARMUP,
      g_param_spec_uint64 ("warmup", "Warmup",
          "Stream time (ns) over which strength ramps up from 0 after start "
          "or reset", 0, G_MAXUINT64, DEFAULT_WARMUP, playing));
  g_object_class_install_property (gobject_class, PROP_CLIP_SIGMA,
      g_param_spec_double ("clip-sigma", "Clip sigma",
          "Clamp samples further than this many standard deviations from the "
          "running mean before they enter the statistics (0 = off)",
          0.0, G_MAXDOUBLE, DEFAULT_CLIP_SIGMA, controllable));
  g_object_class_install_property (gobject_class, PROP_MIN_SAMPLES,
      g_param_spec_uint ("min-samples", "Minimum samples",
          "variant=auto: buffers with fewer samples per channel are "
          "normalized layer-wise", 0, G_MAXUINT, DEFAULT_MIN_SAMPLES,
          playing));
  g_object_class_install_property (gobject_class, PROP_RUNNING_MEAN,
      double_array_pspec ("running-mean", "Running mean",
          "Running mean per channel (read), or values to seed it with "
          "(write)"));
  g_object_class_install_property (gobject_class, PROP_RUNNING_VAR,
      double_array_pspec ("running-var", "Running variance",
          "Running (biased) variance per channel (read), or values to seed "
          "it with (write)"));
  g_object_class_install_property (gobject_class, PROP_STATS_FILE,
      g_param_spec_string ("stats-file", "Statistics file",
          "Load running statistics from this file when starting, save them "
          "atomically at EOS and when stopping", NULL,
          rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post r128norm element messages with statistics every interval",
          DEFAULT_POST_MESSAGES, playing));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint64 ("interval", "Interval",
          "Period of the r128norm messages in nanoseconds", 1, G_MAXUINT64,
          DEFAULT_INTERVAL, playing));
  g_object_class_install_property (gobject_class, PROP_N_THREADS,
      g_param_spec_uint ("n-threads", "Threads",
          "Threads that share one frame of at least 1 Mpixel (0 = one per "
          "core; the output is the same bits for any value)", 0, MAX_THREADS,
          DEFAULT_N_THREADS, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TENSOR_LAYOUT,
      g_param_spec_enum ("tensor-layout", "Tensor layout",
          "Layout of other/tensors output made from video",
          GST_TYPE_R128NORM_TENSOR_LAYOUT, DEFAULT_TENSOR_LAYOUT,
          rw | GST_PARAM_MUTABLE_READY));

  /**
   * GstR128Norm::reset:
   *
   * Forget the running statistics and restart the warmup.
   */
  gst_r128norm_signals[SIGNAL_RESET] =
      g_signal_new_class_handler ("reset", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (gst_r128norm_reset),
      NULL, NULL, NULL, G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Running-statistics normalizer", "Filter/Effect/Audio/Video/Tensor",
      "Normalizes audio, video and tensors per channel with running mean and "
      "variance: "
      "(x - mean) / sqrt(var + epsilon) * gamma + beta",
      "r128norm developers");

  trans_class->transform_caps = GST_DEBUG_FUNCPTR (gst_r128norm_transform_caps);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_r128norm_set_caps);
  trans_class->get_unit_size = GST_DEBUG_FUNCPTR (gst_r128norm_get_unit_size);
  trans_class->transform_size =
      GST_DEBUG_FUNCPTR (gst_r128norm_transform_size);
  trans_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_r128norm_propose_allocation);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_r128norm_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_r128norm_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_r128norm_sink_event);
  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_r128norm_before_transform);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_r128norm_transform_ip);
  trans_class->transform = GST_DEBUG_FUNCPTR (gst_r128norm_transform);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_r128norm_prepare_output_buffer);

  gst_type_mark_as_plugin_api (GST_TYPE_R128NORM_VARIANT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_R128NORM_STATS, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_R128NORM_TENSOR_LAYOUT, 0);
}

static void
gst_r128norm_init (GstR128Norm * self)
{
  self->variant = DEFAULT_VARIANT;
  self->groups = DEFAULT_GROUPS;
  self->stats = DEFAULT_STATS;
  self->momentum = DEFAULT_MOMENTUM;
  self->time_constant = DEFAULT_TIME_CONSTANT;
  self->epsilon = DEFAULT_EPSILON;
  self->gamma = g_array_new (FALSE, FALSE, sizeof (gdouble));
  self->beta = g_array_new (FALSE, FALSE, sizeof (gdouble));
  self->strength = DEFAULT_STRENGTH;
  self->warmup = DEFAULT_WARMUP;
  self->clip_sigma = DEFAULT_CLIP_SIGMA;
  self->min_samples = DEFAULT_MIN_SAMPLES;
  self->post_messages = DEFAULT_POST_MESSAGES;
  self->interval = DEFAULT_INTERVAL;
  self->tensor_layout = DEFAULT_TENSOR_LAYOUT;
  self->n_threads = DEFAULT_N_THREADS;
  self->seed_mean = g_array_new (FALSE, FALSE, sizeof (gdouble));
  self->seed_var = g_array_new (FALSE, FALSE, sizeof (gdouble));
  self->published_mean = g_array_new (FALSE, FALSE, sizeof (gdouble));
  self->published_var = g_array_new (FALSE, FALSE, sizeof (gdouble));
  self->settings_changed = TRUE;
  self->pending = 1;
  self->diag_start = GST_CLOCK_TIME_NONE;

  gst_base_transform_set_gap_aware (GST_BASE_TRANSFORM (self), TRUE);
}

static gpointer
worker_main (gpointer data)
{
  WorkerPool *pool = data;
  gint seen = 0;

  g_mutex_lock (&pool->lock);
  for (;;) {
    if (!pool->quit && pool->generation == seen) {
      /* the next pass usually follows within microseconds (a frame-mode
       * buffer's second pass right after its statistics): watch for it a
       * little before sleeping, which would cost a futex wake-up */
      guint spin;
      g_mutex_unlock (&pool->lock);
      for (spin = 0; spin < 20000 && g_atomic_int_get (&pool->generation)
          == seen; spin++)
        G_STMT_START {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause ();
#endif
        } G_STMT_END;
      g_mutex_lock (&pool->lock);
    }
    while (!pool->quit && pool->generation == seen)
      g_cond_wait (&pool->wake, &pool->lock);
    if (pool->quit)
      break;
    seen = pool->generation;
    while (pool->next < pool->n_tasks) {
      guint i = pool->next++;
      g_mutex_unlock (&pool->lock);
      pool->task (pool->task_data, i);
      g_mutex_lock (&pool->lock);
      if (++pool->finished == pool->n_tasks)
        g_cond_signal (&pool->done);
    }
  }
  g_mutex_unlock (&pool->lock);
  return NULL;
}

/* r128norm_parallel_fn: the calling (streaming) thread takes bands too. */
static void
worker_pool_run (void *user_data, unsigned n,
    void (*task) (void *data, unsigned i), void *task_data)
{
  WorkerPool *pool = user_data;

  g_mutex_lock (&pool->lock);
  pool->task = task;
  pool->task_data = task_data;
  pool->n_tasks = n;
  pool->next = 0;
  pool->finished = 0;
  g_atomic_int_inc (&pool->generation);
  g_cond_broadcast (&pool->wake);
  while (pool->next < pool->n_tasks) {
    guint i = pool->next++;
    g_mutex_unlock (&pool->lock);
    task (task_data, i);
    g_mutex_lock (&pool->lock);
    pool->finished++;
  }
  while (pool->finished < pool->n_tasks)
    g_cond_wait (&pool->done, &pool->lock);
  g_mutex_unlock (&pool->lock);
}

static WorkerPool *
worker_pool_new (guint threads)
{
  WorkerPool *pool = g_new0 (WorkerPool, 1);
  guint i;

  g_mutex_init (&pool->lock);
  g_cond_init (&pool->wake);
  g_cond_init (&pool->done);
  pool->n_workers = MIN (threads, MAX_THREADS) - 1;
  for (i = 0; i < pool->n_workers; i++)
    pool->threads[i] = g_thread_new ("r128norm-band", worker_main, pool);
  return pool;
}

static void
worker_pool_free (WorkerPool * pool)
{
  guint i;

  if (!pool)
    return;
  g_mutex_lock (&pool->lock);
  pool->quit = TRUE;
  g_cond_broadcast (&pool->wake);
  g_mutex_unlock (&pool->lock);
  for (i = 0; i < pool->n_workers; i++)
    g_thread_join (pool->threads[i]);
  g_mutex_clear (&pool->lock);
  g_cond_clear (&pool->wake);
  g_cond_clear (&pool->done);
  g_free (pool);
}

static void
free_out_pool (GstR128Norm * self)
{
  if (self->out_pool) {
    gst_buffer_pool_set_active (self->out_pool, FALSE);
    gst_clear_object (&self->out_pool);
  }
  self->out_pool_size = 0;
}

/* Starts a new diagnostics interval, with nothing gathered. */
static void
clear_diagnostics (GstR128Norm * self)
{
  if (self->diagnostics)
    memset (self->diagnostics, 0, self->channels * sizeof
        *self->diagnostics);
  self->diag_non_finite = 0;
  self->diag_saturated = 0;
  self->diag_duration = 0;
  self->diag_start = GST_CLOCK_TIME_NONE;
}

static void
free_stream_state (GstR128Norm * self)
{
  free_out_pool (self);
  g_clear_pointer (&self->workers, worker_pool_free);
  r128norm_destroy (&self->norm);
  g_clear_pointer (&self->in_channels, g_free);
  g_clear_pointer (&self->out_channels, g_free);
  g_clear_pointer (&self->default_gamma, g_free);
  g_clear_pointer (&self->default_beta, g_free);
  g_clear_pointer (&self->default_max_gain, g_free);
  g_clear_pointer (&self->diagnostics, g_free);
  g_clear_pointer (&self->publish_scratch, g_free);
  self->channels = 0;
  /* a partial diagnostics interval of these channels ends with them */
  clear_diagnostics (self);
  self->family = FAMILY_NONE;
}

static void
gst_r128norm_finalize (GObject * object)
{
  GstR128Norm *self = GST_R128NORM (object);

  free_stream_state (self);
  g_array_unref (self->gamma);
  g_array_unref (self->beta);
  g_array_unref (self->seed_mean);
  g_array_unref (self->seed_var);
  g_array_unref (self->published_mean);
  g_array_unref (self->published_var);
  g_free (self->stats_file);
  g_free (self->stream_id);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---- properties ---------------------------------------------------- */

/* Copies a GST_TYPE_ARRAY of numbers into @array; FALSE if an entry is not
 * a number. */
static gboolean
array_from_value (GArray * array, const GValue * value)
{
  guint i, n = gst_value_array_get_size (value);

  g_array_set_size (array, 0);
  for (i = 0; i < n; i++) {
    const GValue *v = gst_value_array_get_value (value, i);
    GValue d = G_VALUE_INIT;
    gdouble x;

    g_value_init (&d, G_TYPE_DOUBLE);
    if (!g_value_transform (v, &d)) {
      g_value_unset (&d);
      g_array_set_size (array, 0);
      return FALSE;
    }
    x = g_value_get_double (&d);
    g_array_append_val (array, x);
    g_value_unset (&d);
  }
  return TRUE;
}

static void
array_append_double (GValue * array, gdouble d)
{
  GValue v = G_VALUE_INIT;
  g_value_init (&v, G_TYPE_DOUBLE);
  g_value_set_double (&v, d);
  gst_value_array_append_and_take_value (array, &v);
}

static void
value_from_doubles (GValue * value, const gdouble * values, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    array_append_double (value, values[i]);
}

/* A copy of the published running values (@published: published_mean or
 * published_var) into @value, under the sequence count publish_running()
 * writes them with.  Called with the object lock held. */
static void
read_published (GstR128Norm * self, const GArray * published, GValue * value)
{
  const gdouble *src = (const gdouble *) published->data;
  gdouble *copy = g_new (gdouble, MAX (published->len, 1));
  guint seq, c;

  do {
    seq = __atomic_load_n (&self->published_seq, __ATOMIC_ACQUIRE);
    if (seq & 1) {
      g_thread_yield ();        /* being written: a few ns, unless preempted */
      continue;
    }
    for (c = 0; c < published->len; c++)
      __atomic_load (&src[c], &copy[c], __ATOMIC_RELAXED);
    __atomic_thread_fence (__ATOMIC_ACQUIRE);
  } while ((seq & 1)
      || __atomic_load_n (&self->published_seq, __ATOMIC_RELAXED) != seq);
  value_from_doubles (value, copy, published->len);
  g_free (copy);
}

static void
gst_r128norm_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstR128Norm *self = GST_R128NORM (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_VARIANT:
      self->variant = g_value_get_enum (value);
      break;
    case PROP_GROUPS:
      self->groups = g_value_get_uint (value);
      break;
    case PROP_STATS:
      self->stats = g_value_get_enum (value);
      break;
    case PROP_MOMENTUM:
      self->momentum = g_value_get_double (value);
      break;
    case PROP_TIME_CONSTANT:
      self->time_constant = g_value_get_uint64 (value);
      break;
    case PROP_EPSILON:
      self->epsilon = g_value_get_double (value);
      break;
    case PROP_GAMMA:
      if (!array_from_value (self->gamma, value))
        GST_WARNING_OBJECT (self, "gamma: values must be numbers, ignored");
      break;
    case PROP_BETA:
      if (!array_from_value (self->beta, value))
        GST_WARNING_OBJECT (self, "beta: values must be numbers, ignored");
      break;
    case PROP_STRENGTH:
      self->strength = g_value_get_double (value);
      break;
    case PROP_WARMUP:
      self->warmup = g_value_get_uint64 (value);
      break;
    case PROP_CLIP_SIGMA:
      self->clip_sigma = g_value_get_double (value);
      break;
    case PROP_MIN_SAMPLES:
      self->min_samples = g_value_get_uint (value);
      break;
    case PROP_RUNNING_MEAN:
      self->seed_from_file = FALSE;
      if (array_from_value (self->seed_mean, value))
        self->seed_pending = TRUE;
      else
        GST_WARNING_OBJECT (self, "running-mean: values must be numbers");
      break;
    case PROP_RUNNING_VAR:
      self->seed_from_file = FALSE;
      if (array_from_value (self->seed_var, value))
        self->seed_pending = TRUE;
      else
        GST_WARNING_OBJECT (self, "running-var: values must be numbers");
      break;
    case PROP_STATS_FILE:
      g_free (self->stats_file);
      self->stats_file = g_value_dup_string (value);
      self->stats_file_bad = FALSE;
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    case PROP_INTERVAL:
      self->interval = g_value_get_uint64 (value);
      break;
    case PROP_TENSOR_LAYOUT:
      self->tensor_layout = g_value_get_enum (value);
      break;
    case PROP_N_THREADS:
      self->n_threads = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  self->settings_changed = TRUE;
  g_atomic_int_set (&self->pending, 1);
  GST_OBJECT_UNLOCK (self);
}

static void
gst_r128norm_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstR128Norm *self = GST_R128NORM (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_VARIANT:
      g_value_set_enum (value, self->variant);
      break;
    case PROP_GROUPS:
      g_value_set_uint (value, self->groups);
      break;
    case PROP_STATS:
      g_value_set_enum (value, self->stats);
      break;
    case PROP_MOMENTUM:
      g_value_set_double (value, self->momentum);
      break;
    case PROP_TIME_CONSTANT:
      g_value_set_uint64 (value, self->time_constant);
      break;
    case PROP_EPSILON:
      g_value_set_double (value, self->epsilon);
      break;
    case PROP_GAMMA:
      value_from_doubles (value, (gdouble *) self->gamma->data,
          self->gamma->len);
      break;
    case PROP_BETA:
      value_from_doubles (value, (gdouble *) self->beta->data,
          self->beta->len);
      break;
    case PROP_STRENGTH:
      g_value_set_double (value, self->strength);
      break;
    case PROP_WARMUP:
      g_value_set_uint64 (value, self->warmup);
      break;
    case PROP_CLIP_SIGMA:
      g_value_set_double (value, self->clip_sigma);
      break;
    case PROP_MIN_SAMPLES:
      g_value_set_uint (value, self->min_samples);
      break;
    case PROP_RUNNING_MEAN:
      if (self->published_valid && !self->seed_pending)
        read_published (self, self->published_mean, value);
      else
        value_from_doubles (value, (gdouble *) self->seed_mean->data,
            self->seed_mean->len);
      break;
    case PROP_RUNNING_VAR:
      if (self->published_valid && !self->seed_pending)
        read_published (self, self->published_var, value);
      else
        value_from_doubles (value, (gdouble *) self->seed_var->data,
            self->seed_var->len);
      break;
    case PROP_STATS_FILE:
      g_value_set_string (value, self->stats_file);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    case PROP_INTERVAL:
      g_value_set_uint64 (value, self->interval);
      break;
    case PROP_TENSOR_LAYOUT:
      g_value_set_enum (value, self->tensor_layout);
      break;
    case PROP_N_THREADS:
      g_value_set_uint (value, self->n_threads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_r128norm_reset (GstR128Norm * self)
{
  GST_OBJECT_LOCK (self);
  self->reset_pending = TRUE;
  self->published_valid = FALSE;
  g_atomic_int_set (&self->pending, 1);
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "reset: running statistics forgotten");
}

/* ---- settings snapshot --------------------------------------------- */

/* Checks an array setting against the channel count; on mismatch writes a
 * message naming the setting, the value and what was expected. */
static gboolean
check_array (const gchar * name, GArray * array, guint channels,
    gboolean one_allowed, gchar ** message)
{
  guint i;

  if (array->len != 0 && array->len != channels
      && !(one_allowed && array->len == 1)) {
    *message = g_strdup_printf ("%s has %u values, but the stream has %u "
        "channels: give %s%u values", name, array->len, channels,
        one_allowed ? "1 or " : "", channels);
    return FALSE;
  }
  for (i = 0; i < array->len; i++) {
    if (!isfinite (g_array_index (array, gdouble, i))) {
      *message = g_strdup_printf ("%s value %u is %g: values must be finite",
          name, i, g_array_index (array, gdouble, i));
      return FALSE;
    }
  }
  return TRUE;
}

/* Hands the properties to the library.  Called from the streaming thread
 * (caps and buffers); takes the object lock for the snapshot and posts any
 * refusal after dropping it. */
PER_BUFFER_COLD static gboolean
apply_settings (GstR128Norm * self)
{
  r128norm_config cfg;
  gchar *message = NULL;
  int err;

  if (!self->norm)
    return TRUE;

  GST_OBJECT_LOCK (self);
  self->stream_post_messages = self->post_messages;
  self->stream_interval = self->interval;
  r128norm_config_init (&cfg);
  cfg.variant = (r128norm_variant) self->variant;
  cfg.groups = self->groups;
  cfg.stats = (r128norm_stats_mode) self->stats;
  cfg.momentum = self->momentum;
  cfg.time_constant = self->time_constant / (gdouble) GST_SECOND;
  cfg.epsilon = self->epsilon;
  cfg.strength = self->strength;
  cfg.warmup = self->warmup / (gdouble) GST_SECOND;
  cfg.clip_sigma = self->clip_sigma;
  cfg.min_samples = self->min_samples;
  cfg.diagnostics = self->post_messages;

  if (!check_array ("gamma", self->gamma, self->channels, TRUE, &message)
      || !check_array ("beta", self->beta, self->channels, TRUE, &message))
    goto refused;
  if (self->gamma->len > 0) {
    cfg.gamma = (const double *) self->gamma->data;
    cfg.n_gamma = self->gamma->len;
  } else {
    cfg.gamma = self->default_gamma;
    cfg.n_gamma = self->channels;
    cfg.max_gain = self->default_max_gain;
    cfg.n_max_gain = self->channels;
  }
  if (self->beta->len > 0) {
    cfg.beta = (const double *) self->beta->data;
    cfg.n_beta = self->beta->len;
  } else {
    cfg.beta = self->default_beta;
    cfg.n_beta = self->channels;
  }
  if (cfg.variant == R128NORM_VARIANT_GROUP
      && self->channels % self->groups != 0) {
    message = g_strdup_printf ("groups=%u does not divide the %u channels of "
        "the stream: choose a divisor of %u", self->groups, self->channels,
        self->channels);
    goto refused;
  }
  if (self->seed_pending) {
    if (!check_array ("running-mean", self->seed_mean, self->channels, FALSE,
            &message)
        || !check_array ("running-var", self->seed_var, self->channels, FALSE,
            &message)) {
      if (self->seed_from_file) {
        /* the file is the setting at fault: name it, and never save over
         * it */
        g_free (message);
        message = g_strdup_printf ("stats-file '%s' has statistics for %u "
            "channels, but the stream has %u channels; it will not be "
            "overwritten", self->stats_file, self->seed_mean->len,
            self->channels);
        self->stats_file_bad = TRUE;
      }
      goto refused;
    }
  }

  err = r128norm_set_config (self->norm, &cfg);
  if (err != R128NORM_SUCCESS && err != R128NORM_ERROR_NO_CHANGE) {
    message = g_strdup_printf ("the settings were refused: %s",
        r128norm_strerror (err));
    goto refused;
  }
  if (err == R128NORM_SUCCESS)
    GST_DEBUG_OBJECT (self, "settings applied");

  if (self->seed_pending) {
    guint i;
    for (i = 0; i < self->seed_var->len; i++) {
      if (g_array_index (self->seed_var, gdouble, i) < 0.0) {
        message = g_strdup_printf ("running-var value %u is %g: variances "
            "must be >= 0", i, g_array_index (self->seed_var, gdouble, i));
        goto refused;
      }
    }
    if (self->seed_mean->len > 0 || self->seed_var->len > 0) {
      err = r128norm_set_running (self->norm,
          self->seed_mean->len ? (double *) self->seed_mean->data : NULL,
          self->seed_var->len ? (double *) self->seed_var->data : NULL,
          self->channels);
      if (err != R128NORM_SUCCESS) {
        message = g_strdup_printf ("running-mean/running-var were refused: "
            "%s", r128norm_strerror (err));
        goto refused;
      }
      GST_INFO_OBJECT (self, "running statistics seeded for %u channels",
          self->channels);
    }
    self->seed_pending = FALSE;
  }
  self->settings_changed = FALSE;
  self->settings_error = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;

refused:
  self->settings_changed = FALSE;
  self->settings_error = TRUE;
  GST_OBJECT_UNLOCK (self);
  GST_WARNING_OBJECT (self, "setting refused: %s", message);
  GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("%s", message), (NULL));
  g_free (message);
  return FALSE;
}

/* ---- caps ---------------------------------------------------------- */

static gboolean
format_value_contains (const GValue * value, const gchar * format)
{
  guint i;

  if (value == NULL)
    return TRUE;                /* unfixed: any format */
  if (G_VALUE_HOLDS_STRING (value))
    return g_strcmp0 (g_value_get_string (value), format) == 0;
  if (GST_VALUE_HOLDS_LIST (value)) {
    for (i = 0; i < gst_value_list_get_size (value); i++)
      if (format_value_contains (gst_value_list_get_value (value, i), format))
        return TRUE;
  }
  return FALSE;
}

static const gchar *integer_audio_formats[] = { "S16LE", "S32LE", "U8" };

/* ---- tensors ------------------------------------------------------- */

typedef struct
{
  const gchar *name;
  r128norm_format format;
} TensorType;

static const TensorType tensor_types[] = {
  {"uint8", R128NORM_FORMAT_U8},
  {"int16", R128NORM_FORMAT_S16},
  {"uint16", R128NORM_FORMAT_U16},
  {"float16", R128NORM_FORMAT_F16},
  {"float32", R128NORM_FORMAT_F32},
};

static const gchar *tensor_float_types[] = { "float32", "float16" };
static const gchar *tensor_all_types[] = { "uint8", "int16", "uint16",
  "float16", "float32"
};

/* Video that can leave as a tensor: RGB (alpha and padding dropped) and
 * gray; YUV cannot, its chroma planes have fewer samples than a tensor row. */
static const gchar *tensor_rgb_formats[] = { "RGB", "BGR", "RGBA", "BGRA",
  "ARGB", "ABGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBP", "BGRP"
};
static const gchar *tensor_gray_formats[] = { "GRAY8", "GRAY16_LE" };

static gboolean
tensor_format_from_name (const gchar * name, r128norm_format * format)
{
  guint i;

  for (i = 0; name && i < G_N_ELEMENTS (tensor_types); i++) {
    if (strcmp (name, tensor_types[i].name) == 0) {
      *format = tensor_types[i].format;
      return TRUE;
    }
  }
  return FALSE;
}

/* "3:640:480:1" (innermost first) into @dims; one tensor only. */
static gboolean
parse_tensor_dimensions (const gchar * text, guint64 * dims, guint * rank)
{
  gchar **parts;
  guint n;
  gboolean ok = TRUE;

  if (!text || strchr (text, ','))
    return FALSE;
  parts = g_strsplit (text, ":", -1);
  n = g_strv_length (parts);
  if (n == 0 || n > MAX_TENSOR_RANK)
    ok = FALSE;
  for (guint i = 0; ok && i < n; i++)
    ok = g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 1,
        G_MAXUINT32, &dims[i], NULL);
  g_strfreev (parts);
  *rank = n;
  return ok;
}

/* The "dimensions" of a tensor structure: NNStreamer's text
 * ("3:640:480:1"), or a plain integer, which is what a caps string makes
 * of the dimensions of a rank-1 tensor ("dimensions=960"). */
static gboolean
tensor_dimensions (const GstStructure * s, guint64 * dims, guint * rank)
{
  gint n;

  if (gst_structure_get_int (s, "dimensions", &n)) {
    dims[0] = (guint64) MAX (n, 0);
    *rank = 1;
    return n >= 1;
  }
  return parse_tensor_dimensions (gst_structure_get_string (s,
          "dimensions"), dims, rank);
}

static gchar *
video_tensor_dimensions (guint channels, gint width, gint height,
    GstR128NormTensorLayout layout)
{
  if (layout == GST_R128NORM_TENSOR_LAYOUT_CHW)
    return g_strdup_printf ("%d:%d:%u:1", width, height, channels);
  return g_strdup_printf ("%u:%d:%d:1", channels, width, height);
}

/* Where the channels of a tensor of @dims are.  hwc: the channel is the
 * innermost dimension; chw: the third (or the outermost of a smaller
 * rank), with any outer dimensions (a batch) as rows. */
static gboolean
tensor_layout_geometry (const guint64 * dims, guint rank,
    GstR128NormTensorLayout layout, gsize sample_size, guint * channels,
    gsize * channel_offset, gsize * step, gsize * width, gsize * height,
    gsize * stride)
{
  guint64 inner = 1, outer = 1, c;
  guint axis, i;

  axis = layout == GST_R128NORM_TENSOR_LAYOUT_HWC ? 0 : MIN (2, rank - 1);
  for (i = 0; i < rank; i++) {
    if (i < axis)
      inner *= dims[i];
    else if (i > axis)
      outer *= dims[i];
    if (inner > G_MAXUINT32 || outer > G_MAXUINT32)
      return FALSE;
  }
  c = dims[axis];
  if (c == 0 || c > R128NORM_MAX_CHANNELS || inner * outer * c > G_MAXUINT32)
    return FALSE;
  *channels = c;
  if (layout == GST_R128NORM_TENSOR_LAYOUT_HWC) {
    *channel_offset = sample_size;
    *step = c * sample_size;
    *width = outer;
    *height = 1;
    *stride = 0;
  } else {
    *channel_offset = inner * sample_size;
    *step = sample_size;
    *width = inner;
    *height = outer;
    *stride = c * inner * sample_size;
  }
  return TRUE;
}

static gboolean
tensor_info_from_structure (const GstStructure * s, r128norm_format * format,
    guint64 * dims, guint * rank)
{
  const gchar *format_name = gst_structure_get_string (s, "format");
  gint n_tensors = 1;

  if (format_name && strcmp (format_name, "static") != 0)
    return FALSE;
  if (gst_structure_get_int (s, "num_tensors", &n_tensors) && n_tensors != 1)
    return FALSE;
  return tensor_format_from_name (gst_structure_get_string (s, "types"),
      format)
      && tensor_dimensions (s, dims, rank);
}

static GstR128NormTensorLayout
get_tensor_layout (GstR128Norm * self)
{
  GstR128NormTensorLayout layout;

  GST_OBJECT_LOCK (self);
  layout = self->tensor_layout;
  GST_OBJECT_UNLOCK (self);
  return layout;
}

static void
set_string_list (GstStructure * s, const gchar * field,
    const gchar ** values, guint n)
{
  GValue list = G_VALUE_INIT;
  guint i;

  g_value_init (&list, GST_TYPE_LIST);
  for (i = 0; i < n; i++) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_static_string (&v, values[i]);
    gst_value_list_append_and_take_value (&list, &v);
  }
  gst_structure_take_value (s, field, &list);
}

static gboolean
value_contains_any (const GValue * value, const gchar ** names, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    if (format_value_contains (value, names[i]))
      return TRUE;
  return FALSE;
}

static GstStructure *
new_tensor_structure (const GstStructure * from)
{
  GstStructure *t = gst_structure_new ("other/tensors",
      "format", G_TYPE_STRING, "static", "num_tensors", G_TYPE_INT, 1, NULL);
  const GValue *framerate = gst_structure_get_value (from, "framerate");

  if (framerate)
    gst_structure_set_value (t, "framerate", framerate);
  return t;
}

/* The float tensors a video structure can become. */
static GstCaps *
tensors_from_video (const GstStructure * video, GstR128NormTensorLayout layout)
{
  GstCaps *caps = gst_caps_new_empty ();
  const GValue *format = gst_structure_get_value (video, "format");
  gint width, height;
  gboolean sized = gst_structure_get_int (video, "width", &width)
      && gst_structure_get_int (video, "height", &height);
  guint i;

  for (i = 0; i < 2; i++) {
    guint channels = i == 0 ? 3 : 1;
    const gchar **names = channels == 3 ? tensor_rgb_formats
        : tensor_gray_formats;
    guint n = channels == 3 ? G_N_ELEMENTS (tensor_rgb_formats)
        : G_N_ELEMENTS (tensor_gray_formats);
    GstStructure *t;

    if (!value_contains_any (format, names, n))
      continue;
    t = new_tensor_structure (video);
    set_string_list (t, "types", tensor_float_types,
        G_N_ELEMENTS (tensor_float_types));
    if (sized) {
      gchar *dims = video_tensor_dimensions (channels, width, height, layout);
      gst_structure_set (t, "dimensions", G_TYPE_STRING, dims, NULL);
      g_free (dims);
    }
    caps = gst_caps_merge_structure (caps, t);
  }
  return caps;
}

/* The video a float tensor structure can be made from. */
static GstCaps *
video_from_tensors (const GstStructure * tensors,
    GstR128NormTensorLayout layout)
{
  GstCaps *caps = gst_caps_new_empty ();
  const GValue *types = gst_structure_get_value (tensors, "types");
  guint64 dims[MAX_TENSOR_RANK];
  guint rank = 0, i;
  gboolean sized = tensor_dimensions (tensors, dims, &rank);

  if (!value_contains_any (types, tensor_float_types,
          G_N_ELEMENTS (tensor_float_types)))
    return caps;
  if (sized) {
    guint64 w, h, c;
    if (rank < 3)
      return caps;
    for (i = 3; i < rank; i++)
      if (dims[i] != 1)
        return caps;
    c = layout == GST_R128NORM_TENSOR_LAYOUT_HWC ? dims[0] : dims[2];
    w = layout == GST_R128NORM_TENSOR_LAYOUT_HWC ? dims[1] : dims[0];
    h = layout == GST_R128NORM_TENSOR_LAYOUT_HWC ? dims[2] : dims[1];
    if ((c != 1 && c != 3) || w > G_MAXINT || h > G_MAXINT)
      return caps;
    dims[0] = c;
    dims[1] = w;
    dims[2] = h;
  }
  for (i = 0; i < 2; i++) {
    guint channels = i == 0 ? 3 : 1;
    GstStructure *v;
    const GValue *framerate;

    if (sized && dims[0] != channels)
      continue;
    v = gst_structure_new_empty ("video/x-raw");
    if (channels == 3)
      set_string_list (v, "format", tensor_rgb_formats,
          G_N_ELEMENTS (tensor_rgb_formats));
    else
      set_string_list (v, "format", tensor_gray_formats,
          G_N_ELEMENTS (tensor_gray_formats));
    if (sized)
      gst_structure_set (v, "width", G_TYPE_INT, (gint) dims[1], "height",
          G_TYPE_INT, (gint) dims[2], NULL);
    else
      gst_structure_set (v, "width", GST_TYPE_INT_RANGE, 1, G_MAXINT,
          "height", GST_TYPE_INT_RANGE, 1, G_MAXINT, NULL);
    framerate = gst_structure_get_value (tensors, "framerate");
    if (framerate)
      gst_structure_set_value (v, "framerate", framerate);
    else
      gst_structure_set (v, "framerate", GST_TYPE_FRACTION_RANGE, 0, 1,
          G_MAXINT, 1, NULL);
    caps = gst_caps_merge_structure (caps, v);
  }
  return caps;
}

/* Identity first (in place is preferred), then the conversions: integer
 * audio in may leave as F32LE. */
static GstCaps *
gst_r128norm_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstCaps *result = gst_caps_new_empty ();
  GstCaps *converted = gst_caps_new_empty ();
  guint i, j;

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_caps_get_structure (caps, i);
    GstCapsFeatures *f = gst_caps_get_features (caps, i);
    const GValue *format = gst_structure_get_value (s, "format");

    result = gst_caps_merge_structure_full (result, gst_structure_copy (s),
        f ? gst_caps_features_copy (f) : NULL);
    if (gst_structure_has_name (s, "video/x-raw")) {
      if (direction == GST_PAD_SINK)
        converted = gst_caps_merge (converted, tensors_from_video (s,
                get_tensor_layout (GST_R128NORM (trans))));
      continue;
    }
    if (gst_structure_has_name (s, "other/tensors")) {
      GstStructure *c = gst_structure_copy (s);
      if (direction == GST_PAD_SINK) {
        /* any type may leave as float32 or float16 */
        set_string_list (c, "types", tensor_float_types,
            G_N_ELEMENTS (tensor_float_types));
        converted = gst_caps_merge_structure (converted, c);
      } else if (value_contains_any (gst_structure_get_value (s, "types"),
              tensor_float_types, G_N_ELEMENTS (tensor_float_types))) {
        set_string_list (c, "types", tensor_all_types,
            G_N_ELEMENTS (tensor_all_types));
        converted = gst_caps_merge_structure (converted, c);
        converted = gst_caps_merge (converted, video_from_tensors (s,
                get_tensor_layout (GST_R128NORM (trans))));
      } else {
        gst_structure_free (c);
      }
      continue;
    }
    if (!gst_structure_has_name (s, "audio/x-raw"))
      continue;

    if (direction == GST_PAD_SINK) {
      gboolean has_integer = FALSE;
      for (j = 0; j < G_N_ELEMENTS (integer_audio_formats); j++)
        has_integer |= format_value_contains (format,
            integer_audio_formats[j]);
      if (has_integer) {
        GstStructure *c = gst_structure_copy (s);
        gst_structure_set (c, "format", G_TYPE_STRING, "F32LE", NULL);
        converted = gst_caps_merge_structure_full (converted, c,
            f ? gst_caps_features_copy (f) : NULL);
      }
    } else if (format_value_contains (format, "F32LE")) {
      GstStructure *c = gst_structure_copy (s);
      GValue list = G_VALUE_INIT;
      g_value_init (&list, GST_TYPE_LIST);
      for (j = 0; j < G_N_ELEMENTS (integer_audio_formats); j++) {
        GValue v = G_VALUE_INIT;
        g_value_init (&v, G_TYPE_STRING);
        g_value_set_static_string (&v, integer_audio_formats[j]);
        gst_value_list_append_and_take_value (&list, &v);
      }
      gst_structure_take_value (c, "format", &list);
      converted = gst_caps_merge_structure_full (converted, c,
          f ? gst_caps_features_copy (f) : NULL);
    }
  }
  result = gst_caps_merge (result, converted);

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, result,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (result);
    result = tmp;
  }
  GST_LOG_OBJECT (trans, "transformed %" GST_PTR_FORMAT " to %"
      GST_PTR_FORMAT, caps, result);
  return result;
}

static gboolean
audio_sample_format (GstAudioFormat format, r128norm_format * out)
{
  switch (format) {
    case GST_AUDIO_FORMAT_F32LE:
      *out = R128NORM_FORMAT_F32;
      return TRUE;
    case GST_AUDIO_FORMAT_F64LE:
      *out = R128NORM_FORMAT_F64;
      return TRUE;
    case GST_AUDIO_FORMAT_S16LE:
      *out = R128NORM_FORMAT_S16;
      return TRUE;
    case GST_AUDIO_FORMAT_S32LE:
      *out = R128NORM_FORMAT_S32;
      return TRUE;
    case GST_AUDIO_FORMAT_U8:
      *out = R128NORM_FORMAT_U8_CENTERED;
      return TRUE;
    default:
      return FALSE;
  }
}

/* Like gst_audio_info_from_caps(), but a stream of more than two channels
 * without a channel-mask is taken as unpositioned instead of refused: the
 * statistics do not care where the speakers are. */
static gboolean
audio_info_from_caps (GstAudioInfo * info, const GstCaps * caps)
{
  GstCaps *unpositioned;
  gboolean ok;

  if (gst_audio_info_from_caps (info, caps))
    return TRUE;
  if (gst_structure_has_field (gst_caps_get_structure (caps, 0),
          "channel-mask"))
    return FALSE;
  unpositioned = gst_caps_copy (caps);
  gst_caps_set_simple (unpositioned, "channel-mask", GST_TYPE_BITMASK,
      (guint64) 0, NULL);
  ok = gst_audio_info_from_caps (info, unpositioned);
  gst_caps_unref (unpositioned);
  return ok;
}

static GstFlowReturn process_audio (GstR128Norm * self, GstBuffer * in,
    GstBuffer * out);
static GstFlowReturn process_video (GstR128Norm * self, GstBuffer * in,
    GstBuffer * out);
static GstFlowReturn process_tensor (GstR128Norm * self, GstBuffer * in,
    GstBuffer * out);
static GstFlowReturn process_video_to_tensor (GstR128Norm * self,
    GstBuffer * in, GstBuffer * out);

/* Fills one side of @g from tensor caps; FALSE unless the caps describe one
 * static tensor of a supported type. */
static gboolean
tensor_side_from_caps (const GstStructure * s, GstR128NormTensorLayout layout,
    r128norm_format * format, guint * channels, gsize * size,
    guint64 * dims, guint * rank, gsize * offset, gsize * step,
    gsize * width, gsize * height, gsize * stride)
{
  gsize sample_size;

  if (!tensor_info_from_structure (s, format, dims, rank))
    return FALSE;
  sample_size = r128norm_format_size (*format);
  if (!tensor_layout_geometry (dims, *rank, layout, sample_size, channels,
          offset, step, width, height, stride))
    return FALSE;
  *size = (gsize) * channels * *width * *height * sample_size;
  return TRUE;
}

/* Geometry of other/tensors in and out (same dimensions; the type may widen
 * to float32 or float16). */
static gboolean
tensor_geometry_from_caps (TensorGeometry * g, const GstStructure * in,
    const GstStructure * out, GstR128NormTensorLayout layout)
{
  guint64 in_dims[MAX_TENSOR_RANK], out_dims[MAX_TENSOR_RANK];
  guint in_rank, out_rank, out_channels;

  if (!tensor_side_from_caps (in, layout, &g->in_format, &g->channels,
          &g->in_size, in_dims, &in_rank, &g->in.channel_offset, &g->in.step,
          &g->in.width, &g->in.height, &g->in.stride)
      || !tensor_side_from_caps (out, layout, &g->out_format, &out_channels,
          &g->out_size, out_dims, &out_rank, &g->out.channel_offset,
          &g->out.step, &g->out.width, &g->out.height, &g->out.stride))
    return FALSE;
  if (in_rank != out_rank
      || memcmp (in_dims, out_dims, in_rank * sizeof in_dims[0]) != 0)
    return FALSE;
  if (!gst_structure_get_fraction (in, "framerate", &g->fps_n, &g->fps_d))
    g->fps_n = 0;
  return TRUE;
}

/* Geometry of the tensor that video of @info becomes. */
static gboolean
video_tensor_geometry_from_caps (TensorGeometry * g, const GstVideoInfo * info,
    const GstStructure * out, GstR128NormTensorLayout layout)
{
  guint64 dims[MAX_TENSOR_RANK], expected[MAX_TENSOR_RANK];
  guint rank, expected_rank, channels;
  gchar *text;
  gboolean same;

  if (!tensor_side_from_caps (out, layout, &g->out_format, &channels,
          &g->out_size, dims, &rank, &g->out.channel_offset, &g->out.step,
          &g->out.width, &g->out.height, &g->out.stride))
    return FALSE;
  if (g->out_format != R128NORM_FORMAT_F32
      && g->out_format != R128NORM_FORMAT_F16)
    return FALSE;
  text = video_tensor_dimensions (channels, GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), layout);
  same = parse_tensor_dimensions (text, expected, &expected_rank)
      && expected_rank == rank
      && memcmp (dims, expected, rank * sizeof dims[0]) == 0;
  g_free (text);
  if (!same)
    return FALSE;
  /* described row by row like the frame: row r of a channel starts r
   * tensor rows (width samples, step bytes apart) after its first sample */
  g->out.width = GST_VIDEO_INFO_WIDTH (info);
  g->out.height = GST_VIDEO_INFO_HEIGHT (info);
  g->out.stride = g->out.step * g->out.width;
  g->channels = channels;
  g->fps_n = GST_VIDEO_INFO_FPS_N (info);
  g->fps_d = GST_VIDEO_INFO_FPS_D (info);
  return TRUE;
}

/* Video samples are 16-bit for GRAY16_LE, 8-bit for every other format. */
static r128norm_format
video_sample_format (const GstVideoInfo * info)
{
  return GST_VIDEO_INFO_FORMAT (info) == GST_VIDEO_FORMAT_GRAY16_LE
      ? R128NORM_FORMAT_U16 : R128NORM_FORMAT_U8;
}

/* Statistics channels of a video format: its colour components, never
 * alpha (the last component of formats that have one) nor padding. */
static guint
video_statistics_channels (const GstVideoInfo * info)
{
  guint n = GST_VIDEO_INFO_N_COMPONENTS (info);
  return GST_VIDEO_INFO_HAS_ALPHA (info) ? n - 1 : n;
}

/* Large frames are split into BANDS bands of rows, shared by n-threads
 * threads (the streaming thread and workers started here). */
static void
configure_bands (GstR128Norm * self, gsize samples_per_channel)
{
  guint threads = 1, bands = 1;

  if (samples_per_channel >= BAND_MIN_SAMPLES) {
    bands = BANDS;
    GST_OBJECT_LOCK (self);
    threads = self->n_threads;
    GST_OBJECT_UNLOCK (self);
    if (threads == 0)
      threads = MIN (g_get_num_processors (), MAX_THREADS);
  }
  g_clear_pointer (&self->workers, worker_pool_free);
  if (threads > 1)
    self->workers = worker_pool_new (threads);
  r128norm_set_parallel (self->norm, bands,
      self->workers ? worker_pool_run : NULL, self->workers);
  GST_INFO_OBJECT (self, "%u band%s of rows on %u thread%s", bands,
      bands > 1 ? "s" : "", threads, threads > 1 ? "s" : "");
}

static gboolean
gst_r128norm_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstR128Norm *self = GST_R128NORM (trans);
  GstStructure *s = gst_caps_get_structure (incaps, 0);
  r128norm_format in_format, out_format;
  StreamFamily family;
  guint channels, c;
  gdouble default_gamma, default_beta;
  int err;

  if (gst_structure_has_name (s, "other/tensors")) {
    if (!tensor_geometry_from_caps (&self->tensor, s,
            gst_caps_get_structure (outcaps, 0), get_tensor_layout (self)))
      goto invalid_caps;
    family = FAMILY_TENSOR;
    channels = self->tensor.channels;
    in_format = self->tensor.in_format;
    out_format = self->tensor.out_format;
    default_gamma = 1.0;
    default_beta = 0.0;
  } else if (gst_structure_has_name (gst_caps_get_structure (outcaps, 0),
          "other/tensors")) {
    if (!gst_video_info_from_caps (&self->in_video, incaps)
        || !(GST_VIDEO_FORMAT_INFO_IS_RGB (self->in_video.finfo)
            || GST_VIDEO_FORMAT_INFO_IS_GRAY (self->in_video.finfo)))
      goto invalid_caps;
    if (!video_tensor_geometry_from_caps (&self->tensor, &self->in_video,
            gst_caps_get_structure (outcaps, 0), get_tensor_layout (self))
        || self->tensor.channels != video_statistics_channels (&self->in_video))
      goto invalid_caps;
    family = FAMILY_VIDEO_TO_TENSOR;
    channels = self->tensor.channels;
    in_format = video_sample_format (&self->in_video);
    out_format = self->tensor.out_format;
    self->tensor.in_format = in_format;
    self->tensor.in_size = GST_VIDEO_INFO_SIZE (&self->in_video);
    default_gamma = 1.0;
    default_beta = 0.0;
  } else if (gst_structure_has_name (s, "audio/x-raw")) {
    self->duration_frames = 0;  /* a new rate: no duration known */
    self->frames_duration = 0;
    self->frames_seconds = 0.0;
    if (!audio_info_from_caps (&self->in_audio, incaps)
        || !audio_info_from_caps (&self->out_audio, outcaps))
      goto invalid_caps;
    if (!audio_sample_format (GST_AUDIO_INFO_FORMAT (&self->in_audio),
            &in_format)
        || !audio_sample_format (GST_AUDIO_INFO_FORMAT (&self->out_audio),
            &out_format))
      goto invalid_caps;
    if (GST_AUDIO_INFO_LAYOUT (&self->in_audio) !=
        GST_AUDIO_INFO_LAYOUT (&self->out_audio))
      goto invalid_caps;
    family = FAMILY_AUDIO;
    channels = GST_AUDIO_INFO_CHANNELS (&self->in_audio);
    default_gamma = 0.1;
    default_beta = 0.0;
  } else {
    if (!gst_video_info_from_caps (&self->in_video, incaps)
        || !gst_video_info_from_caps (&self->out_video, outcaps))
      goto invalid_caps;
    if (GST_VIDEO_INFO_FORMAT (&self->in_video) !=
        GST_VIDEO_INFO_FORMAT (&self->out_video))
      goto invalid_caps;
    family = FAMILY_VIDEO;
    channels = video_statistics_channels (&self->in_video);
    in_format = out_format = video_sample_format (&self->in_video);
    default_gamma = 0.2;
    default_beta = 0.5;
  }

  if ((family == FAMILY_TENSOR || family == FAMILY_VIDEO_TO_TENSOR)
      && MAX (self->tensor.in_size, self->tensor.out_size) > MAX_TENSOR_BYTES) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("a tensor of %" G_GSIZE_FORMAT
            " bytes: r128norm takes tensors of at most %" G_GSIZE_FORMAT
            " bytes (2 GiB)", MAX (self->tensor.in_size,
                self->tensor.out_size), MAX_TENSOR_BYTES), (NULL));
    return FALSE;
  }
  if (self->norm && channels != self->channels) {
    if (r128norm_has_running (self->norm))
      GST_WARNING_OBJECT (self, "channel count changed from %u to %u: "
          "running statistics reset", self->channels, channels);
    free_stream_state (self);
  }
  if (!self->norm) {
    self->norm = r128norm_create (channels, &err);
    if (!self->norm) {
      GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("could not create the "
              "normalizer for %u channels: %s", channels,
              r128norm_strerror (err)), (NULL));
      return FALSE;
    }
    self->channels = channels;
    self->in_channels = g_new0 (r128norm_channel, channels);
    self->out_channels = g_new0 (r128norm_channel, channels);
    self->default_gamma = g_new (gdouble, channels);
    self->default_beta = g_new (gdouble, channels);
    self->default_max_gain = g_new (gdouble, channels);
    self->diagnostics = g_new0 (ChannelDiagnostics, channels);
    self->publish_scratch = g_new (gdouble, 2 * (gsize) channels);
    GST_OBJECT_LOCK (self);
    g_array_set_size (self->published_mean, channels);
    g_array_set_size (self->published_var, channels);
    self->published_valid = FALSE;
    self->publish_unlocked = FALSE;
    GST_OBJECT_UNLOCK (self);
  }
  for (c = 0; c < channels; c++) {
    /* allocated with self->norm: never NULL here */
    /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
    self->default_gamma[c] = default_gamma;
    self->default_beta[c] = default_beta;
    /* YUV chroma is recentred on neutral grey, and its spread is at most
     * kept, never inflated: a grey picture must not turn garish */
    self->default_max_gain[c] = c > 0 && family == FAMILY_VIDEO
        && GST_VIDEO_INFO_IS_YUV (&self->in_video) ? 1.0 : 0.0;
  }
  self->family = family;
  switch (family) {
    case FAMILY_AUDIO:
      self->process = process_audio;
      break;
    case FAMILY_VIDEO:
      self->process = process_video;
      break;
    case FAMILY_TENSOR:
      self->process = process_tensor;
      break;
    default:
      self->process = process_video_to_tensor;
      break;
  }

  err = r128norm_set_formats (self->norm, in_format, out_format);
  if (err != R128NORM_SUCCESS)
    goto invalid_caps;
  self->in_place = in_format == out_format;
  gst_base_transform_set_in_place (trans, self->in_place);
  configure_bands (self, family == FAMILY_VIDEO
      || family == FAMILY_VIDEO_TO_TENSOR
      ? (gsize) GST_VIDEO_INFO_WIDTH (&self->in_video)
      * GST_VIDEO_INFO_HEIGHT (&self->in_video)
      : family == FAMILY_TENSOR
      ? self->tensor.in.width * self->tensor.in.height : 0);

  GST_OBJECT_LOCK (self);
  self->settings_changed = TRUE;
  g_atomic_int_set (&self->pending, 1);
  GST_OBJECT_UNLOCK (self);
  if (!apply_settings (self))
    return FALSE;

  GST_INFO_OBJECT (self, "negotiated %u statistics channels, %s, "
      "%s kernels: %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, channels,
      in_format == out_format ? "in place" : "converting",
      r128norm_get_kernel_name (self->norm), incaps, outcaps);
  return TRUE;

invalid_caps:
  GST_ERROR_OBJECT (self, "unsupported caps %" GST_PTR_FORMAT " -> %"
      GST_PTR_FORMAT, incaps, outcaps);
  return FALSE;
}

static gboolean
gst_r128norm_get_unit_size (GstBaseTransform * trans, GstCaps * caps,
    gsize * size)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);

  if (gst_structure_has_name (s, "other/tensors")) {
    r128norm_format format;
    guint64 dims[MAX_TENSOR_RANK];
    guint rank, i;
    if (!tensor_info_from_structure (s, &format, dims, &rank))
      return FALSE;
    *size = r128norm_format_size (format);
    for (i = 0; i < rank; i++)
      *size *= dims[i];
    return TRUE;
  } else if (gst_structure_has_name (s, "audio/x-raw")) {
    GstAudioInfo info;
    if (!audio_info_from_caps (&info, caps))
      return FALSE;
    *size = GST_AUDIO_INFO_BPF (&info);
    return TRUE;
  } else {
    GstVideoInfo info;
    if (!gst_video_info_from_caps (&info, caps))
      return FALSE;
    *size = GST_VIDEO_INFO_SIZE (&info);
    return TRUE;
  }
}

static gboolean
gst_r128norm_transform_size (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, gsize size,
    GstCaps * othercaps, gsize * othersize)
{
  gsize unit, other_unit;

  if (!gst_r128norm_get_unit_size (trans, caps, &unit)
      || !gst_r128norm_get_unit_size (trans, othercaps, &other_unit)
      || unit == 0)
    return FALSE;
  /* an audio buffer holds any number of frames; a video frame or a tensor
   * is one unit whatever its size (a GstVideoMeta may give it larger
   * strides or gaps between planes) */
  if (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "audio/x-raw"))
    *othersize = size / unit * other_unit;
  else
    *othersize = other_unit;
  return TRUE;
}

static gboolean
gst_r128norm_propose_allocation (GstBaseTransform * trans,
    GstQuery * decide_query, GstQuery * query)
{
  if (!GST_BASE_TRANSFORM_CLASS (parent_class)->propose_allocation (trans,
          decide_query, query))
    return FALSE;
  /* strided and offset planes are read through GstVideoMeta */
  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  gst_query_add_allocation_meta (query, GST_AUDIO_META_API_TYPE, NULL);
  return TRUE;
}

/* ---- stats file ---------------------------------------------------- */

/* Reads @path into the seed arrays.  A missing file is not an error (the
 * statistics will be learned and saved); anything else that is wrong is. */
static gboolean
load_stats_file (GstR128Norm * self, const gchar * path)
{
  GKeyFile *kf = g_key_file_new ();
  GError *error = NULL;
  gdouble *mean = NULL, *var = NULL;
  gsize n_mean = 0, n_var = 0, i;
  gint version, channels;
  gchar *problem = NULL;

  /* opening a FIFO for reading blocks until a writer comes: the pipeline
   * would hang in READY->PAUSED for ever (GKeyFile refuses non-regular
   * files only after opening them) */
  if (g_file_test (path, G_FILE_TEST_EXISTS)
      && !g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    problem = g_strdup ("is not a regular file");
    goto bad;
  }
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error)) {
    if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      GST_INFO_OBJECT (self, "stats-file '%s' does not exist yet: it will be "
          "written at EOS", path);
      g_error_free (error);
      g_key_file_unref (kf);
      return TRUE;
    }
    problem = g_strdup_printf ("cannot be read: %s", error->message);
    goto bad;
  }
  version = g_key_file_get_integer (kf, STATS_FILE_GROUP, "version", &error);
  if (error || version != STATS_FILE_VERSION) {
    gchar *found = g_key_file_get_value (kf, STATS_FILE_GROUP, "version",
        NULL);
    problem = g_strdup_printf ("has version %s, expected %d",
        found ? found : "(missing)", STATS_FILE_VERSION);
    g_free (found);
    goto bad;
  }
  channels = g_key_file_get_integer (kf, STATS_FILE_GROUP, "channels",
      &error);
  if (error || channels < 1 || channels > R128NORM_MAX_CHANNELS) {
    problem = g_strdup_printf ("has no valid 'channels' (expected 1..%d)",
        R128NORM_MAX_CHANNELS);
    goto bad;
  }
  mean = g_key_file_get_double_list (kf, STATS_FILE_GROUP, "mean", &n_mean,
      &error);
  if (!error)
    var = g_key_file_get_double_list (kf, STATS_FILE_GROUP, "var", &n_var,
        &error);
  if (error) {
    problem = g_strdup_printf ("has no valid mean/var lists: %s",
        error->message);
    goto bad;
  }
  if (n_mean != (gsize) channels || n_var != (gsize) channels) {
    problem = g_strdup_printf ("has %" G_GSIZE_FORMAT " means and %"
        G_GSIZE_FORMAT " variances, expected %d of each (channels=%d)",
        n_mean, n_var, channels, channels);
    goto bad;
  }
  for (i = 0; i < n_mean; i++) {
    if (!isfinite (mean[i]) || !isfinite (var[i]) || var[i] < 0.0
        || fabs (mean[i]) > 1e300 || var[i] > 1e300) {
      problem = g_strdup_printf ("has an invalid value for channel %"
          G_GSIZE_FORMAT " (mean %g, var %g): values must be finite and "
          "variances >= 0", i, mean[i], var[i]);
      goto bad;
    }
  }

  GST_OBJECT_LOCK (self);
  g_array_set_size (self->seed_mean, 0);
  g_array_append_vals (self->seed_mean, mean, n_mean);
  g_array_set_size (self->seed_var, 0);
  g_array_append_vals (self->seed_var, var, n_var);
  self->seed_pending = TRUE;
  self->seed_from_file = TRUE;
  self->settings_changed = TRUE;
  g_atomic_int_set (&self->pending, 1);
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "loaded running statistics for %d channels from "
      "'%s'", channels, path);
  g_free (mean);
  g_free (var);
  g_key_file_unref (kf);
  return TRUE;

bad:
  self->stats_file_bad = TRUE;
  /* GKeyFile quotes the offending line: keep a garbage file's 8 MiB line
   * out of the message */
  {
    gchar *valid = g_utf8_make_valid (problem, -1);
    g_free (problem);
    problem = valid;
    if (g_utf8_strlen (problem, -1) > 300) {
      gchar *cut = g_utf8_substring (problem, 0, 300);
      g_free (problem);
      problem = g_strconcat (cut, "...", NULL);
      g_free (cut);
    }
  }
  GST_ELEMENT_ERROR (self, RESOURCE, READ, ("stats-file '%s' %s; it will "
          "not be overwritten", path, problem), (NULL));
  g_clear_error (&error);
  g_free (problem);
  g_free (mean);
  g_free (var);
  g_key_file_unref (kf);
  return FALSE;
}

/* Saves go through a temporary file next to the stats-file, named
 * "<stats-file>.r128norm-save-XXXXXX", synced and renamed over it.
 * GLib's g_file_set_contents_full() does the same with "<file>.XXXXXX",
 * a pattern that a user's own "cam.stats.backup" matches, so the files
 * that killed saves left behind could not be told from the user's; with
 * a name of our own, the next start removes them.  Only those older than
 * a minute: a save takes milliseconds, and another pipeline saving the
 * same file may be in the middle of one. */
#define SAVE_TEMP_TAG ".r128norm-save-"
#define SAVE_TEMP_PATTERN SAVE_TEMP_TAG "XXXXXX"
#define STALE_SAVE_SECONDS 60

static void
remove_stale_saves (GstR128Norm * self, const gchar * path)
{
  gchar *dir = g_path_get_dirname (path), *base = g_path_get_basename (path);
  gchar *prefix = g_strconcat (base, SAVE_TEMP_TAG, NULL);
  const gsize length = strlen (prefix) + strlen ("XXXXXX");
  const gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    GStatBuf sb;
    gchar *p;

    if (!g_str_has_prefix (name, prefix) || strlen (name) != length)
      continue;
    p = g_build_filename (dir, name, NULL);
    if (g_lstat (p, &sb) == 0 && S_ISREG (sb.st_mode)
        && now - (gint64) sb.st_mtime > STALE_SAVE_SECONDS
        && g_unlink (p) == 0)
      GST_INFO_OBJECT (self, "removed '%s', left by a save that did not "
          "finish", p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_free (prefix);
  g_free (base);
  g_free (dir);
}

/* @data to @path as a new file: written to a temporary file, synced,
 * renamed over @path, and the directory synced, so that @path is at every
 * moment the old or the new version, and the new one once this returns. */
static gboolean
replace_file (const gchar * path, const gchar * data, gsize length,
    GError ** error)
{
  gchar *tmp = g_strconcat (path, SAVE_TEMP_PATTERN, NULL);
  gchar *dir;
  gint fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644), saved;
  gboolean created = fd >= 0;

  if (!created)
    goto failed;
  while (length > 0) {
    gssize n = write (fd, data, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      goto failed;
    }
    data += n;
    length -= (gsize) n;
  }
  if (g_fsync (fd) != 0)
    goto failed;
  saved = close (fd);
  fd = -1;
  if (saved != 0 || g_rename (tmp, path) != 0)
    goto failed;
  g_free (tmp);
  /* the rename itself is durable once the directory is synced */
  dir = g_path_get_dirname (path);
  fd = g_open (dir, O_RDONLY | O_CLOEXEC, 0);
  if (fd >= 0) {
    g_fsync (fd);
    close (fd);
  }
  g_free (dir);
  return TRUE;

failed:
  saved = errno;
  if (fd >= 0)
    close (fd);
  if (created)
    g_unlink (tmp);
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
      "%s", g_strerror (saved));
  g_free (tmp);
  return FALSE;
}

/* Writes the running statistics to @path through a synced temporary file
 * and a rename, so the file is always the old or the new version. */
static void
save_stats_file (GstR128Norm * self, const gchar * path)
{
  GKeyFile *kf;
  gdouble *mean, *var;
  gchar *data;
  gsize length;
  GError *error = NULL;

  if (self->stats_file_bad) {
    GST_WARNING_OBJECT (self, "not saving over the unusable stats-file '%s'",
        path);
    return;
  }
  if (!self->norm || !r128norm_has_running (self->norm)) {
    GST_DEBUG_OBJECT (self, "no running statistics to save");
    return;
  }
  mean = g_new (gdouble, self->channels);
  var = g_new (gdouble, self->channels);
  r128norm_get_running (self->norm, mean, var, self->channels);

  kf = g_key_file_new ();
  g_key_file_set_comment (kf, NULL, NULL, " r128norm running statistics, "
      "normalized units, biased variance", NULL);
  g_key_file_set_integer (kf, STATS_FILE_GROUP, "version",
      STATS_FILE_VERSION);
  g_key_file_set_integer (kf, STATS_FILE_GROUP, "channels", self->channels);
  g_key_file_set_double_list (kf, STATS_FILE_GROUP, "mean", mean,
      self->channels);
  g_key_file_set_double_list (kf, STATS_FILE_GROUP, "var", var,
      self->channels);
  data = g_key_file_to_data (kf, &length, NULL);
  if (!replace_file (path, data, length, &error)) {
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("could not save stats-file "
            "'%s': %s", path, error->message), (NULL));
    g_error_free (error);
  } else {
    GST_INFO_OBJECT (self, "saved running statistics to '%s'", path);
  }
  g_free (data);
  g_key_file_unref (kf);
  g_free (mean);
  g_free (var);
}

static gchar *
dup_stats_file (GstR128Norm * self)
{
  gchar *path;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->stats_file);
  GST_OBJECT_UNLOCK (self);
  return path;
}

/* ---- state --------------------------------------------------------- */

static gboolean
gst_r128norm_start (GstBaseTransform * trans)
{
  GstR128Norm *self = GST_R128NORM (trans);
  gchar *path = dup_stats_file (self);
  gboolean ok = TRUE;

  self->stats_file_bad = FALSE;
  self->caps_error_posted = FALSE;
  if (path) {
    remove_stale_saves (self, path);
    ok = load_stats_file (self, path);
  }
  g_free (path);
  return ok;
}

static gboolean
gst_r128norm_stop (GstBaseTransform * trans)
{
  GstR128Norm *self = GST_R128NORM (trans);
  gchar *path = dup_stats_file (self);

  if (path)
    save_stats_file (self, path);
  g_free (path);
  free_stream_state (self);
  g_clear_pointer (&self->stream_id, g_free);
  /* the published running values stay readable after the pipeline stopped:
   * they are what the stream taught */
  return TRUE;
}

/* Whether @caps are a tensor with more channels (its dimension along the
 * channel axis of the tensor-layout) than the library holds; if so, says
 * so in an error, which the caps' rejection alone would not. */
static gboolean
tensor_has_too_many_channels (GstR128Norm * self, GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  GstR128NormTensorLayout layout = get_tensor_layout (self);
  r128norm_format format;
  guint64 dims[MAX_TENSOR_RANK];
  guint rank, axis;

  if (!s || !gst_structure_has_name (s, "other/tensors")
      || !tensor_info_from_structure (s, &format, dims, &rank) || rank == 0)
    return FALSE;
  axis = layout == GST_R128NORM_TENSOR_LAYOUT_HWC ? 0 : MIN (2, rank - 1);
  if (dims[axis] <= R128NORM_MAX_CHANNELS)
    return FALSE;
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("r128norm keeps statistics "
          "for at most %u channels; this tensor has %" G_GUINT64_FORMAT
          " along its channel axis (dimension %u of dimensions=, "
          "tensor-layout=%s)", R128NORM_MAX_CHANNELS, dims[axis], axis + 1,
          layout == GST_R128NORM_TENSOR_LAYOUT_HWC ? "hwc" : "chw"),
      ("caps %" GST_PTR_FORMAT, caps));
  return TRUE;
}

static gboolean
gst_r128norm_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstR128Norm *self = GST_R128NORM (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:{
      gchar *path = dup_stats_file (self);
      if (path)
        save_stats_file (self, path);
      g_free (path);
      /* the last, partial interval is reported too */
      if (self->norm && GST_CLOCK_TIME_IS_VALID (self->diag_start))
        post_diagnostics (self);
      break;
    }
    case GST_EVENT_STREAM_START:{
      const gchar *id = NULL;
      gst_event_parse_stream_start (event, &id);
      /* A new stream starts from what the user gave (running-mean/var or the
       * stats-file), not from what the previous stream taught us. */
      if (self->stream_id && g_strcmp0 (id, self->stream_id) != 0
          && self->norm) {
        GST_INFO_OBJECT (self, "new stream '%s': running statistics reset",
            id);
        GST_OBJECT_LOCK (self);
        self->reset_pending = TRUE;
        self->published_valid = FALSE;
        if (self->seed_mean->len || self->seed_var->len)
          self->seed_pending = TRUE;
        g_atomic_int_set (&self->pending, 1);
        GST_OBJECT_UNLOCK (self);
      }
      g_free (self->stream_id);
      self->stream_id = g_strdup (id);
      break;
    }
    case GST_EVENT_CAPS:{
      GstCaps *caps, *peer;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      gst_caps_ref (caps);
      ok = GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
      if (!ok && !self->settings_error && !self->caps_error_posted) {
        self->caps_error_posted = TRUE;
        if (tensor_has_too_many_channels (self, caps)) {
          gst_caps_unref (caps);
          return ok;
        }
        /* say what r128norm can do, not only that it could not */
        peer = gst_pad_peer_query_caps (GST_BASE_TRANSFORM_SRC_PAD (trans),
            NULL);
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("r128norm cannot turn "
                "%" GST_PTR_FORMAT " into anything downstream accepts. It "
                "outputs its input format; F32LE from integer audio; and "
                "other/tensors float32 or float16 (tensor-layout hwc or chw) "
                "from other/tensors and from RGB or gray video (not YUV).",
                caps), ("downstream accepts %" GST_PTR_FORMAT, peer));
        gst_caps_unref (peer);
      }
      gst_caps_unref (caps);
      return ok;
    }
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* ---- per buffer ---------------------------------------------------- */

/* The per-buffer virtual methods cast the element without
 * GST_R128NORM(): the base class calls them on this element only, and the
 * checked cast (a call to get the type, a call to check the instance)
 * costs a few ns of a 10 ms audio buffer each time. */
PER_BUFFER static void
gst_r128norm_before_transform (GstBaseTransform * trans, GstBuffer * buffer)
{
  GstR128Norm *self = (GstR128Norm *) trans;
  GstClockTime timestamp = GST_BUFFER_PTS (buffer);
  gboolean changed, reset, bound = FALSE;
  GList *l;

  /* Nothing to do for most buffers, found without the lock (which costs
   * 16 ns of a 10 ms audio buffer's 300 ns): no flag raised, and no
   * control binding, looked for as gst_object_sync_values() does. */
  if (!g_atomic_int_get (&self->pending)
      && !GST_OBJECT (self)->control_bindings)
    return;

  /* One lock for everything read here.  The control bindings are looked
   * at under it as gst_object_has_active_control_bindings() would (that
   * takes the lock again) */
  GST_OBJECT_LOCK (self);
  g_atomic_int_set (&self->pending, 0);
  /* whatever was pending may have made the published values stale: the
   * next publish looks under the lock */
  self->publish_unlocked = FALSE;
  changed = self->settings_changed || self->seed_pending;
  reset = self->reset_pending;
  self->reset_pending = FALSE;
  for (l = GST_OBJECT (self)->control_bindings; l && !bound; l = l->next)
    bound = !gst_control_binding_is_disabled (l->data);
  GST_OBJECT_UNLOCK (self);

  /* a segment in another format (bytes, or none after a flush) has no
   * stream time; asking for one is a g_critical (found by fuzzing).
   * Without control bindings there is nothing to sync, and
   * gst_object_sync_values() would still freeze and thaw the object's
   * notifications (a global lock) on every buffer. */
  if (bound && GST_CLOCK_TIME_IS_VALID (timestamp)
      && trans->segment.format == GST_FORMAT_TIME) {
    GstClockTime stream_time = gst_segment_to_stream_time (&trans->segment,
        GST_FORMAT_TIME, timestamp);
    if (GST_CLOCK_TIME_IS_VALID (stream_time)) {
      gst_object_sync_values (GST_OBJECT (self), stream_time);
      /* the bound properties changed settings under the lock just now */
      GST_OBJECT_LOCK (self);
      changed = self->settings_changed || self->seed_pending;
      GST_OBJECT_UNLOCK (self);
    }
  }

  if (reset && self->norm) {
    /* the diagnostics interval ends with the statistics it describes: what
     * was gathered is posted now, with the running values before the
     * reset, and the next interval starts here */
    if (self->stream_post_messages
        && GST_CLOCK_TIME_IS_VALID (self->diag_start))
      post_diagnostics (self);
    r128norm_reset (self->norm);
    clear_diagnostics (self);
  }
  if (changed)
    apply_settings (self);
}

/* The running values for readers of running-mean/running-var, once a
 * buffer.  Under a sequence count, without the object lock (which cost 16
 * ns of a 10 ms audio buffer's 260): published_seq is odd while they are
 * written, and a reader (read_published) copies them again if it changed
 * meanwhile.  The lock is taken when something was pending since the last
 * locked publish (a reset, a seed, new settings or caps): those make the
 * published values invalid until the library has them, and are decided
 * under the lock.  A reset or seed that comes in while the values are
 * written without the lock has already marked them invalid (under the
 * lock), and raised "pending", which sends the next publish to the lock. */
static inline void
store_published (GstR128Norm * self, const gdouble * mean,
    const gdouble * var)
{
  gdouble *pm = (gdouble *) self->published_mean->data;
  gdouble *pv = (gdouble *) self->published_var->data;
  const guint seq = self->published_seq;  /* only this thread writes it */
  guint c;

  __atomic_store_n (&self->published_seq, seq + 1, __ATOMIC_RELAXED);
  __atomic_thread_fence (__ATOMIC_RELEASE);
  for (c = 0; c < self->channels; c++) {
    __atomic_store (&pm[c], &mean[c], __ATOMIC_RELAXED);
    __atomic_store (&pv[c], &var[c], __ATOMIC_RELAXED);
  }
  __atomic_store_n (&self->published_seq, seq + 2, __ATOMIC_RELEASE);
}

PER_BUFFER static void
publish_running (GstR128Norm * self)
{
  gdouble *mean = self->publish_scratch, *var = mean + self->channels;

  if (self->publish_unlocked && !g_atomic_int_get (&self->pending)
      && r128norm_get_running (self->norm, mean, var, self->channels)
      == R128NORM_SUCCESS) {
    store_published (self, mean, var);
    return;
  }
  GST_OBJECT_LOCK (self);
  if (!self->seed_pending && !self->reset_pending) {
    self->published_valid = r128norm_get_running (self->norm, mean, var,
        self->channels) == R128NORM_SUCCESS;
    if (self->published_valid)
      store_published (self, mean, var);
  }
  self->publish_unlocked = self->published_valid && !self->seed_pending
      && !self->reset_pending;
  GST_OBJECT_UNLOCK (self);
}

static void
combine (guint64 na, gdouble * mean_a, gdouble * m2_a, guint64 nb,
    gdouble mean_b, gdouble m2_b)
{
  gdouble delta = mean_b - *mean_a;
  gdouble n = (gdouble) (na + nb);

  if (nb == 0)
    return;
  *mean_a += delta * (nb / n);
  *m2_a += m2_b + delta * delta * ((gdouble) na * nb / n);
}

static GValue *
array_value_init (GValue * v)
{
  g_value_init (v, GST_TYPE_ARRAY);
  return v;
}

PER_BUFFER_COLD static void
post_diagnostics (GstR128Norm * self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstStructure *s;
  GValue mean = G_VALUE_INIT, stddev = G_VALUE_INIT;
  GValue run_mean = G_VALUE_INIT, run_stddev = G_VALUE_INIT;
  GValue out_mean = G_VALUE_INIT, out_stddev = G_VALUE_INIT;
  GValue histogram = G_VALUE_INIT;
  /* publish_running()'s scratch, on this same streaming thread: not the
   * stack, which a tensor of 16384 channels would take 256 KB of */
  gdouble *rm = self->publish_scratch, *rv = rm + self->channels;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  guint c, b;

  r128norm_get_running (self->norm, rm, rv, self->channels);
  array_value_init (&mean);
  array_value_init (&stddev);
  array_value_init (&run_mean);
  array_value_init (&run_stddev);
  array_value_init (&out_mean);
  array_value_init (&out_stddev);
  array_value_init (&histogram);
  for (c = 0; c < self->channels; c++) {
    const ChannelDiagnostics *d = &self->diagnostics[c];
    GValue bins = G_VALUE_INIT;
    gdouble n = d->n ? (gdouble) d->n : 1.0;

    array_append_double (&mean, d->mean);
    array_append_double (&stddev, sqrt (d->m2 / n));
    array_append_double (&run_mean, rm[c]);
    array_append_double (&run_stddev, sqrt (rv[c]));
    array_append_double (&out_mean, d->out_mean);
    array_append_double (&out_stddev, sqrt (d->out_m2 / n));
    array_value_init (&bins);
    for (b = 0; b < R128NORM_HISTOGRAM_BINS; b++) {
      GValue v = G_VALUE_INIT;
      g_value_init (&v, G_TYPE_UINT64);
      g_value_set_uint64 (&v, d->histogram[b]);
      gst_value_array_append_and_take_value (&bins, &v);
    }
    gst_value_array_append_and_take_value (&histogram, &bins);
  }

  /* stream and running time exist in a TIME segment only */
  if (trans->segment.format == GST_FORMAT_TIME) {
    stream_time = gst_segment_to_stream_time (&trans->segment,
        GST_FORMAT_TIME, self->diag_start);
    running_time = gst_segment_to_running_time (&trans->segment,
        GST_FORMAT_TIME, self->diag_start);
  }
  s = gst_structure_new ("r128norm",
      "timestamp", G_TYPE_UINT64, self->diag_start,
      "stream-time", G_TYPE_UINT64, stream_time,
      "running-time", G_TYPE_UINT64, running_time,
      "duration", G_TYPE_UINT64, self->diag_duration, NULL);
  gst_structure_take_value (s, "mean", &mean);
  gst_structure_take_value (s, "stddev", &stddev);
  gst_structure_take_value (s, "running-mean", &run_mean);
  gst_structure_take_value (s, "running-stddev", &run_stddev);
  gst_structure_take_value (s, "out-mean", &out_mean);
  gst_structure_take_value (s, "out-stddev", &out_stddev);
  gst_structure_take_value (s, "histogram", &histogram);
  gst_structure_set (s, "non-finite", G_TYPE_UINT64, self->diag_non_finite,
      "saturated", G_TYPE_UINT64, self->diag_saturated, NULL);

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));

  clear_diagnostics (self);
}

/* Folds the library's report for the buffer just processed into the
 * interval, and posts a message when the interval is complete. */
static void
gather_diagnostics (GstR128Norm * self, GstBuffer * buffer,
    GstClockTime duration, guint64 interval)
{
  guint c, b;

  if (!GST_CLOCK_TIME_IS_VALID (self->diag_start))
    self->diag_start = GST_BUFFER_PTS (buffer);
  for (c = 0; c < self->channels; c++) {
    const r128norm_report *r = r128norm_get_report (self->norm, c);
    ChannelDiagnostics *d = &self->diagnostics[c];
    guint64 n = d->n;

    self->diag_non_finite += r->non_finite;
    self->diag_saturated += r->saturated;
    if (r->samples == 0)
      continue;
    combine (n, &d->mean, &d->m2, r->samples, r->mean, r->var * r->samples);
    combine (n, &d->out_mean, &d->out_m2, r->samples, r->out_mean,
        r->out_var * r->samples);
    d->n = n + r->samples;
    for (b = 0; b < R128NORM_HISTOGRAM_BINS; b++)
      d->histogram[b] += r->histogram[b];
  }
  self->diag_duration += duration;
  /* post when the interval ends nearer to the end of this buffer than to
   * the end of the next: frames of 1/30 s (33333333 ns from the framerate)
   * make 100 ms in 3 frames, 1 ns short, not in 4 */
  if (duration == 0 || self->diag_duration + duration / 2 >= interval)
    post_diagnostics (self);
}

/* @seconds is the buffer's duration as the library takes it (momentum
 * from time-constant, the warmup ramp): exact where the stream defines it
 * (frames / rate, the framerate's period), where nanoseconds would round
 * it down; @duration, in nanoseconds, is what the messages report. */
PER_BUFFER static GstFlowReturn
run_library (GstR128Norm * self, GstBuffer * buffer, gboolean in_place,
    GstClockTime duration, gdouble seconds)
{
  int err;

  /* the interval gathered so far, short of its end by less than this
   * buffer would carry it past: posted first (a long buffer after short
   * ones), with the running values as they were after it */
  if (self->stream_post_messages && self->diag_duration > 0
      && self->diag_duration < self->stream_interval) {
    const GstClockTime short_by = self->stream_interval - self->diag_duration;
    if (duration > short_by && short_by < duration - short_by)
      post_diagnostics (self);
  }
  err = r128norm_process (self->norm, self->in_channels,
      in_place ? NULL : self->out_channels, seconds);
  if (err != R128NORM_SUCCESS) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("normalization failed: %s",
            r128norm_strerror (err)), (NULL));
    return GST_FLOW_ERROR;
  }
  publish_running (self);
  if (self->stream_post_messages)
    gather_diagnostics (self, buffer, duration, self->stream_interval);
  return GST_FLOW_OK;
}

/* Maps an input buffer: for reading, or for reading and writing in place.
 * In place, a buffer of one memory maps that memory directly, which the
 * in-place transform has made writable: gst_buffer_map() would take and
 * drop a reference to it and check the buffer again (13 ns of a 10 ms
 * audio buffer).  Memory that cannot be written as it is (shared with
 * another buffer, read-only) fails that map and goes, like a buffer of
 * several memories, through gst_buffer_map(), which copies what it must.
 * *mem is what unmap_input() needs. */
PER_BUFFER static gboolean
map_input (GstBuffer * buffer, gboolean in_place, GstMapInfo * map,
    GstMemory ** mem)
{
  *mem = NULL;
  if (in_place && gst_buffer_n_memory (buffer) == 1) {
    GstMemory *only = gst_buffer_peek_memory (buffer, 0);
    if (gst_memory_map (only, map, GST_MAP_READWRITE)) {
      *mem = only;
      return TRUE;
    }
  }
  return gst_buffer_map (buffer, map, in_place ? GST_MAP_READWRITE
      : GST_MAP_READ);
}

PER_BUFFER static void
unmap_input (GstBuffer * buffer, GstMapInfo * map, GstMemory * mem)
{
  if (mem)
    gst_memory_unmap (mem, map);
  else
    gst_buffer_unmap (buffer, map);
}

/* Where each channel of an audio buffer is.  Non-interleaved planes are
 * found through the buffer's GstAudioMeta (tightly packed without one).
 * Done by hand rather than with gst_audio_buffer_map(), which allocates its
 * plane array for more than 8 channels on every buffer. */
PER_BUFFER static gboolean
describe_audio (GstBuffer * buffer, guint8 * data, gsize size,
    const GstAudioInfo * info, r128norm_channel * ch, gsize * frames)
{
  gsize bps = GST_AUDIO_INFO_BPS (info), bpf = GST_AUDIO_INFO_BPF (info);
  guint c, channels = GST_AUDIO_INFO_CHANNELS (info);

  if (bpf == 0)
    return FALSE;
  if (data == NULL) {
    /* an empty buffer maps to NULL: no frames, and no arithmetic on NULL
     * (UB, found by fuzzing); a meta that claims samples is still wrong */
    GstAudioMeta *meta = gst_buffer_get_audio_meta (buffer);
    memset (ch, 0, channels * sizeof *ch);
    *frames = 0;
    return GST_AUDIO_INFO_LAYOUT (info) == GST_AUDIO_LAYOUT_INTERLEAVED
        || meta == NULL || meta->samples == 0;
  }
  if (GST_AUDIO_INFO_LAYOUT (info) == GST_AUDIO_LAYOUT_INTERLEAVED) {
    *frames = size / bpf;
    for (c = 0; c < channels; c++) {
      ch[c].data = data + c * bps;
      ch[c].step = bpf;
      ch[c].stride = 0;
      ch[c].width = *frames;
      ch[c].height = 1;
    }
  } else {
    GstAudioMeta *meta = gst_buffer_get_audio_meta (buffer);
    *frames = meta ? meta->samples : size / bpf;
    for (c = 0; c < channels; c++) {
      gsize offset = meta ? meta->offsets[c] : c * *frames * bps;
      if (offset > size || *frames * bps > size - offset)
        return FALSE;
      ch[c].data = data + offset;
      ch[c].step = bps;
      ch[c].stride = 0;
      ch[c].width = *frames;
      ch[c].height = 1;
    }
  }
  return TRUE;
}

PER_BUFFER static GstFlowReturn
process_audio (GstR128Norm * self, GstBuffer * in, GstBuffer * out)
{
  GstMapInfo im, om;
  GstMemory *imem;
  gboolean in_place = in == out;
  gsize frames, out_frames;
  GstFlowReturn ret;

  if (!map_input (in, in_place, &im, &imem))
    goto map_failed;
  if (!describe_audio (in, im.data, im.size, &self->in_audio,
          self->in_channels, &frames)) {
    unmap_input (in, &im, imem);
    goto map_failed;
  }
  if (!in_place) {
    /* a non-interleaved buffer needs its GstAudioMeta downstream; marked
     * pooled, it stays on the buffer when the pool recycles it */
    if (GST_AUDIO_INFO_LAYOUT (&self->out_audio) ==
        GST_AUDIO_LAYOUT_NON_INTERLEAVED) {
      GstAudioMeta *meta = gst_buffer_get_audio_meta (out);
      if (meta && meta->samples != frames) {
        gst_buffer_remove_meta (out, (GstMeta *) meta);
        meta = NULL;
      }
      if (!meta) {
        meta = gst_buffer_add_audio_meta (out, &self->out_audio, frames, NULL);
        if (meta)
          GST_META_FLAG_SET (meta, GST_META_FLAG_POOLED);
      }
    }
    if (!gst_buffer_map (out, &om, GST_MAP_WRITE)) {
      unmap_input (in, &im, imem);
      goto map_failed;
    }
    if (!describe_audio (out, om.data, om.size, &self->out_audio,
            self->out_channels, &out_frames) || out_frames != frames) {
      gst_buffer_unmap (out, &om);
      unmap_input (in, &im, imem);
      goto map_failed;
    }
  }

  /* buffers of a stream have the same length: the division once */
  if (frames != self->duration_frames) {
    self->duration_frames = frames;
    self->frames_duration = gst_util_uint64_scale_int (frames, GST_SECOND,
        GST_AUDIO_INFO_RATE (&self->in_audio));
    self->frames_seconds = frames
        / (gdouble) GST_AUDIO_INFO_RATE (&self->in_audio);
  }
  ret = run_library (self, in, in_place, self->frames_duration,
      self->frames_seconds);
  if (!in_place)
    gst_buffer_unmap (out, &om);
  unmap_input (in, &im, imem);
  return ret;

map_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("could not map an audio buffer "
          "of %" G_GSIZE_FORMAT " bytes", gst_buffer_get_size (in)), (NULL));
  return GST_FLOW_ERROR;
}

static void
describe_video (const GstVideoFrame * frame, r128norm_channel * ch,
    guint channels)
{
  guint c;

  for (c = 0; c < channels; c++) {
    ch[c].data = GST_VIDEO_FRAME_COMP_DATA (frame, c);
    ch[c].step = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, c);
    ch[c].stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, c);
    ch[c].width = GST_VIDEO_FRAME_COMP_WIDTH (frame, c);
    ch[c].height = GST_VIDEO_FRAME_COMP_HEIGHT (frame, c);
  }
}

/* run_library() for a video frame or a tensor, whose duration is the
 * buffer's, else the framerate's period (0 when neither is known): in
 * nanoseconds for the messages and, exactly, in seconds for the library. */
static GstFlowReturn
run_library_on_frame (GstR128Norm * self, GstBuffer * buffer,
    gboolean in_place, gint fps_n, gint fps_d)
{
  GstClockTime duration = 0;
  gdouble seconds = 0.0;

  if (GST_BUFFER_DURATION_IS_VALID (buffer)) {
    duration = GST_BUFFER_DURATION (buffer);
    seconds = duration / (gdouble) GST_SECOND;
  } else if (fps_n > 0) {
    duration = gst_util_uint64_scale_int (GST_SECOND, fps_d, fps_n);
    seconds = fps_d / (gdouble) fps_n;
  }
  return run_library (self, buffer, in_place, duration, seconds);
}

static GstFlowReturn
process_video (GstR128Norm * self, GstBuffer * in, GstBuffer * out)
{
  GstVideoFrame frame;
  GstFlowReturn ret;

  /* video leaves in its own format, always in place */
  if (in != out || !gst_video_frame_map (&frame, &self->in_video, in,
          GST_MAP_READWRITE)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("could not map a video frame "
            "of %" G_GSIZE_FORMAT " bytes", gst_buffer_get_size (in)),
        (NULL));
    return GST_FLOW_ERROR;
  }
  describe_video (&frame, self->in_channels, self->channels);
  ret = run_library_on_frame (self, in, TRUE,
      GST_VIDEO_INFO_FPS_N (&self->in_video),
      GST_VIDEO_INFO_FPS_D (&self->in_video));
  gst_video_frame_unmap (&frame);
  return ret;
}

static void
describe_tensor (guint8 * base, gsize offset, gsize step, gsize width,
    gsize height, gsize stride, r128norm_channel * ch, guint channels)
{
  guint c;

  for (c = 0; c < channels; c++) {
    ch[c].data = base + c * offset;
    ch[c].step = step;
    ch[c].stride = stride;
    ch[c].width = width;
    ch[c].height = height;
  }
}

static GstFlowReturn
tensor_size_error (GstR128Norm * self, gsize size, gsize expected)
{
  GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("a tensor buffer of %"
          G_GSIZE_FORMAT " bytes, but the caps describe %" G_GSIZE_FORMAT
          " bytes", size, expected), (NULL));
  return GST_FLOW_ERROR;
}

static GstFlowReturn
process_tensor (GstR128Norm * self, GstBuffer * in, GstBuffer * out)
{
  const TensorGeometry *g = &self->tensor;
  gboolean in_place = in == out;
  GstMapInfo im, om;
  GstMemory *imem;
  GstFlowReturn ret;

  if (!map_input (in, in_place, &im, &imem))
    return tensor_size_error (self, 0, g->in_size);
  if (im.size < g->in_size) {
    unmap_input (in, &im, imem);
    return tensor_size_error (self, im.size, g->in_size);
  }
  describe_tensor (im.data, g->in.channel_offset, g->in.step, g->in.width,
      g->in.height, g->in.stride, self->in_channels, self->channels);
  if (!in_place) {
    if (!gst_buffer_map (out, &om, GST_MAP_WRITE)) {
      unmap_input (in, &im, imem);
      return tensor_size_error (self, 0, g->out_size);
    }
    if (om.size < g->out_size) {
      gst_buffer_unmap (out, &om);
      unmap_input (in, &im, imem);
      return tensor_size_error (self, om.size, g->out_size);
    }
    describe_tensor (om.data, g->out.channel_offset, g->out.step,
        g->out.width, g->out.height, g->out.stride, self->out_channels,
        self->channels);
  }
  ret = run_library_on_frame (self, in, in_place, g->fps_n, g->fps_d);
  if (!in_place)
    gst_buffer_unmap (out, &om);
  unmap_input (in, &im, imem);
  return ret;
}

/* Video in, float tensor out, in one pass: the library reads the frame's
 * colour components and writes them, normalized, in the tensor's layout. */
static GstFlowReturn
process_video_to_tensor (GstR128Norm * self, GstBuffer * in, GstBuffer * out)
{
  const TensorGeometry *g = &self->tensor;
  GstVideoFrame frame;
  GstMapInfo om;
  GstFlowReturn ret;

  if (!gst_video_frame_map (&frame, &self->in_video, in, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("could not map a video frame "
            "of %" G_GSIZE_FORMAT " bytes", gst_buffer_get_size (in)),
        (NULL));
    return GST_FLOW_ERROR;
  }
  if (!gst_buffer_map (out, &om, GST_MAP_WRITE)) {
    gst_video_frame_unmap (&frame);
    return tensor_size_error (self, 0, g->out_size);
  }
  if (om.size < g->out_size) {
    gsize size = om.size;
    gst_buffer_unmap (out, &om);
    gst_video_frame_unmap (&frame);
    return tensor_size_error (self, size, g->out_size);
  }
  describe_video (&frame, self->in_channels, self->channels);
  describe_tensor (om.data, g->out.channel_offset, g->out.step,
      g->out.width, g->out.height, g->out.stride, self->out_channels,
      self->channels);
  ret = run_library_on_frame (self, in, FALSE, g->fps_n, g->fps_d);
  gst_buffer_unmap (out, &om);
  gst_video_frame_unmap (&frame);
  return ret;
}

/* Converting (integer audio to F32LE, video or tensors to float tensors)
 * needs a new buffer per input.  When downstream offers no pool, the base
 * class would allocate every one; a pool of our own, sized for the current
 * buffers, recycles them instead, so the steady state allocates nothing. */
static GstFlowReturn
gst_r128norm_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * input, GstBuffer ** outbuf)
{
  GstR128Norm *self = (GstR128Norm *) trans;  /* see before_transform */
  GstBufferPool *downstream;
  GstCaps *incaps, *outcaps;
  GstStructure *config;
  gsize outsize = 0;
  gboolean ok;

  /* in place (the usual case) first: no pool reference to take, and, from
   * the element's own flag, not the base class's getters, each of which
   * takes and drops the object lock (one such pair costs about 16 ns of a
   * 10 ms audio buffer) */
  if (self->in_place || gst_base_transform_is_passthrough (trans))
    return ((GstBaseTransformClass *) parent_class)->prepare_output_buffer
        (trans, input, outbuf);
  downstream = gst_base_transform_get_buffer_pool (trans);
  if (downstream) {
    gst_object_unref (downstream);
    return GST_BASE_TRANSFORM_CLASS (parent_class)->prepare_output_buffer
        (trans, input, outbuf);
  }

  incaps = gst_pad_get_current_caps (GST_BASE_TRANSFORM_SINK_PAD (trans));
  outcaps = gst_pad_get_current_caps (GST_BASE_TRANSFORM_SRC_PAD (trans));
  ok = incaps && outcaps && gst_r128norm_transform_size (trans, GST_PAD_SINK,
      incaps, gst_buffer_get_size (input), outcaps, &outsize) && outsize > 0;
  if (ok && (!self->out_pool || self->out_pool_size != outsize)) {
    free_out_pool (self);
    self->out_pool = gst_buffer_pool_new ();
    config = gst_buffer_pool_get_config (self->out_pool);
    gst_buffer_pool_config_set_params (config, outcaps, outsize, 2, 0);
    ok = gst_buffer_pool_set_config (self->out_pool, config)
        && gst_buffer_pool_set_active (self->out_pool, TRUE);
    self->out_pool_size = outsize;
    GST_DEBUG_OBJECT (self, "own output pool of %" G_GSIZE_FORMAT
        "-byte buffers", outsize);
  }
  gst_clear_caps (&incaps);
  gst_clear_caps (&outcaps);
  if (!ok || gst_buffer_pool_acquire_buffer (self->out_pool, outbuf,
          NULL) != GST_FLOW_OK) {
    free_out_pool (self);
    return GST_BASE_TRANSFORM_CLASS (parent_class)->prepare_output_buffer
        (trans, input, outbuf);
  }
  if (!GST_BASE_TRANSFORM_CLASS (parent_class)->copy_metadata (trans, input,
          *outbuf)) {
    gst_clear_buffer (outbuf);
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

PER_BUFFER static GstFlowReturn
gst_r128norm_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstR128Norm *self = (GstR128Norm *) trans;  /* see before_transform */

  if (self->settings_error)
    return GST_FLOW_ERROR;
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP))
    return GST_FLOW_OK;
  if (!self->norm || !self->process)
    return GST_FLOW_NOT_NEGOTIATED;
  return self->process (self, buf, buf);
}

static GstFlowReturn
gst_r128norm_transform (GstBaseTransform * trans, GstBuffer * inbuf,
    GstBuffer * outbuf)
{
  GstR128Norm *self = (GstR128Norm *) trans;  /* see before_transform */

  if (self->settings_error)
    return GST_FLOW_ERROR;
  if (!self->norm || !self->process)
    return GST_FLOW_NOT_NEGOTIATED;
  if (GST_BUFFER_FLAG_IS_SET (inbuf, GST_BUFFER_FLAG_GAP)) {
    /* a gap stays silence in the output format, and stays a gap */
    GstMapInfo map;
    if (gst_buffer_map (outbuf, &map, GST_MAP_WRITE)) {
      if (map.size > 0)         /* an empty buffer maps to NULL */
        memset (map.data, 0, map.size);
      gst_buffer_unmap (outbuf, &map);
    }
    GST_BUFFER_FLAG_SET (outbuf, GST_BUFFER_FLAG_GAP);
    return GST_FLOW_OK;
  }
  return self->process (self, inbuf, outbuf);
}

/* ---- plugin -------------------------------------------------------- */

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (r128norm, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, r128norm,
    "Normalization of audio, video and tensors with running statistics",
    plugin_init, VERSION, "LGPL", PACKAGE_NAME, PACKAGE_ORIGIN)
