# The ORC kernels of the r128norm core library: statistics and apply over
# one contiguous row.  lib/r128norm_kernels_orc.c wraps them into the
# r128norm_kernel_set slots; lib/r128norm_kernels_c.c is the reference they
# are tested against (tests/lib/test_orc_kernels.c).
#
# After editing, regenerate the checked-in fallback with orcc 0.4.33:
#   cd lib && orcc --include stdint.h --implementation -o r128normorc-dist.c r128normorc.orc
#   cd lib && orcc --include stdint.h --header -o r128normorc-dist.h r128normorc.orc
# orcc accepts an unknown opcode silently: the test catches a dropped one.

# ---- statistics ---------------------------------------------------------
# Exact integer sums in 32-bit accumulators.  The caller passes at most
# 32768 samples per call, so every accumulator stays below 2^31.

# u8: sum <= 255 * 32768, sum of squares <= 65025 * 32768.
.function r128norm_orc_stats_u8
.source 1 s1 uint8_t
.accumulator 4 a1 uint32_t
.accumulator 4 a2 uint32_t
.temp 2 w
.temp 2 sq
.temp 4 l
convubw w, s1
mullw sq, w, w
convuwl l, w
accl a1, l
convuwl l, sq
accl a2, l

# s16: x^2 (up to 2^30) is summed as two halves: hi = mulhsw (x, x) <= 2^14
# and lo = mullw (x, x) < 2^16, x^2 = hi * 65536 + lo.  |sum| <= 2^30.
.function r128norm_orc_stats_s16
.source 2 s1 int16_t
.accumulator 4 a1 int32_t
.accumulator 4 a2 uint32_t
.accumulator 4 a3 uint32_t
.temp 2 x
.temp 2 h
.temp 4 l
copyw x, s1
convswl l, x
accl a1, l
mulhsw h, x, x
convuwl l, h
accl a2, l
mullw h, x, x
convuwl l, h
accl a3, l

# u16: as s16, with unsigned high halves (<= 65534).
.function r128norm_orc_stats_u16
.source 2 s1 uint16_t
.accumulator 4 a1 uint32_t
.accumulator 4 a2 uint32_t
.accumulator 4 a3 uint32_t
.temp 2 x
.temp 2 h
.temp 4 l
copyw x, s1
convuwl l, x
accl a1, l
mulhuw h, x, x
convuwl l, h
accl a2, l
mullw h, x, x
convuwl l, h
accl a3, l

# ---- apply ----------------------------------------------------------------
# 8/16-bit integer in, same format out: the C kernel's single precision
# arithmetic step by step, so the results are the same bits:
#   v = clamp ((x - c) * a + b, lo, hi);  y = (int) (v - lo + 0.5) + ilo
# convfl truncates, and v - lo + 0.5 >= 0, so truncation rounds.  y is in
# range, so the saturating packs (one instruction each) just narrow it.
.function r128norm_orc_apply_u8
.dest 1 d1 uint8_t
.source 1 s1 uint8_t
.floatparam 4 c
.floatparam 4 a
.floatparam 4 b
.floatparam 4 lo
.floatparam 4 hi
.param 4 ilo
.temp 2 w
.temp 4 t
convubw w, s1
convuwl t, w
convlf t, t
subf t, t, c
mulf t, t, a
addf t, t, b
maxf t, t, lo
minf t, t, hi
subf t, t, lo
addf t, t, 0.5
convfl t, t
addl t, t, ilo
convssslw w, t
convsuswb d1, w

.function r128norm_orc_apply_s16
.dest 2 d1 int16_t
.source 2 s1 int16_t
.floatparam 4 c
.floatparam 4 a
.floatparam 4 b
.floatparam 4 lo
.floatparam 4 hi
.param 4 ilo
.temp 4 t
convswl t, s1
convlf t, t
subf t, t, c
mulf t, t, a
addf t, t, b
maxf t, t, lo
minf t, t, hi
subf t, t, lo
addf t, t, 0.5
convfl t, t
addl t, t, ilo
convssslw d1, t

.function r128norm_orc_apply_u16
.dest 2 d1 uint16_t
.source 2 s1 uint16_t
.floatparam 4 c
.floatparam 4 a
.floatparam 4 b
.floatparam 4 lo
.floatparam 4 hi
.param 4 ilo
.temp 4 t
convuwl t, s1
convlf t, t
subf t, t, c
mulf t, t, a
addf t, t, b
maxf t, t, lo
minf t, t, hi
subf t, t, lo
addf t, t, 0.5
convfl t, t
addl t, t, ilo
convsuslw d1, t

# 8/16-bit integer in, float out, in single precision as in C.
.function r128norm_orc_apply_u8_f32
.dest 4 d1 float
.source 1 s1 uint8_t
.floatparam 4 c
.floatparam 4 a
.floatparam 4 b
.floatparam 4 lo
.floatparam 4 hi
.temp 2 w
.temp 4 t
convubw w, s1
convuwl t, w
convlf t, t
subf t, t, c
mulf t, t, a
addf t, t, b
maxf t, t, lo
minf d1, t, hi

.function r128norm_orc_apply_s16_f32
.dest 4 d1 float
.source 2 s1 int16_t
.floatparam 4 c
.floatparam 4 a
.floatparam 4 b
.floatparam 4 lo
.floatparam 4 hi
.temp 4 t
convswl t, s1
convlf t, t
subf t, t, c
mulf t, t, a
addf t, t, b
maxf t, t, lo
minf d1, t, hi

.function r128norm_orc_apply_u16_f32
.dest 4 d1 float
.source 2 s1 uint16_t
.floatparam 4 c
.floatparam 4 a
.floatparam 4 b
.floatparam 4 lo
.floatparam 4 hi
.temp 4 t
convuwl t, s1
convlf t, t
subf t, t, c
mulf t, t, a
addf t, t, b
maxf t, t, lo
minf d1, t, hi

# f32 in, f32 out, in double precision as in C: x - c is clamped to
# [dmin, dmax] (+-DBL_MAX) so that it cannot meet a zero scale as an
# infinity; NaN and +-Inf inputs (x - x != 0) become nf.  a1 counts the
# non-finite inputs.  (Not the finite ones: with 8-byte temporaries the SSE
# code fills half a register, and the unused lanes, loaded as 0.0, would
# count as finite.)
.function r128norm_orc_apply_f32
.dest 4 d1 float
.source 4 s1 float
.accumulator 4 a1 uint32_t
.doubleparam 8 c
.doubleparam 8 a
.doubleparam 8 b
.doubleparam 8 lo
.doubleparam 8 hi
.doubleparam 8 dmin
.doubleparam 8 dmax
.floatparam 4 nf
.temp 4 x
.temp 8 t
.temp 4 v
.temp 4 m
.temp 4 z
copyl x, s1
convfd t, x
subd t, t, c
maxd t, t, dmin
mind t, t, dmax
muld t, t, a
addd t, t, b
maxd t, t, lo
mind t, t, hi
convdf v, t
subf z, x, x
cmpeqf m, z, 0.0
andl v, v, m
andnl z, m, nf
orl d1, v, z
andnl m, m, 1
accl a1, m
