package io.evasan.sharing;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.mapping.rsd.PhysicalAddress;
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
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A snapclone into another disk group (how a LUN moves between groups) over the real mapping and a
 * pool of two groups: the clone's copies come from the target group only, the source's group
 * gives nothing, the target survives a reopen mid-copy, and the promoted LUN lies wholly in it.
 */
class CrossGroupSnapcloneTest {
    static final int SEG = 1 << 20;

    static Pool pool(Path dir) {
        return pool(dir, 64, 32);
    }

    /** Two disk groups of 8 sparse drives: dg0 of {@code aMb} MB drives, dg1 of {@code bMb} MB drives. */
    static Pool pool(Path dir, int aMb, int bMb) {
        List<DriveSpec> a = new ArrayList<>();
        List<DriveSpec> b = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            a.add(DriveSpec.file(String.format("drives/a%02d.img", i), (long) aMb << 20));
            b.add(DriveSpec.file(String.format("drives/b%02d.img", i), (long) bMb << 20));
        }
        return Pools.openOrCreate(dir, new PoolSpec(List.of(new GroupSpec("dg0", a), new GroupSpec("dg1", b))));
    }

    static final class Rig implements AutoCloseable {
        final Pool pool;
        final Mapping mapping;
        final MappingSegmentMaps maps;
        final SharingTreesImpl st;
        final int g0;
        final int g1;

        Rig(Path dir) {
            pool = pool(dir.resolve("pool"));
            mapping = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults().withFsync(false));
            g0 = pool.diskGroups().get(0).id();
            g1 = pool.diskGroups().get(1).id();
            maps = new MappingSegmentMaps(mapping, pool, g0, RaidLevel.RAID0, "st-");
            st = new SharingTreesImpl(maps, SharingConfig.defaults().withBackground(false), SharingStats.standalone());
        }

        long free(int group) {
            return pool.diskGroup(group).freePsegs();
        }

        @Override
        public void close() {
            st.close();
            mapping.close();
            pool.close();
        }
    }

    private static void assertAllIn(Rig r, long disk, int group) {
        LogicalDisk d = r.maps.logicalDisk(disk);
        assertEquals(-1, d.foreignGroup(), "disk " + disk + " still points into another group");
        for (long s = 0; s < d.segments(); s++) {
            long a = d.translate(s * SEG);
            if (a != PhysicalAddress.UNMAPPED) {
                assertEquals(group, PhysicalAddress.group(a), "segment " + s + " of disk " + disk);
            }
        }
    }

    private static void assertReads(SharingTrees st, long disk, byte[] model, String what) {
        byte[] got = new byte[model.length];
        st.read(disk, 0, got, 0, got.length);
        for (int i = 0; i < model.length; i += 512) {
            if (!Arrays.equals(model, i, i + 512, got, i, i + 512)) {
                fail(what + ": disk " + disk + " differs at byte " + i);
            }
        }
    }

    private static void finish(SharingTrees st, long clone) {
        for (int i = 0; i < 1000 && st.kind(clone) != DiskKind.LUN; i++) {
            st.bgcopyStep(clone, 4);
        }
        assertEquals(DiskKind.LUN, st.kind(clone));
    }

    @Test
    void shouldCopyIntoTheTargetGroupOnlyAndPromoteThere(@TempDir Path dir) {
        Random rnd = new Random(7);
        byte[] src = new byte[8 * SEG];
        long lun;
        long clone;
        long free0;
        long free1;
        byte[] cl;
        try (Rig r = new Rig(dir)) {
            lun = r.st.createLun(8);
            byte[] b = new byte[6 * SEG];
            rnd.nextBytes(b);
            r.st.write(lun, 0, b, 0, b.length);
            System.arraycopy(b, 0, src, 0, b.length);
            free0 = r.free(r.g0);
            free1 = r.free(r.g1);
            clone = r.st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.EAGER, 0, r.g1);
            assertEquals(r.g1, r.st.diskGroup(clone));
            assertEquals(r.g0, r.st.diskGroup(lun));
            assertEquals(free1, r.free(r.g1), "a snapclone copies nothing at creation");
            cl = src.clone();
            // CFW: the clone's copy of segment 0 comes from the target group
            byte[] w = new byte[SEG];
            rnd.nextBytes(w);
            r.st.write(lun, 0, w, 0, SEG);
            System.arraycopy(w, 0, src, 0, SEG);
            // the clone's own write: private in the target group
            rnd.nextBytes(w);
            r.st.write(clone, 2L * SEG + 4096, w, 0, 8192);
            System.arraycopy(w, 0, cl, 2 * SEG + 4096, 8192);
            r.st.unmap(lun, SEG, SEG);
            Arrays.fill(src, SEG, 2 * SEG, (byte) 0);
            r.st.bgcopyStep(clone, 2);
            assertReads(r.st, lun, src, "source mid-copy");
            assertReads(r.st, clone, cl, "clone mid-copy");
            assertEquals(free0, r.free(r.g0), "the source's group gives the clone nothing");
            assertTrue(r.free(r.g1) < free1, "the clone's copies are in the target group");
            assertEquals(DiskKind.SNAPCLONE, r.st.kind(clone));
        }
        try (Rig r = new Rig(dir)) {
            assertEquals(r.g1, r.st.diskGroup(clone), "target group after a reopen mid-copy");
            assertEquals(r.g0, r.st.diskGroup(lun));
            assertEquals(DiskKind.SNAPCLONE, r.st.kind(clone));
            assertReads(r.st, lun, src, "source after reopen");
            assertReads(r.st, clone, cl, "clone after reopen");
            finish(r.st, clone);
            assertEquals(List.of(clone), r.st.chain(clone));
            assertEquals(List.of(lun), r.st.chain(lun));
            assertAllIn(r, clone, r.g1);
            assertAllIn(r, lun, r.g0);
            assertEquals(free0, r.free(r.g0), "still nothing from the source's group");
            assertReads(r.st, lun, src, "source after promotion");
            assertReads(r.st, clone, cl, "promoted clone");
            // an ordinary LUN again: it takes snapshots, in its new group
            long snap = r.st.snapshot(clone, AllocationPolicy.ON_DEMAND);
            assertEquals(r.g1, r.st.diskGroup(snap));
            byte[] w = new byte[SEG];
            Arrays.fill(w, (byte) 9);
            r.st.write(clone, 0, w, 0, SEG);
            assertReads(r.st, snap, cl, "snapshot of the promoted clone");
            System.arraycopy(w, 0, cl, 0, SEG);
            r.st.delete(snap, DeleteOption.REFUSE_IF_SNAPSHOTS);
            // moving = clone, then delete the source: its group gets its space back
            long before = r.free(r.g0);
            r.st.delete(lun, DeleteOption.REFUSE_IF_SNAPSHOTS);
            assertTrue(r.free(r.g0) > before, "deleting the source frees its group");
            assertAllIn(r, clone, r.g1);
        }
        try (Rig r = new Rig(dir)) {
            assertEquals(r.g1, r.st.diskGroup(clone));
            assertEquals(DiskKind.LUN, r.st.kind(clone));
            assertAllIn(r, clone, r.g1);
            assertReads(r.st, clone, cl, "promoted clone after reopen");
        }
    }

    @Test
    void shouldRefuseBadCrossGroupRequestsChangingNothing(@TempDir Path dir) {
        try (Rig r = new Rig(dir)) {
            long lun = r.st.createLun(4);
            byte[] b = new byte[4 * SEG];
            Arrays.fill(b, (byte) 3);
            r.st.write(lun, 0, b, 0, b.length);
            List<Long> disks = r.st.disks();
            long free0 = r.free(r.g0);
            long free1 = r.free(r.g1);

            StorageException e = assertThrows(StorageException.class,
                    () -> r.st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.EAGER, 0, 77));
            assertEquals(ErrorCode.NOT_FOUND, e.code());
            assertEquals(disks, r.st.disks());

            // RESERVE_FULL short in the (small) target group
            long big = r.st.createLun(400);
            List<Long> disks2 = r.st.disks();
            e = assertThrows(StorageException.class,
                    () -> r.st.snapclone(big, AllocationPolicy.RESERVE_FULL, SnapcloneMode.EAGER, 0, r.g1));
            assertEquals(ErrorCode.SPACE_ALLOCATION_FAILED, e.code());
            assertEquals(disks2, r.st.disks());
            assertEquals(free1, r.free(r.g1));
            assertEquals(free0, r.free(r.g0));

            long snap = r.st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            e = assertThrows(StorageException.class,
                    () -> r.st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.EAGER, 0, r.g1));
            assertEquals(ErrorCode.INVALID_STATE, e.code());
            r.st.delete(snap, DeleteOption.REFUSE_IF_SNAPSHOTS);

            // RESERVE_FULL that fits: reserved in the target group only
            long clone = r.st.snapclone(lun, AllocationPolicy.RESERVE_FULL, SnapcloneMode.EAGER, 0, r.g1);
            assertEquals(free0, r.free(r.g0));
            assertTrue(r.free(r.g1) <= free1 - 4, "reservation in the target group");
            List<Long> disks3 = r.st.disks();
            assertEquals(ErrorCode.INVALID_STATE, assertThrows(StorageException.class,
                    () -> r.st.snapshot(lun, AllocationPolicy.ON_DEMAND)).code());
            assertEquals(ErrorCode.INVALID_STATE, assertThrows(StorageException.class,
                    () -> r.st.snapshot(clone, AllocationPolicy.ON_DEMAND)).code());
            assertEquals(ErrorCode.INVALID_STATE, assertThrows(StorageException.class,
                    () -> r.st.rollback(lun, clone)).code());
            assertEquals(ErrorCode.INVALID_STATE, assertThrows(StorageException.class,
                    () -> r.st.delete(lun, DeleteOption.KEEP_SNAPSHOTS)).code());
            assertEquals(disks3, r.st.disks());
            // a snapclone into its own group is the ordinary one
            finish(r.st, clone);
            assertAllIn(r, clone, r.g1);
            long same = r.st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.EAGER, 0, r.g0);
            assertEquals(r.g0, r.st.diskGroup(same));
            finish(r.st, same);
            assertAllIn(r, same, r.g0);
        }
    }

    /** Seeded: random writes, unmaps and BGCOPY steps on source and clone, reopens, vs byte-array models. */
    @Test
    void shouldMatchModelWithRandomIoAndReopens(@TempDir Path dir) {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("CrossGroupSnapcloneTest seed=" + seed);
        Random rnd = new Random(seed);
        int segs = 12;
        byte[][] model = new byte[2][segs * SEG];
        long[] id = new long[2];
        int step = 0;
        try {
            for (int round = 0; round < 3; round++) {
                try (Rig r = new Rig(dir)) {
                    if (round == 0) {
                        id[0] = r.st.createLun(segs);
                        byte[] b = new byte[segs * SEG];
                        rnd.nextBytes(b);
                        r.st.write(id[0], 0, b, 0, b.length);
                        model[0] = b.clone();
                        r.st.unmap(id[0], 3L * SEG, SEG);
                        Arrays.fill(model[0], 3 * SEG, 4 * SEG, (byte) 0);
                        id[1] = r.st.snapclone(id[0], rnd.nextBoolean() ? AllocationPolicy.ON_DEMAND
                                : AllocationPolicy.RESERVE_FULL, SnapcloneMode.EAGER, 0, r.g1);
                        model[1] = model[0].clone();
                    }
                    long free0 = r.free(r.g0);
                    for (int i = 0; i < 40; i++, step++) {
                        int which = rnd.nextInt(2);
                        int op = rnd.nextInt(10);
                        if (op < 6) {
                            int len = rnd.nextInt(4) == 0 ? SEG : (1 + rnd.nextInt(64)) * 512;
                            int off = len == SEG ? rnd.nextInt(segs) * SEG : rnd.nextInt((segs * SEG - len) / 512) * 512;
                            byte[] w = new byte[len];
                            rnd.nextBytes(w);
                            r.st.write(id[which], off, w, 0, len);
                            System.arraycopy(w, 0, model[which], off, len);
                        } else if (op < 9) {
                            int s = rnd.nextInt(segs);
                            r.st.unmap(id[which], (long) s * SEG, SEG);
                            Arrays.fill(model[which], s * SEG, (s + 1) * SEG, (byte) 0);
                        } else if (r.st.kind(id[1]) == DiskKind.SNAPCLONE) {
                            r.st.bgcopyStep(id[1], 1);
                        }
                        if (r.st.kind(id[1]) == DiskKind.SNAPCLONE) {
                            assertEquals(free0, r.free(r.g0), "source group allocated for the clone (seed " + seed + " step " + step + ")");
                        }
                        assertReads(r.st, id[0], model[0], "source, seed " + seed + " step " + step);
                        assertReads(r.st, id[1], model[1], "clone, seed " + seed + " step " + step);
                    }
                    assertEquals(r.g1, r.st.diskGroup(id[1]));
                    if (round == 2) {
                        finish(r.st, id[1]);
                        assertAllIn(r, id[1], r.g1);
                        assertAllIn(r, id[0], r.g0);
                        assertReads(r.st, id[0], model[0], "source at the end, seed " + seed);
                        assertReads(r.st, id[1], model[1], "promoted clone, seed " + seed);
                    }
                }
            }
        } catch (AssertionError | RuntimeException ex) {
            throw new AssertionError("seed " + seed + " step " + step + ": " + ex.getMessage(), ex);
        }
        assertFalse(step == 0);
    }
}
