/* IEEE 754 binary16 conversions, written out so that every input has one
 * well-defined result: subnormals, infinities, NaN, and round to nearest,
 * ties to even (the rounding numpy and the F16C instructions use). */
#include <math.h>
#include <string.h>

#include "r128norm_kernels.h"

float
r128norm_half_to_float (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  float f;

  if (exponent == 0) {
    /* zero or subnormal: mantissa * 2^-24, exact in float */
    f = (float) mantissa * 5.9604644775390625e-8f;
    return sign ? -f : f;
  }
  if (exponent == 31)
    bits = sign | 0x7f800000u | (mantissa << 13);
  else
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  memcpy (&f, &bits, sizeof f);
  return f;
}

uint16_t
r128norm_double_to_half (double d)
{
  uint16_t sign = signbit (d) ? 0x8000 : 0;
  double a = fabs (d);
  int e;

  if (isnan (d))
    return sign | 0x7e00;
  /* 65520 lies halfway between the largest half (65504) and 2^16; the tie
   * goes to the even neighbour, which is infinity. */
  if (a >= 65520.0)
    return sign | 0x7c00;
  if (a < 6.103515625e-05) {
    /* subnormal range: units of 2^-24; rounding up to 1024 lands exactly on
     * the smallest normal's bit pattern */
    return sign | (uint16_t) nearbyint (a * 16777216.0);
  }
  {
    double m = frexp (a, &e);   /* a = m * 2^e, m in [0.5, 1) */
    double mantissa = nearbyint ((m * 2.0 - 1.0) * 1024.0);
    int exponent = e - 1;
    if (mantissa >= 1024.0) {
      mantissa = 0.0;
      exponent++;
    }
    return sign | (uint16_t) ((exponent + 15) << 10) | (uint16_t) mantissa;
  }
}
