package io.evasan.sharing;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MappingSegmentMaps;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.evasan.sharing.catalog.CatalogDescriptor;
import io.evasan.sharing.sharebits.ShareEntry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden files: a small tree written over the real mapping by the code before the share bits were
 * exact (S0.Sp set, a snapshot's Sp set on every allocated segment) must open, get its stored bits
 * upgraded to the figures' and read right.
 */
class ShareBitUpgradeTest {
    static final int SEG = 1 << 20;
    static final String GOLDEN = "/golden/sharebits-v1.zip";

    static Pool pool(Path dir) {
        List<DriveSpec> drives = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            drives.add(DriveSpec.file(String.format("drives/d%02d.img", i), 32L << 20));
        }
        return Pools.openOrCreate(dir, new PoolSpec(List.of(new GroupSpec("dg0", drives))));
    }

    static SharingTreesImpl open(Pool pool, Mapping m) {
        return new SharingTreesImpl(MappingIntegrationTest.maps(pool, m),
                SharingConfig.defaults().withBackground(false), SharingStats.standalone());
    }

    static byte[] fill(int v, int len) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) v);
        return b;
    }

    /** The scenario: returns {LD, S0, S1, C} (C an EAGER snapclone with one segment copied). */
    static long[] scenario(SharingTrees st) {
        long ld = st.createLun(4);
        st.write(ld, 0, fill(0xA, 4 * SEG), 0, 4 * SEG);
        long s0 = st.snapshot(ld, AllocationPolicy.ON_DEMAND);
        st.write(ld, 0, fill(0xB, SEG), 0, SEG);                    // Fig. 11: hand-off to S0
        long s1 = st.snapshot(ld, AllocationPolicy.ON_DEMAND);
        st.write(ld, SEG, fill(0xC, 512), 0, 512);                   // partial: copy into S1
        long c = st.snapclone(ld, AllocationPolicy.ON_DEMAND, SnapcloneMode.EAGER);
        st.bgcopyStep(c, 1);
        return new long[] {ld, s0, s1, c};
    }

    /** Writes the golden zip with the code at hand: {@code -Devasan.golden.write=<zip file>}. */
    @Test
    void shouldWriteGoldenTreeWhenAsked(@TempDir Path dir) throws IOException {
        String out = System.getProperty("evasan.golden.write");
        Assumptions.assumeTrue(out != null, "golden files are written only on request");
        long[] ids;
        try (Pool pool = pool(dir.resolve("pool"));
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults());
             SharingTreesImpl st = open(pool, m)) {
            ids = scenario(st);
        }
        Files.writeString(dir.resolve("ids.txt"), Arrays.toString(ids));
        try (OutputStream os = Files.newOutputStream(Path.of(out)); ZipOutputStream z = new ZipOutputStream(os);
             Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                z.putNextEntry(new ZipEntry(dir.relativize(p).toString()));
                Files.copy(p, z);
                z.closeEntry();
            }
        }
    }

    /** Unpacks the golden zip into {@code dir}, leaving zero blocks as holes (the drive files are sparse). */
    static void unzip(Path dir) {
        try (InputStream in = ShareBitUpgradeTest.class.getResourceAsStream(GOLDEN); ZipInputStream z = new ZipInputStream(in)) {
            byte[] buf = new byte[1 << 16];
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                Path p = dir.resolve(e.getName());
                Files.createDirectories(p.getParent());
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    long at = 0;
                    for (int n; (n = z.readNBytes(buf, 0, buf.length)) > 0; at += n) {
                        boolean zero = true;
                        for (int i = 0; i < n && zero; i++) {
                            zero = buf[i] == 0;
                        }
                        if (!zero) {
                            ch.write(ByteBuffer.wrap(buf, 0, n), at);
                        }
                    }
                    if (ch.size() < at) {
                        ch.write(ByteBuffer.allocate(1), at - 1);
                    }
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** "holder Sp Ss" of every segment of every disk, as stored. */
    static List<String> storedBits(MappingSegmentMaps maps, long[] ids) {
        List<String> out = new ArrayList<>();
        for (int d = 0; d < ids.length; d++) {
            for (int s = 0; s < maps.segments(ids[d]); s++) {
                long e = maps.entry(ids[d], s);
                out.add(NAMES[d] + " seg " + s + ": " + (ShareEntry.holder(e) ? "H" : "-") + (ShareEntry.sp(e) ? " Sp" : " --")
                        + (ShareEntry.ss(e) ? " Ss" : " --"));
            }
        }
        return out;
    }

    static final String[] NAMES = {"LD", "S0", "S1", "C"};

    @Test
    void shouldUpgradeShareBitsOfTreeWrittenByOldCodeAtOpen(@TempDir Path dir) {
        // what the current code stores for the same operations
        List<String> want;
        try (Pool pool = pool(dir.resolve("fresh/pool"));
             Mapping m = Mappings.open(pool, dir.resolve("fresh/state"), MappingOptions.defaults());
             SharingTreesImpl st = open(pool, m)) {
            long[] ids = scenario(st);
            want = storedBits(MappingIntegrationTest.maps(pool, m), ids);
        }
        assertTrue(want.contains("S0 seg 1: - -- Ss"), "the oldest disk's Sp is clear: " + want);
        assertTrue(want.contains("S1 seg 0: - -- Ss"), "a snapshot after a Fig. 11 write: Sp clear: " + want);
        Path old = dir.resolve("old");
        unzip(old);
        long[] ids;
        try {
            String t = Files.readString(old.resolve("ids.txt"));
            ids = Arrays.stream(t.substring(1, t.length() - 1).split(", ")).mapToLong(Long::parseLong).toArray();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        try (Pool pool = pool(old.resolve("pool"));
             Mapping m = Mappings.open(pool, old.resolve("state"), MappingOptions.defaults())) {
            MappingSegmentMaps maps = MappingIntegrationTest.maps(pool, m);
            List<String> before = storedBits(maps, ids);
            assertTrue(before.contains("S0 seg 1: - Sp Ss"), "the golden tree has the old bits: " + before);
            assertEquals(1, ByteBuffer.wrap(maps.loadCatalog()).order(ByteOrder.LITTLE_ENDIAN)
                    .getInt(CatalogDescriptor.VERSION_OFFSET));
            try (SharingTreesImpl st = open(pool, m)) {
                assertEquals(want, storedBits(maps, ids));
                assertEquals(CatalogDescriptor.VERSION, ByteBuffer.wrap(maps.loadCatalog()).order(ByteOrder.LITTLE_ENDIAN)
                        .getInt(CatalogDescriptor.VERSION_OFFSET));
                assertEquals(List.of(ids[1], ids[2], ids[3], ids[0]), st.chain(ids[0]));
                byte[] ld = fill(0xA, 4 * SEG);
                Arrays.fill(ld, 0, SEG, (byte) 0xB);
                Arrays.fill(ld, SEG, SEG + 512, (byte) 0xC);
                byte[] s0 = fill(0xA, 4 * SEG);
                byte[] s1 = fill(0xA, 4 * SEG);
                Arrays.fill(s1, 0, SEG, (byte) 0xB);
                assertReads(st, ids[0], ld);
                assertReads(st, ids[1], s0);
                assertReads(st, ids[2], s1);
                assertReads(st, ids[3], ld);
                st.write(ids[0], 2L * SEG, fill(0xD, 512), 0, 512);   // EAGER CFW into C and S1 after the upgrade
                st.bgcopyStep(ids[3], 10);
                assertEquals(DiskKind.LUN, st.kind(ids[3]));
                assertReads(st, ids[3], ld);
                assertReads(st, ids[1], s0);
                assertReads(st, ids[2], s1);
                Arrays.fill(ld, 2 * SEG, 2 * SEG + 512, (byte) 0xD);
                assertReads(st, ids[0], ld);
            }
        }
    }

    static void assertReads(SharingTrees st, long disk, byte[] want) {
        byte[] got = new byte[want.length];
        st.read(disk, 0, got, 0, got.length);
        assertArrayEquals(want, got, "disk " + disk);
    }
}
