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

    /**
     * Writes to RAID1/RAID5 RStores while a drive is failed and a rebuild runs: prints
     * "FILL id" once an RStore holds data(id, 0, 8 MB), then "BEGIN id off len seq" before and
     * "ACK" after each overwrite with data(id * 7919 + seq, off, len).
     */
    static void rebuildMode(Path dir, long seed) throws Exception {
        Random rnd = new Random(seed);
        Pool pool = Pools.create(dir, RaidTestSupport.uniform(12, 64 << 20));
        DiskGroup g = pool.diskGroup(0);
        java.util.List<RStore> stores = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            RStore s = g.allocate(i % 2 == 0 ? RaidLevel.RAID1 : RaidLevel.RAID5);
            s.write(0, ByteBuffer.wrap(data(s.rsdId(), 0, (int) RStore.SIZE_BYTES)));
            stores.add(s);
            System.out.println("FILL " + s.rsdId());
        }
        System.out.flush();
        g.failDrive(g.rsd(stores.get(0).rsdId()).drive(1));
        g.rebuild();
        System.out.println("REBUILD");
        for (long seq = 1; ; seq++) {
            RStore s = stores.get(rnd.nextInt(stores.size()));
            int len = 512 * (1 + rnd.nextInt(512));
            long off = 512L * rnd.nextInt((int) ((RStore.SIZE_BYTES - len) / 512));
            System.out.println("BEGIN " + s.rsdId() + " " + off + " " + len + " " + seq);
            System.out.flush();
            s.write(off, ByteBuffer.wrap(data(s.rsdId() * 7919 + seq, off, len)));
            System.out.println("ACK");
            System.out.flush();
        }
    }

    /** Deterministic contents of an extent, so the parent can verify without the data. */
    static byte[] data(long rsdId, long offset, int len) {
        byte[] d = new byte[len];
        new Random(rsdId * 1_000_003L + offset).nextBytes(d);
        return d;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        if (args.length > 2 && args[2].equals("rebuild")) {
            rebuildMode(dir, seed);
            return;
        }
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
