package io.evasan.mapping;

import io.evasan.mapping.support.TestPools;
import io.evasan.raid.Pool;
import io.evasan.raid.rstore.RaidLevel;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child JVM of {@link MappingCrashTest}: opens the pool and mapping, then writes and unmaps at
 * random forever, appending {@code BEGIN} before and {@code ACK} after each operation to a journal file, until
 * it is killed with {@code kill -9}. Args: poolDir stateDir seed run journalFile.
 */
public final class CrashChild {
    static final int BLOCK = 64 << 10;
    static final long LUN_BYTES = 48L << 20;
    static final String[] LUNS = {"c0", "c1", "c2"};
    static final RaidLevel[] LEVELS = {RaidLevel.RAID1, RaidLevel.RAID5, RaidLevel.RAID0};

    public static void main(String[] args) throws Exception {
        Path poolDir = Path.of(args[0]);
        Path stateDir = Path.of(args[1]);
        long seed = Long.parseLong(args[2]);
        int run = Integer.parseInt(args[3]);
        Random rnd = new Random(seed);
        Pool pool = TestPools.openOrCreate(poolDir, 2, 96);
        Mapping m = Mappings.open(pool, stateDir, MappingOptions.defaults().withMinCompactBytes(16 << 10));
        for (int i = 0; i < LUNS.length; i++) {
            try {
                m.disk(LUNS[i]);
            } catch (io.evasan.error.StorageException e) {
                m.create(LUNS[i], LUN_BYTES, LEVELS[i], i % 2);
                System.out.println("CREATED " + LUNS[i]);
            }
        }
        // the journal of operations goes to a file with one unbuffered write() per line: it is in
        // the page cache before the next operation starts, so kill -9 cannot lose a line
        java.io.FileOutputStream journal = new java.io.FileOutputStream(args[4], true);
        System.out.println("READY");
        System.out.flush();
        byte[] buf = new byte[BLOCK];
        for (long seq = 0; ; seq++) {
            int lun = rnd.nextInt(LUNS.length);
            LogicalDisk d = m.disk(LUNS[lun]);
            if (rnd.nextInt(20) == 0) {
                int seg = rnd.nextInt((int) (LUN_BYTES >> 20));
                line(journal, "BEGIN UNMAP " + lun + " " + seg);
                d.unmap((long) seg << 20, 1 << 20);
                line(journal, "ACK UNMAP " + lun + " " + seg);
            } else {
                int block = rnd.nextInt((int) (LUN_BYTES / BLOCK));
                long token = ((long) run << 40) | seq;
                fill(buf, token);
                line(journal, "BEGIN WRITE " + lun + " " + block + " " + token);
                d.write((long) block * BLOCK, ByteBuffer.wrap(buf));
                line(journal, "ACK WRITE " + lun + " " + block + " " + token);
            }
        }
    }

    static void line(java.io.FileOutputStream out, String s) throws java.io.IOException {
        out.write((s + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** Deterministic content of a block written with {@code token}. */
    static void fill(byte[] b, long token) {
        long x = token * 0x9E3779B97F4A7C15L + 1;
        for (int k = 0; k < 8; k++) {
            b[k] = (byte) (token >>> (8 * k));
        }
        for (int i = 8; i < b.length; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            for (int k = 0; k < 8; k++) {
                b[i + k] = (byte) (x >>> (8 * k));
            }
        }
    }
}
