package io.evasan.raid;

import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.raid.rstore.impl.RStoreImpl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Shared helpers: small pools of sparse files, raw PSEG reads, parity/mirror checks. */
final class RaidTestSupport {
    static final long MIB = 1L << 20;

    private RaidTestSupport() {
    }

    static PoolSpec spec(long... sizes) {
        List<DriveSpec> d = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            d.add(DriveSpec.file(String.format("drives/d%02d.img", i), sizes[i]));
        }
        return new PoolSpec(List.of(new GroupSpec("dg0", d)));
    }

    static PoolSpec uniform(int n, long size) {
        long[] s = new long[n];
        Arrays.fill(s, size);
        return spec(s);
    }

    static long seed() {
        String s = System.getProperty("evasan.seed");
        return s != null ? Long.parseLong(s) : System.nanoTime();
    }

    static int steps(int dflt) {
        return Integer.getInteger("evasan.steps", dflt);
    }

    static DriveInfo info(DiskGroup g, int drive) {
        for (DriveInfo d : g.drives()) {
            if (d.index() == drive) {
                return d;
            }
        }
        throw new AssertionError("no drive " + drive);
    }

    /** Reads bytes straight from a member PSEG's file, bypassing the RAID layer. */
    static byte[] raw(DiskGroup g, int drive, int pseg, long off, int len) {
        DriveInfo d = info(g, drive);
        long pos = DriveLabelDescriptor.dataOffset(d.psegCount()) + (long) pseg * DriveLabelDescriptor.PSEG_BYTES + off;
        try (FileChannel ch = FileChannel.open(d.path(), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(len);
            while (b.hasRemaining()) {
                if (ch.read(b, pos + b.position()) < 0) {
                    break;
                }
            }
            return b.array();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static void rawWrite(Path path, long pos, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(data), pos);
        }
    }

    /** RAID5: every row of every member XORs to zero. RAID1: both copies of a pair identical. */
    static void checkRedundancy(DiskGroup g, long rsdId) {
        Rsd r = g.rsd(rsdId);
        if (r.level() == RaidLevel.RAID0) {
            return;
        }
        int n = r.members();
        int chunk = 1 << 20;
        for (long off = 0; off < DriveLabelDescriptor.PSEG_BYTES; off += chunk) {
            byte[][] m = new byte[n][];
            for (int i = 0; i < n; i++) {
                m[i] = raw(g, r.drive(i), r.pseg(i), off, chunk);
            }
            if (r.level() == RaidLevel.RAID1) {
                for (int k = 0; k < n; k += 2) {
                    assertArrayEquals(m[k], m[k + 1], "RAID1 RSD " + rsdId + " pair " + k / 2 + " differs near " + off);
                }
            } else {
                byte[] x = new byte[chunk];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < chunk; j++) {
                        x[j] ^= m[i][j];
                    }
                }
                for (int j = 0; j < chunk; j++) {
                    if (x[j] != 0) {
                        throw new AssertionError("RAID5 RSD " + rsdId + " parity wrong at PSEG byte " + (off + j)
                                + " (row " + (off + j) / RStoreImpl.UNIT + ")");
                    }
                }
            }
        }
    }

    /** Which member(s) hold a virtual byte range: for RAID0/RAID5 the data column's member. */
    static boolean touchesMember(Rsd r, long offset, int len, int member) {
        for (long v = offset; v < offset + len; v = (v / RStoreImpl.UNIT + 1) * RStoreImpl.UNIT) {
            int col = (int) ((v / RStoreImpl.UNIT) & 3);
            int m;
            switch (r.level()) {
                case RAID0 -> m = col;
                case RAID5 -> m = col < r.parityMember() ? col : col + 1;
                default -> throw new IllegalArgumentException();
            }
            if (m == member) {
                return true;
            }
        }
        return false;
    }

    static void readAll(RStore s, byte[] into) {
        ByteBuffer b = ByteBuffer.wrap(into);
        s.read(0, b);
    }

    static void assertSame(byte[] model, RStore s, String what) {
        byte[] got = new byte[(int) RStore.SIZE_BYTES];
        readAll(s, got);
        if (!Arrays.equals(model, got)) {
            int i = Arrays.mismatch(model, got);
            assertEquals(model[i], got[i], what + ": first difference at byte " + i);
        }
    }
}
