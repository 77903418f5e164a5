/* GStreamer r128norm element: normalizes audio and video with running
 * statistics, on top of the standalone lib/r128norm library. */
#ifndef __GST_R128NORM_H__
#define __GST_R128NORM_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include <gst/audio/audio.h>
#include <gst/video/video.h>

#include "r128norm.h"

G_BEGIN_DECLS

/**
 * GstR128NormVariant:
 * @GST_R128NORM_VARIANT_PER_CHANNEL: each channel has its own statistic
 * @GST_R128NORM_VARIANT_LAYER: one statistic over all channels
 * @GST_R128NORM_VARIANT_GROUP: one statistic per group of channels
 * @GST_R128NORM_VARIANT_AUTO: per-channel when every channel has at least
 *     min-samples samples in the buffer, else layer
 */
typedef enum {
  GST_R128NORM_VARIANT_PER_CHANNEL = R128NORM_VARIANT_PER_CHANNEL,
  GST_R128NORM_VARIANT_LAYER = R128NORM_VARIANT_LAYER,
  GST_R128NORM_VARIANT_GROUP = R128NORM_VARIANT_GROUP,
  GST_R128NORM_VARIANT_AUTO = R128NORM_VARIANT_AUTO
} GstR128NormVariant;

/**
 * GstR128NormStats:
 * @GST_R128NORM_STATS_FRAME: normalize with the buffer's own statistics
 * @GST_R128NORM_STATS_RUNNING: normalize with the running statistics
 * @GST_R128NORM_STATS_FROZEN: normalize with fixed running statistics
 */
typedef enum {
  GST_R128NORM_STATS_FRAME = R128NORM_STATS_FRAME,
  GST_R128NORM_STATS_RUNNING = R128NORM_STATS_RUNNING,
  GST_R128NORM_STATS_FROZEN = R128NORM_STATS_FROZEN
} GstR128NormStats;

/**
 * GstR128NormTensorLayout:
 * @GST_R128NORM_TENSOR_LAYOUT_HWC: interleaved channels
 * @GST_R128NORM_TENSOR_LAYOUT_CHW: planar channels
 */
typedef enum {
  GST_R128NORM_TENSOR_LAYOUT_HWC,
  GST_R128NORM_TENSOR_LAYOUT_CHW
} GstR128NormTensorLayout;

#define GST_TYPE_R128NORM (gst_r128norm_get_type ())
G_DECLARE_FINAL_TYPE (GstR128Norm, gst_r128norm, GST, R128NORM,
    GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (r128norm);

G_END_DECLS

#endif /* __GST_R128NORM_H__ */
