package io.evasan.raid;

import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child JVM of {@link KillTest}: opens (or creates) a pool, allocates RStores of every level and
 * writes non-overlapping random extents, printing "ALLOC id" and "ACK id offset length" after
 * each call returns. Runs until killed.
 */
public final class KillChild {
    private KillChild() {
    }

    /** Deterministic contents of an extent, so the parent can verify without the data. */
    static byte[] data(long rsdId, long offset, int len) {
        byte[] d = new byte[len];
        new Random(rsdId * 1_000_003L + offset).nextBytes(d);
        return d;
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        Random rnd = new Random(seed);
        Pool pool = Pools.openOrCreate(dir, RaidTestSupport.uniform(10, 64 << 20));
        DiskGroup g = pool.diskGroup(0);
        int n = 0;
        while (true) {
            RStore s = g.allocate(RaidLevel.values()[n++ % 3]);
            System.out.println("ALLOC " + s.rsdId());
            System.out.flush();
            long off = 0;
            while (true) {
                int len = 512 * (1 + rnd.nextInt(rnd.nextBoolean() ? 16 : 1024));
                if (off + len > RStore.SIZE_BYTES) {
                    break;
                }
                s.write(off, ByteBuffer.wrap(data(s.rsdId(), off, len)));
                System.out.println("ACK " + s.rsdId() + " " + off + " " + len);
                System.out.flush();
                off += len + 512L * rnd.nextInt(4);
            }
        }
    }
}
