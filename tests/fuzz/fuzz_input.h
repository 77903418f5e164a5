/* A tiny reader of fuzz input: every field is taken from the front of the
 * data, and a field past the end reads as zero, so any byte string is a
 * valid input and libFuzzer's mutations stay meaningful. */
#ifndef R128NORM_FUZZ_INPUT_H
#define R128NORM_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct
{
  const uint8_t *data;
  size_t size, pos;
} fuzz_input;

static inline void
fuzz_input_init (fuzz_input * in, const uint8_t * data, size_t size)
{
  in->data = data;
  in->size = size;
  in->pos = 0;
}

static inline int
fuzz_input_empty (const fuzz_input * in)
{
  return in->pos >= in->size;
}

static inline uint8_t
fuzz_u8 (fuzz_input * in)
{
  return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline uint32_t
fuzz_u32 (fuzz_input * in)
{
  uint32_t v = 0;
  int i;

  for (i = 0; i < 4; i++)
    v |= (uint32_t) fuzz_u8 (in) << (8 * i);
  return v;
}

/* 0 .. n - 1 */
static inline unsigned
fuzz_below (fuzz_input * in, unsigned n)
{
  return n ? fuzz_u8 (in) % n : 0;
}

/* A double that is often extreme: one selector byte picks a special value
 * (NaN, infinities, zeros, limits, subnormals), a small ordinary number or
 * eight raw bytes. */
static inline double
fuzz_double (fuzz_input * in)
{
  static const double special[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 1e-5, 0.95, 1e-300, -1e300, 1e300, 1e301,
    1.7976931348623157e308, -1.7976931348623157e308, 4.9e-324,
    3.4028234663852886e38, 65504.0, 65520.0, 2147483648.0, 1e-45,
    __builtin_nan (""), -__builtin_nan (""), __builtin_inf (),
    -__builtin_inf (), 2.0, 255.0, 1e20
  };
  const unsigned n_special = sizeof special / sizeof special[0];
  uint8_t sel = fuzz_u8 (in);
  double d;
  uint64_t bits = 0;
  int i;

  if (sel < 128)
    return special[sel % n_special];
  if (sel < 224)
    return ((int) fuzz_u8 (in) - 128) / 16.0;
  for (i = 0; i < 8; i++)
    bits |= (uint64_t) fuzz_u8 (in) << (8 * i);
  memcpy (&d, &bits, sizeof d);
  return d;
}

#endif /* R128NORM_FUZZ_INPUT_H */
