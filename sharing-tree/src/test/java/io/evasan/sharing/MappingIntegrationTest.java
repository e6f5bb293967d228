package io.evasan.sharing;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MappingSegmentMaps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The sharing tree over the real mapping layer and a real RAID pool of small sparse drives. */
class MappingIntegrationTest {
    static final int SEG = 1 << 20;

    static Pool pool(Path dir, int driveMb) {
        List<DriveSpec> drives = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            drives.add(DriveSpec.file(String.format("drives/d%02d.img", i), (long) driveMb << 20));
        }
        return Pools.openOrCreate(dir, new PoolSpec(List.of(new GroupSpec("dg0", drives))));
    }

    static MappingSegmentMaps maps(Pool pool, Mapping m) {
        return new MappingSegmentMaps(m, pool, pool.diskGroups().get(0).id(), RaidLevel.RAID0, "st-");
    }

    @Test
    void shouldMatchModelOverRealMapping(@TempDir Path dir) {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        try (Pool pool = pool(dir.resolve("pool"), 256);
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults())) {
            System.out.println("MappingIntegrationTest seed=" + seed);
            ModelRun run = new ModelRun(seed, maps(pool, m), false, 4);
            run.verifyEvery = 10;   // every disk's bytes and every stored share bit (Figs. 10-15) on the real store
            run.run(Integer.getInteger("evasan.mapping.steps", 300));
            System.out.println("snapclones taken while another of their tree was copying: " + run.twoClonesCopying);
        }
    }

    @Test
    void shouldReopenTreesAfterRestartOverRealMapping(@TempDir Path dir) {
        byte[] a = new byte[4 * SEG];
        Arrays.fill(a, (byte) 1);
        byte[] b = new byte[SEG];
        Arrays.fill(b, (byte) 2);
        long lun;
        long snap;
        long clone;
        long lone;
        try (Pool pool = pool(dir.resolve("pool"), 128);
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults());
             SharingTreesImpl st = new SharingTreesImpl(maps(pool, m), SharingConfig.defaults().withBackground(false),
                     SharingStats.standalone())) {
            lun = st.createLun(4);
            st.write(lun, 0, a, 0, a.length);
            snap = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            clone = st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.EAGER);
            st.bgcopyStep(clone, 2);
            st.write(lun, 0, b, 0, SEG);
            lone = st.createLun(2);
            st.resize(lone, 3);
            st.write(lone, 2L * SEG, b, 0, SEG);
        }
        try (Pool pool = pool(dir.resolve("pool"), 128);
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults());
             SharingTreesImpl st = new SharingTreesImpl(maps(pool, m), SharingConfig.defaults().withBackground(false),
                     SharingStats.standalone())) {
            assertEquals(List.of(snap, clone, lun), st.chain(lun));
            assertEquals(3, st.segments(lone));
            byte[] g = new byte[SEG];
            st.read(lone, 2L * SEG, g, 0, SEG);
            assertArrayEquals(b, g);
            byte[] got = new byte[4 * SEG];
            st.read(snap, 0, got, 0, got.length);
            assertArrayEquals(a, got);
            st.bgcopyStep(clone, 10);
            assertEquals(DiskKind.LUN, st.kind(clone));
            st.read(clone, 0, got, 0, got.length);
            assertArrayEquals(a, got);
            st.read(lun, 0, got, 0, SEG);
            assertArrayEquals(b, Arrays.copyOf(got, SEG));
        }
    }
}
