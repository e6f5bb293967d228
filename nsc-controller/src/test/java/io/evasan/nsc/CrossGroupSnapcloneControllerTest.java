package io.evasan.nsc;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MappingSegmentMaps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Controller.snapshot(.., diskGroup): the snapclone's disk in the target group, and the promoted LUN there too. */
class CrossGroupSnapcloneControllerTest {
    static final int MIB = 1 << 20;

    /** pool of two groups -> mapping -> trees -> Controller, as the launcher opens them. */
    static final class Stack implements AutoCloseable {
        final Pool pool;
        final Mapping mapping;
        final SharingTreesImpl trees;
        final Controller ctl;

        Stack(Path dir) {
            List<GroupSpec> gs = new ArrayList<>();
            for (int g = 0; g < 2; g++) {
                List<DriveSpec> drives = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    drives.add(DriveSpec.file(String.format("drives/g%d-d%02d.img", g, i), 64L << 20));
                }
                gs.add(new GroupSpec("dg" + g, drives));
            }
            pool = Pools.openOrCreate(dir.resolve("pool"), new PoolSpec(gs));
            mapping = Mappings.open(pool, dir.resolve("mapping"), MappingOptions.defaults().withFsync(false));
            trees = new SharingTreesImpl(new MappingSegmentMaps(mapping, pool, pool.diskGroups().get(0).id(),
                    RaidLevel.RAID5, "nsc-"), SharingConfig.defaults().withBackground(false), SharingStats.standalone());
            ctl = Controller.open(new ControllerConfig(dir.resolve("nsc0")).poolIdentity("cross-group").lunCatalog(mapping.mld())
                    .cache(new CacheConfig().segmentSize(256 * 1024).segmentCount(16)), trees);
        }

        int group(int i) {
            return pool.diskGroups().get(i).id();
        }

        @Override
        public void close() {
            ctl.close();
            trees.close();
            mapping.close();
            pool.close();
        }
    }

    private static SnapshotRecord snap(Controller c, String name) {
        return c.listSnapshots().stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }

    @Test
    void shouldPromoteASnapcloneTakenInAnotherGroupToALunOfThatGroup(@TempDir Path dir) throws Exception {
        byte[] a = new byte[4 * MIB];
        new java.util.Random(3).nextBytes(a);
        int g1;
        try (Stack f = new Stack(dir)) {
            Controller c = f.ctl;
            g1 = f.group(1);
            LunRecord src = c.createLun("src", 4 * MIB);
            assertEquals(f.group(0), f.trees.diskGroup(src.disk()));
            for (int off = 0; off < a.length; off += 256 * 1024) {
                c.cache().write(0, src.id(), off, ByteBuffer.wrap(a, off, 256 * 1024), false);
            }

            // a group on a plain snapshot, and an unknown group: refused, nothing created
            StorageException e = assertThrows(StorageException.class,
                    () -> c.snapshot("src", "plain", false, AllocationPolicy.ON_DEMAND, g1));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            ExecutionException x = assertThrows(ExecutionException.class,
                    () -> c.snapshot("src", "nowhere", true, AllocationPolicy.ON_DEMAND, 77).taken().get(30, TimeUnit.SECONDS));
            assertEquals(ErrorCode.NOT_FOUND, ((StorageException) x.getCause()).code());
            assertEquals(List.of(), c.listSnapshots());

            c.snapshot("src", "moved", true, AllocationPolicy.ON_DEMAND, g1).taken().get(30, TimeUnit.SECONDS);
            SnapshotRecord s = snap(c, "moved");
            assertEquals(g1, f.trees.diskGroup(s.disk()));
            byte[] b = new byte[MIB];
            Arrays.fill(b, (byte) 7);
            c.cache().write(0, src.id(), 0, ByteBuffer.wrap(b), false);   // CFW into the clone, in g1
            for (int i = 0; i < 1000 && f.trees.kind(s.disk()) != DiskKind.LUN; i++) {
                f.trees.bgcopyStep(s.disk(), 2);
            }
            c.promoteDetachedSnapclones();
            LunRecord l = c.lun("moved");
            assertEquals(LunRecord.Kind.PRIMARY, l.kind());
            assertEquals(g1, f.trees.diskGroup(l.disk()), "the promoted LUN is in the target group");
            assertEquals(f.group(0), f.trees.diskGroup(src.disk()));
            byte[] got = new byte[a.length];
            c.read("moved", 0, got);
            assertArrayEquals(a, got);
            c.deleteLun("src");
        }
        try (Stack f = new Stack(dir)) {
            LunRecord l = f.ctl.lun("moved");
            assertEquals(g1, f.trees.diskGroup(l.disk()), "after a restart");
            byte[] got = new byte[a.length];
            f.ctl.read("moved", 0, got);
            assertArrayEquals(a, got);
        }
    }
}
