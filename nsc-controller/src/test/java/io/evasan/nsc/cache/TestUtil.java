package io.evasan.nsc.cache;

import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;

final class TestUtil {
    private TestUtil() {
    }

    /** Polls a condition (state reached by background workers); fails after 20 s. */
    static void awaitTrue(String what, BooleanSupplier cond) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** A buffer of n sectors each starting with the tag (long) and the sector index (long). */
    static ByteBuffer tagged(long tag, int sectors) {
        ByteBuffer b = ByteBuffer.allocate(sectors * 512);
        for (int i = 0; i < sectors; i++) {
            b.putLong(i * 512, tag);
            b.putLong(i * 512 + 8, i);
            for (int j = 16; j < 512; j += 8) {
                b.putLong(i * 512 + j, tag * 31 + j);
            }
        }
        return b;
    }

    /** Tag in the sector at byte offset off of a LUN image. */
    static long tagAt(byte[] lun, long off) {
        return ByteBuffer.wrap(lun).getLong((int) off);
    }
}
