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

import java.io.IOException;
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

    static void unzip(Path dir) {
        try (InputStream in = ShareBitUpgradeTest.class.getResourceAsStream(GOLDEN); ZipInputStream z = new ZipInputStream(in)) {
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                Path p = dir.resolve(e.getName());
                Files.createDirectories(p.getParent());
                Files.copy(z, p);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
