package io.evasan.sharing;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.catalog.Catalog;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MemorySegmentMaps;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Space policy, limits, bad input, delete, rollback, describe and reopen. */
class SnapshotBehaviourTest {
    private static final int SEG = 4096;

    private static SharingTreesImpl engine(MemorySegmentMaps maps) {
        return new SharingTreesImpl(maps, SharingConfig.defaults().withBackground(false), SharingStats.standalone());
    }

    private static byte[] filled(int len, int v) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) v);
        return b;
    }

    @Test
    void shouldAllocateNothingForOnDemandSnapshotOfUnchangedLun() {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 1000);
        try (SharingTreesImpl st = engine(maps)) {
            long lun = st.createLun(32);
            st.write(lun, 0, filled(16 * SEG, 7), 0, 16 * SEG);
            long used = maps.usedSegments();
            long free = maps.freeSegments();
            long snap = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            assertEquals(used, maps.usedSegments(), "on-demand snapshot allocated space");
            assertEquals(free, maps.freeSegments(), "on-demand snapshot reserved space");
            byte[] got = new byte[16 * SEG];
            st.read(snap, 0, got, 0, got.length);
            assertArrayEquals(filled(16 * SEG, 7), got);
            st.snapshot(lun, AllocationPolicy.RESERVE_FULL);
            assertEquals(used, maps.usedSegments());
            assertEquals(free - 32, maps.freeSegments(), "full reservation takes the LUN's capacity");
        }
    }

    @Test
    void shouldInvalidateOnDemandSnapshotAndKeepOriginWorkingWhenSpaceRunsOut() {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 12);
        try (SharingTreesImpl st = engine(maps)) {
            long lun = st.createLun(8);
            st.write(lun, 0, filled(8 * SEG, 1), 0, 8 * SEG);           // 8 used
            long snap = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            for (int s = 0; s < 8; s++) {
                st.write(lun, (long) s * SEG, filled(512, 2), 0, 512);   // CFW: 4 fit, then the snapshot dies
            }
            assertFalse(st.isValid(snap));
            StorageException ex = assertThrows(StorageException.class, () -> st.read(snap, 0, new byte[512], 0, 512));
            assertEquals(ErrorCode.SNAPSHOT_INVALIDATED, ex.code());
            byte[] got = new byte[512];
            for (int s = 0; s < 8; s++) {
                st.read(lun, (long) s * SEG, got, 0, 512);
                assertArrayEquals(filled(512, 2), got, "origin segment " + s);
            }
            assertEquals(List.of(lun), st.chain(lun));
            assertEquals(8, maps.usedSegments(), "the invalidated snapshot's space was freed");
            st.delete(snap, DeleteOption.REFUSE_IF_SNAPSHOTS);
            assertThrows(StorageException.class, () -> st.kind(snap));
        }
    }

    @Test
    void shouldNeverInvalidateFullyReservedSnapshot() {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 17);
        try (SharingTreesImpl st = engine(maps)) {
            long lun = st.createLun(8);
            st.write(lun, 0, filled(8 * SEG, 1), 0, 8 * SEG);
            long snap = st.snapshot(lun, AllocationPolicy.RESERVE_FULL);
            StorageException full = assertThrows(StorageException.class, () -> st.snapshot(lun, AllocationPolicy.RESERVE_FULL));
            assertEquals(ErrorCode.SPACE_ALLOCATION_FAILED, full.code());
            assertEquals(2, st.chain(lun).size(), "refused snapshot changed nothing");
            for (int s = 0; s < 8; s++) {
                st.write(lun, (long) s * SEG, filled(512, 2), 0, 512);
            }
            assertTrue(st.isValid(snap));
            byte[] got = new byte[8 * SEG];
            st.read(snap, 0, got, 0, got.length);
            assertArrayEquals(filled(8 * SEG, 1), got);
        }
    }

    @Test
    void shouldSupport256StackedSnapshotsAndReadOldestWithoutWalking() {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 10_000);
        try (SharingTreesImpl st = engine(maps)) {
            long lun = st.createLun(4);
            st.write(lun, 0, filled(4 * SEG, 9), 0, 4 * SEG);
            long oldest = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            for (int i = 1; i < 256; i++) {
                st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            }
            assertEquals(257, st.chain(lun).size());
            st.write(lun, 0, filled(SEG, 3), 0, SEG);
            byte[] got = new byte[SEG];
            long walks0 = st.longWalks();
            for (int i = 0; i < 100; i++) {
                st.read(oldest, 0, got, 0, SEG);                         // walks to the newest snapshot once, then cached
                assertArrayEquals(filled(SEG, 9), got);
                st.read(oldest, SEG, got, 0, SEG);                       // walks to the LUN once, then cached
                assertArrayEquals(filled(SEG, 9), got);
            }
            assertEquals(walks0 + 2, st.longWalks(), "only the first read of each segment walks the chain");
            st.write(lun, SEG, filled(SEG, 4), 0, SEG);                  // bits change: the cached holder is stale
            st.read(oldest, SEG, got, 0, SEG);
            assertArrayEquals(filled(SEG, 9), got);
            assertEquals(walks0 + 3, st.longWalks());
            TreeDescription d = st.describe(lun);
            assertEquals(257, d.disks().size());
            assertEquals(2, d.disks().get(255).privateSegments(), "the newest snapshot holds the two preserved segments");
        }
    }

    @Test
    void shouldRefuseBadInputAndChangeNothing() {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 1000);
        SharingConfig cfg = SharingConfig.defaults().withBackground(false).withMaxDisksPerTree(3);
        try (SharingTreesImpl st = new SharingTreesImpl(maps, cfg, SharingStats.standalone())) {
            long lun = st.createLun(4);
            long other = st.createLun(4);
            long otherSnap = st.snapshot(other, AllocationPolicy.ON_DEMAND);
            st.write(lun, 0, filled(4 * SEG, 5), 0, 4 * SEG);
            byte[] before = maps.loadCatalog();
            assertEquals(ErrorCode.NOT_FOUND, assertThrows(StorageException.class,
                    () -> st.snapshot(424242, AllocationPolicy.ON_DEMAND)).code());
            long clone = st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.EAGER);
            byte[] withClone = maps.loadCatalog();
            // a second snapclone while the first copies is accepted (several clones copy at once in a tree)
            st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.SCALING);
            byte[] full = maps.loadCatalog();
            StorageException tooMany = assertThrows(StorageException.class, () -> st.snapshot(lun, AllocationPolicy.ON_DEMAND));
            assertEquals(ErrorCode.INVALID_STATE, tooMany.code());
            assertArrayEquals(full, maps.loadCatalog());
            StorageException del = assertThrows(StorageException.class, () -> st.delete(lun, DeleteOption.REFUSE_IF_SNAPSHOTS));
            assertEquals(ErrorCode.INVALID_STATE, del.code());
            assertArrayEquals(full, maps.loadCatalog());
            StorageException across = assertThrows(StorageException.class, () -> st.rollback(lun, otherSnap));
            assertEquals(ErrorCode.INVALID_ARGUMENT, across.code());
            StorageException newer = assertThrows(StorageException.class, () -> st.rollback(otherSnap, other));
            assertEquals(ErrorCode.INVALID_ARGUMENT, newer.code());
            assertArrayEquals(full, maps.loadCatalog());
            assertThrows(IllegalArgumentException.class, () -> st.delete(lun, null));
            assertEquals(ErrorCode.UNALIGNED_IO, assertThrows(StorageException.class,
                    () -> st.read(lun, 1, new byte[512], 0, 512)).code());
            assertEquals(ErrorCode.OUT_OF_RANGE, assertThrows(StorageException.class,
                    () -> st.write(lun, 4L * SEG, new byte[512], 0, 512)).code());
            assertTrue(before.length < withClone.length);
            assertEquals(3, Catalog.decode(maps.loadCatalog()).trees.get(0).chain().size()
                    + Catalog.decode(maps.loadCatalog()).trees.get(1).chain().size() - 2);
            assertEquals(DiskKind.SNAPCLONE, st.kind(clone));
        }
    }

    @Test
    void shouldGrowLoneLunAndRefuseOtherResizes() {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 1000);
        long lun;
        try (SharingTreesImpl st = engine(maps)) {
            lun = st.createLun(2);
            st.write(lun, 0, filled(2 * SEG, 3), 0, 2 * SEG);
            st.resize(lun, 4);
            assertEquals(4, st.segments(lun));
            byte[] got = new byte[4 * SEG];
            st.read(lun, 0, got, 0, got.length);
            assertArrayEquals(filled(2 * SEG, 3), Arrays.copyOf(got, 2 * SEG));
            assertArrayEquals(new byte[2 * SEG], Arrays.copyOfRange(got, 2 * SEG, 4 * SEG));
            st.write(lun, 3L * SEG, filled(SEG, 5), 0, SEG);
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(StorageException.class, () -> st.resize(lun, 3)).code());
            long snap = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            assertEquals(ErrorCode.INVALID_STATE, assertThrows(StorageException.class, () -> st.resize(lun, 8)).code());
            assertEquals(4, st.segments(lun));
            st.read(snap, 3L * SEG, got, 0, SEG);
            assertArrayEquals(filled(SEG, 5), Arrays.copyOf(got, SEG));
        }
        try (SharingTreesImpl st = engine(maps)) {
            assertEquals(4, st.segments(lun));
        }
    }

    @Test
    void shouldTakeTaggedSnapshotOnceAcrossRestart() {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 1000);
        long lun;
        long snap;
        try (SharingTreesImpl st = engine(maps)) {
            lun = st.createLun(4);
            snap = st.snapshot(lun, AllocationPolicy.ON_DEMAND, 77);
            assertEquals(snap, st.snapshot(lun, AllocationPolicy.ON_DEMAND, 77));
        }
        try (SharingTreesImpl st = engine(maps)) {
            assertEquals(snap, st.snapshot(lun, AllocationPolicy.ON_DEMAND, 77), "redelivered request after restart");
            assertEquals(2, st.chain(lun).size());
            long other = st.snapshot(lun, AllocationPolicy.ON_DEMAND, 78);
            assertTrue(other != snap);
            st.delete(snap, DeleteOption.REFUSE_IF_SNAPSHOTS);
            assertEquals(2, st.chain(lun).size());
        }
    }

    @Test
    void shouldDeleteMiddleSnapshotByHandingSegmentsToPredecessor() {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 1000);
        try (SharingTreesImpl st = engine(maps)) {
            long lun = st.createLun(4);
            st.write(lun, 0, filled(4 * SEG, 1), 0, 4 * SEG);
            long s0 = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            long s1 = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            st.write(lun, 0, filled(4 * SEG, 2), 0, 4 * SEG);             // S1 holds the old data, S0 reads through S1
            long used = maps.usedSegments();
            double copies = st.stats().cfwCopies.count();
            st.delete(s1, DeleteOption.REFUSE_IF_SNAPSHOTS);
            assertEquals(used, maps.usedSegments(), "hand-off by pointer: nothing copied, nothing freed");
            assertEquals(copies, st.stats().cfwCopies.count());
            byte[] got = new byte[4 * SEG];
            st.read(s0, 0, got, 0, got.length);
            assertArrayEquals(filled(4 * SEG, 1), got);
            assertEquals(4, st.describe(s0).disks().get(0).privateSegments());
            st.delete(s0, DeleteOption.REFUSE_IF_SNAPSHOTS);
            assertEquals(4, maps.usedSegments(), "space only the snapshot held is freed");
        }
    }

    @Test
    void shouldRollBackLunAndKeepOtherSnapshots() {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 1000);
        try (SharingTreesImpl st = engine(maps)) {
            long lun = st.createLun(4);
            st.write(lun, 0, filled(4 * SEG, 1), 0, 4 * SEG);
            long s0 = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            st.write(lun, SEG, filled(SEG, 2), 0, SEG);
            long s1 = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            st.write(lun, 2L * SEG, filled(512, 3), 0, 512);
            st.rollback(lun, s0);
            byte[] got = new byte[4 * SEG];
            st.read(lun, 0, got, 0, got.length);
            assertArrayEquals(filled(4 * SEG, 1), got);
            st.read(s1, SEG, got, 0, SEG);
            assertEquals(2, got[0]);
            st.read(s1, 2L * SEG, got, 0, SEG);
            assertEquals(1, got[0]);
        }
    }

    @Test
    void shouldReopenTreesFromCatalogAndResumePausedBgcopy() {
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 1000);
        long lun;
        long clone;
        long snap;
        try (SharingTreesImpl st = engine(maps)) {
            lun = st.createLun(8);
            st.write(lun, 0, filled(8 * SEG, 4), 0, 8 * SEG);
            snap = st.snapshot(lun, AllocationPolicy.RESERVE_FULL);
            clone = st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.SCALING);
            assertEquals(3, st.bgcopyStep(clone, 3));
            st.pauseBgcopy(clone);
            st.write(lun, 0, filled(SEG, 5), 0, SEG);
        }
        try (SharingTreesImpl st = engine(maps)) {
            assertEquals(List.of(snap, clone, lun), st.chain(lun));
            BgCopyProgress p = st.bgcopyProgress(clone);
            assertEquals(BgCopyState.PAUSED, p.state());
            assertEquals(3, p.done());
            assertEquals(8, p.total());
            st.resumeBgcopy(clone);
            st.bgcopyStep(clone, 100);
            assertEquals(BgCopyState.DONE, st.bgcopyProgress(clone).state());
            assertEquals(List.of(snap, lun), st.chain(lun));
            byte[] got = new byte[8 * SEG];
            st.read(clone, 0, got, 0, got.length);
            assertArrayEquals(filled(8 * SEG, 4), got);
            st.read(snap, 0, got, 0, got.length);
            assertArrayEquals(filled(8 * SEG, 4), got);
            assertEquals("[LUN, SNAPSHOT, LUN]", List.of(st.kind(clone), st.kind(snap), st.kind(lun)).toString());
        }
    }

    /** Fig. 15d's M per snapclone: kept in the catalog across a reopen, and it decides quiesced vs online leave copies. */
    @Test
    void shouldKeepPerSnapcloneQuiesceThresholdAcrossReopen() {
        for (int m : new int[] {1, 64}) {
            MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 1000);
            SharingConfig cfg = SharingConfig.defaults().withBackground(false).withQuiesceThreshold(8);
            long lun;
            long clone;
            try (SharingTreesImpl st = new SharingTreesImpl(maps, cfg, SharingStats.standalone())) {
                lun = st.createLun(2);
                st.write(lun, 0, filled(2 * SEG, 0xA), 0, 2 * SEG);
                st.snapshot(lun, AllocationPolicy.ON_DEMAND);
                clone = st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.SCALING, 0, -1, m);
                assertEquals(1, st.bgcopyStep(clone, 1));
                st.write(lun, 0, filled(512, 0xB), 0, 512);        // Fig. 15b: the snapshot still reads through the clone
            }
            assertEquals(m, Catalog.decode(maps.loadCatalog()).trees.get(0).chain().get(1).quiesceM());
            SharingStats stats = SharingStats.standalone();
            try (SharingTreesImpl st = new SharingTreesImpl(maps, cfg, stats)) {
                st.bgcopyStep(clone, 10);
                assertEquals(DiskKind.LUN, st.kind(clone));
                // one segment to copy into the snapshot: fewer than M = 64 -> quiesced; not fewer than M = 1 -> online
                assertEquals(m > 1 ? 1.0 : 0.0, stats.leaveQuiescedCopies.count(), "M=" + m);
                assertEquals(m > 1 ? 0.0 : 1.0, stats.leaveCopies.count(), "M=" + m);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> {
            try (SharingTreesImpl st = new SharingTreesImpl(new MemorySegmentMaps(SEG, 10),
                    SharingConfig.defaults().withBackground(false), SharingStats.standalone())) {
                st.snapclone(st.createLun(1), AllocationPolicy.ON_DEMAND, SnapcloneMode.SCALING, 0, -1, -1);
            }
        });
    }
}
