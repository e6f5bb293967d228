package io.evasan.raid.rstore.impl;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The byte arithmetic of RAID parity: XOR of buffer ranges, the parity of a full RAID5 row (four
 * {@link RStoreImpl#UNIT} units), copy and zero-fill, eight bytes at a time.
 *
 * <p><b>Invariant</b>: pure functions over absolute indices: no buffer's position or limit changes, and
 * nothing is allocated (the only scratch is the calling thread's {@code RStoreImpl.SCRATCH}).
 */
final class ParityMath {
    private ParityMath() {
    }

    /** dst[dp..dp+len) ^= src[sp..sp+len), absolute indices, positions untouched. */
    static void xor(ByteBuffer dst, int dp, ByteBuffer src, int sp, int len) {
        if (dst.hasArray()) {
            byte[] d = dst.array();
            int o = dst.arrayOffset() + dp;
            byte[] a;
            int so;
            if (src.hasArray()) {
                a = src.array();
                so = src.arrayOffset() + sp;
                xorArrays(d, o, a, so, len);
            } else {
                byte[] t = RStoreImpl.SCRATCH.get().tmp;
                for (int done = 0; done < len; done += t.length) {
                    int n = Math.min(t.length, len - done);
                    src.get(sp + done, t, 0, n);
                    xorArrays(d, o + done, t, 0, n);
                }
            }
            return;
        }
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            dst.putLong(dp + i, dst.getLong(dp + i) ^ src.getLong(sp + i));
        }
        for (; i < len; i++) {
            dst.put(dp + i, (byte) (dst.get(dp + i) ^ src.get(sp + i)));
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    /** out[0..UNIT) = XOR of the four units in[off..off + 4 RStoreImpl.UNIT): one pass, eight bytes at a time. */
    static void parity4(byte[] out, byte[] in, int off) {
        for (int i = 0; i < RStoreImpl.UNIT; i += 8) {
            int p = off + i;
            LONGS.set(out, i, (long) LONGS.get(in, p) ^ (long) LONGS.get(in, p + RStoreImpl.UNIT)
                    ^ (long) LONGS.get(in, p + 2 * RStoreImpl.UNIT) ^ (long) LONGS.get(in, p + 3 * RStoreImpl.UNIT));
        }
    }

    /** out = XOR of the four quarters of in (units of RStoreImpl.UNIT / 8 longs); a loop the JIT vectorises. */
    static void parity4(long[] out, long[] in) {
        int u = RStoreImpl.UNIT / 8;
        for (int i = 0; i < u; i++) {
            out[i] = in[i] ^ in[i + u] ^ in[i + 2 * u] ^ in[i + 3 * u];
        }
    }

    private static final VarHandle BB_LONGS = MethodHandles.byteBufferViewVarHandle(long[].class,
            ByteOrder.nativeOrder());

    /** As {@link #parity4(byte[], byte[], int)} reading a direct (or read-only) buffer in place. */
    static void parity4(byte[] out, ByteBuffer in, int off) {
        for (int i = 0; i < RStoreImpl.UNIT; i += 8) {
            int p = off + i;
            LONGS.set(out, i, (long) BB_LONGS.get(in, p) ^ (long) BB_LONGS.get(in, p + RStoreImpl.UNIT)
                    ^ (long) BB_LONGS.get(in, p + 2 * RStoreImpl.UNIT) ^ (long) BB_LONGS.get(in, p + 3 * RStoreImpl.UNIT));
        }
    }

    /** XOR eight bytes at a time (the JIT turns the view into plain 64-bit loads and stores). */
    private static void xorArrays(byte[] d, int dp, byte[] s, int sp, int len) {
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            LONGS.set(d, dp + i, (long) LONGS.get(d, dp + i) ^ (long) LONGS.get(s, sp + i));
        }
        for (; i < len; i++) {
            d[dp + i] ^= s[sp + i];
        }
    }

    /** dst[dp..dp+len) = src[sp..sp+len), absolute, no allocation, positions untouched. */
    static void copy(ByteBuffer dst, int dp, ByteBuffer src, int sp, int len) {
        dst.put(dp, src, sp, len);
    }

    static void zero(ByteBuffer dst, int p, int len) {
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            dst.putLong(p + i, 0L);
        }
        for (; i < len; i++) {
            dst.put(p + i, (byte) 0);
        }
    }
}
