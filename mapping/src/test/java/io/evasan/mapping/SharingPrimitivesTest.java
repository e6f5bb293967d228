package io.evasan.mapping;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.lmap.LmapEntry;
import io.evasan.mapping.rsd.PhysicalAddress;
import io.evasan.mapping.support.TestPools;
import io.evasan.raid.Pool;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.locks.Lock;

import static org.junit.jupiter.api.Assertions.*;

/** The per-segment primitives the sharing tree builds on, and their persistence. */
class SharingPrimitivesTest {
    static final long MB = 1 << 20;
    @TempDir
    Path dir;

    static ByteBuffer fill(int v, int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) v);
        return ByteBuffer.wrap(b);
    }

    static byte[] read(LogicalDisk d, long off, int n) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(512, n));
        d.read(off, b);
        return Arrays.copyOf(b.array(), n);
    }

    Pool pool() {
        return TestPools.openOrCreate(dir.resolve("pool"), 1, 128);
    }

    Mapping open(Pool p) {
        return Mappings.open(p, dir.resolve("state"), MappingOptions.defaults());
    }

    @Test
    void shouldCreateSnapshotByPointerCopyAndHandOffOwnership() {
        try (Pool p = pool(); Mapping m = open(p)) {
            LogicalDisk lun = m.create("lun", 64 * MB, RaidLevel.RAID5);
            for (int s = 0; s < 4; s++) {
                lun.write(s * MB, fill(s + 1, 8192));
            }
            double rstoresBefore = m.stats().rstoreAllocations();
            LogicalDisk snap = m.createSnapshotDisk("lun", "snap", LmapEntry.SP, LmapEntry.SS);
            assertEquals(rstoresBefore, m.stats().rstoreAllocations(), 0.0, "a snapshot allocates nothing");
            assertEquals(lun.lockDomain(), snap.lockDomain());
            assertSame(lun.segmentLock(3), snap.segmentLock(3));
            for (int s = 0; s < 4; s++) {
                int le = lun.entry(s);
                int se = snap.entry(s);
                assertTrue(LmapEntry.holder(le) && LmapEntry.sp(le) && !LmapEntry.ss(le), LmapEntry.toString(le));
                assertTrue(!LmapEntry.holder(se) && LmapEntry.ss(se) && LmapEntry.samePointer(le, se), LmapEntry.toString(se));
                assertArrayEquals(read(lun, s * MB, 8192), read(snap, s * MB, 8192));
            }
            assertEquals(0, snap.entry(10));
            assertEquals(4, lun.heldSegments());
            assertEquals(0, snap.heldSegments());
            // plain writes to shared segments are refused, nothing changed
            StorageException e = assertThrows(StorageException.class, () -> lun.write(0, fill(9, 512)));
            assertEquals(ErrorCode.INVALID_STATE, e.code());
            assertEquals(1, read(lun, 0, 1)[0]);

            // copy-on-first-write of segment 0, as the sharing tree would do it:
            Lock l = lun.segmentLock(0);
            l.lock();
            try {
                int old = lun.entry(0);
                int snapOld = snap.entry(0);
                long fresh = lun.reserveRseg(0);
                m.copyRseg(PhysicalAddress.rseg(lun.diskGroupId(), LmapEntry.slot(old), LmapEntry.rseg(old)), fresh);
                // the snapshot takes the old RSEG (by pointer), the LUN the copy
                int snapNew = LmapEntry.encode(LmapEntry.slot(old), LmapEntry.rseg(old), true, 0);
                int lunMid = old & ~LmapEntry.HOLDER & ~LmapEntry.USER_BITS;
                assertTrue(m.transferHolder(lun, 0, old, lunMid, snap, 0, snapOld, snapNew));
                assertTrue(lun.linkRseg(0, lunMid, fresh, 0));
            } finally {
                l.unlock();
            }
            lun.write(0, fill(9, 512));
            assertEquals(9, read(lun, 0, 1)[0]);
            assertEquals(1, read(snap, 0, 1)[0]);
            assertEquals(1, read(lun, 512, 1)[0], "the rest of the copied segment came along");
            assertEquals(4, lun.heldSegments());
            assertEquals(1, snap.heldSegments());
            // share bits on the other segments can be cleared with cas (no ownership change)
            int e1 = lun.entry(1);
            assertTrue(lun.compareAndSetEntry(1, e1, LmapEntry.withUserBits(e1, 0)));
            assertFalse(lun.compareAndSetEntry(1, e1, LmapEntry.withUserBits(e1, LmapEntry.AUX)), "stale expect");
        }
        // everything above is durable
        try (Pool p = pool(); Mapping m = open(p)) {
            LogicalDisk lun = m.disk("lun");
            LogicalDisk snap = m.disk("snap");
            assertEquals(9, read(lun, 0, 1)[0]);
            assertEquals(1, read(snap, 0, 1)[0]);
            assertEquals(4, lun.heldSegments());
            assertEquals(1, snap.heldSegments());
            assertEquals(0, LmapEntry.userBits(lun.entry(1)));
            assertTrue(LmapEntry.sp(lun.entry(2)));
            assertTrue(LmapEntry.ss(snap.entry(2)));
            // deleting the snapshot frees only what it holds
            long before = p.diskGroup(0).freePsegs();
            int held0 = snap.entry(0);
            m.delete("snap");
            assertEquals(3, read(lun, 2 * MB, 1)[0]);
            assertTrue(p.diskGroup(0).freePsegs() >= before);
            assertTrue(LmapEntry.holder(held0));
        }
    }

    @Test
    void shouldKeepSelectedSourceBitsInTheCopy() {
        try (Pool p = pool(); Mapping m = open(p)) {
            LogicalDisk lun = m.create("lun", 16 * MB, RaidLevel.RAID0);
            lun.write(0, fill(1, 512));
            lun.write(MB, fill(2, 512));
            int e0 = lun.entry(0);
            assertTrue(lun.compareAndSetEntry(0, e0, e0 | LmapEntry.SP));
            LogicalDisk snap = m.createSnapshotDisk("lun", "snap", LmapEntry.SP, LmapEntry.SS, LmapEntry.SP);
            assertTrue(LmapEntry.sp(snap.entry(0)) && LmapEntry.ss(snap.entry(0)));
            assertTrue(!LmapEntry.sp(snap.entry(1)) && LmapEntry.ss(snap.entry(1)), "kept from the source as it was");
            assertTrue(LmapEntry.sp(lun.entry(1)));
        }
        try (Pool p = pool(); Mapping m = open(p)) {
            assertTrue(LmapEntry.sp(m.disk("snap").entry(0)));
            assertFalse(LmapEntry.sp(m.disk("snap").entry(1)));
        }
    }

    @Test
    void shouldHandOffAndLinkInOneStep() {
        try (Pool p = pool(); Mapping m = open(p)) {
            LogicalDisk lun = m.create("lun", 16 * MB, RaidLevel.RAID0);
            lun.write(2 * MB, fill(4, 4096));
            LogicalDisk snap = m.createSnapshotDisk("lun", "snap", LmapEntry.SP, LmapEntry.SS);
            int old = lun.entry(2);
            int snapOld = snap.entry(2);
            long fresh = lun.reserveRseg(2);
            m.copyRseg(PhysicalAddress.rseg(0, LmapEntry.slot(old), LmapEntry.rseg(old)), fresh);
            int snapNew = LmapEntry.encode(LmapEntry.slot(old), LmapEntry.rseg(old), true, 0);
            assertFalse(m.transferHolderAndLink(lun, 2, old ^ LmapEntry.AUX, fresh, 0, snap, 2, snapOld, snapNew));
            assertTrue(m.transferHolderAndLink(lun, 2, old, fresh, 0, snap, 2, snapOld, snapNew));
            lun.write(2 * MB, fill(5, 512));
            lun.flush();
            assertEquals(5, read(lun, 2 * MB, 1)[0]);
            assertEquals(4, read(lun, 2 * MB + 512, 1)[0]);
            assertEquals(4, read(snap, 2 * MB, 1)[0]);
            assertEquals(1, lun.heldSegments());
            assertEquals(1, snap.heldSegments());
        }
        try (Pool p = pool(); Mapping m = open(p)) {
            assertEquals(5, read(m.disk("lun"), 2 * MB, 1)[0]);
            assertEquals(4, read(m.disk("snap"), 2 * MB, 1)[0]);
            assertEquals(1, m.disk("snap").heldSegments());
        }
    }

    @Test
    void shouldReleaseReservedRsegsAndFreeRStoresWithTheirLastRseg() {
        try (Pool p = pool(); Mapping m = open(p)) {
            LogicalDisk lun = m.create("lun", 64 * MB, RaidLevel.RAID1);
            long free0 = p.diskGroup(0).freePsegs();
            long a = lun.reserveRseg(0);
            assertEquals(free0 - RaidLevel.RAID1.totalPsegs(), p.diskGroup(0).freePsegs());
            m.releaseRseg(a);
            assertEquals(free0, p.diskGroup(0).freePsegs(), "RStore freed with its last RSEG");
            lun.write(0, fill(1, 512));
            lun.write(MB, fill(2, 512));
            assertEquals(PhysicalAddress.slot(lun.translate(0)), PhysicalAddress.slot(lun.translate(MB)),
                    "neighbouring segments share an RStore");
            int e0 = lun.entry(0);
            assertTrue(lun.unlinkRseg(0, e0, 0));
            assertEquals(free0 - RaidLevel.RAID1.totalPsegs(), p.diskGroup(0).freePsegs(), "RStore kept: RSEG 1 still held");
            lun.unmap(MB, MB);
            assertEquals(free0, p.diskGroup(0).freePsegs());
            assertEquals(0, lun.heldSegments());
        }
    }

    @Test
    void shouldFreeReservedButUnlinkedRsegsAtReopen() {
        try (Pool p = pool(); Mapping m = open(p)) {
            m.create("lun", 64 * MB, RaidLevel.RAID0).reserveRseg(5); // "crash" before linking
        }
        try (Pool p = pool(); Mapping m = open(p)) {
            assertEquals(p.diskGroup(0).totalPsegs(), p.diskGroup(0).freePsegs(), "the orphan RStore was freed at reopen");
            assertEquals(0, m.disk("lun").heldSegments());
        }
    }

    @Test
    void shouldKeepRaidLevelPerRange() {
        try (Pool p = pool(); Mapping m = open(p)) {
            LogicalDisk lun = m.create("mixed", 64 * MB, RaidLevel.RAID0);
            m.setRaidLevel("mixed", 16, 16, RaidLevel.RAID5);
            m.setRaidLevel("mixed", 32, 8, RaidLevel.RAID1);
            lun.write(0, fill(1, 512));
            lun.write(20 * MB, fill(2, 512));
            lun.write(33 * MB, fill(3, 512));
            assertEquals(RaidLevel.RAID0, level(m, lun, 0));
            assertEquals(RaidLevel.RAID5, level(m, lun, 20 * MB));
            assertEquals(RaidLevel.RAID1, level(m, lun, 33 * MB));
            assertEquals(RaidLevel.RAID0, lun.raidLevelAt(40));
        }
        try (Pool p = pool(); Mapping m = open(p)) {
            LogicalDisk lun = m.disk("mixed");
            assertEquals(RaidLevel.RAID5, lun.raidLevelAt(31));
            assertEquals(RaidLevel.RAID1, lun.raidLevelAt(39));
            assertEquals(3, read(lun, 33 * MB, 1)[0]);
        }
    }

    static RaidLevel level(Mapping m, LogicalDisk d, long off) {
        long addr = d.translate(off);
        assertNotEquals(PhysicalAddress.UNMAPPED, addr);
        return m.rstore(addr).level();
    }
}
