package io.evasan.mapping.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.lmap.LmapEntry;
import io.evasan.mapping.rsd.PhysicalAddress;
import io.evasan.mapping.rsd.RsdTable;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

import java.nio.ByteBuffer;

/**
 * RSEG allocation for the logical disks: reserving one RSEG (packed into an RStore a neighbouring segment
 * already uses, else a new RStore), reserving a run of a new RStore, and releasing a reserved RSEG.
 *
 * <p><b>Invariant</b>: every change of an RSD slot's used / dirty mask is made under the mapping's
 * {@code meta} lock; a new RStore is logged ({@code rsdAdd}) before any RSEG of it is handed out, and a
 * freed one ({@code rsdFree}) is logged before it goes back to its disk group. A reserved RSEG that held
 * data before (dirty) is zeroed, and the zeros forced, before it is returned: a map record that makes a disk
 * read a newly written RSEG instead of what it read before (here: zeros) is durable only after that RSEG's
 * data is, so a power cut never leaves a linked RSEG reading a freed segment's bytes.
 */
final class RsegAllocator {
    private final MappingImpl mapping;

    RsegAllocator(MappingImpl mapping) {
        this.mapping = mapping;
    }

    long reserve(LogicalDiskImpl d, long seg) {
        RaidLevel level = d.raidLevelAt(seg);
        RsdTable t = d.table;
        int want = (int) (seg & 7);
        long addr;
        boolean needZero;
        mapping.meta.lock();
        try {
            d.checkLive();
            int slot = -1;
            int idx = -1;
            long base = seg & ~7L;
            for (long s = base; s < base + 8 && slot < 0; s++) {
                int e = d.map.get(s);
                if (LmapEntry.holder(e)) {
                    int sl = LmapEntry.slot(e);
                    RStore rs = t.rstore(sl);
                    int u = t.used(sl);
                    if (rs != null && rs.level() == level && u != 0xFF) {
                        slot = sl;
                        idx = (u & (1 << want)) == 0 ? want : Integer.numberOfTrailingZeros(~u);
                    }
                }
            }
            if (slot >= 0) {
                t.setUsed(slot, t.used(slot) | (1 << idx));
                needZero = (t.dirty(slot) & (1 << idx)) != 0;
                t.setDirty(slot, t.dirty(slot) & ~(1 << idx));
            } else {
                slot = newRStoreLocked(t, level);
                idx = want;
                t.setUsed(slot, 1 << idx);
                needZero = false;
            }
            addr = PhysicalAddress.rseg(t.groupId(), slot, idx);
        } finally {
            mapping.unlockMeta();
        }
        if (needZero) {
            try {
                zeroRseg(t, addr);
                t.diskGroup().flush();   // the zeros before any link to it (no per-RStore force in the RAID layer)
            } catch (RuntimeException e) {
                releaseRseg(addr);
                throw e;
            }
        }
        return addr;
    }

    /**
     * Allocates an RStore of {@code level} in {@code t}'s disk group into a free RSD slot, logged
     * ({@code rsdAdd}) before it is used; its used bits are the caller's to set. Caller holds meta.
     *
     * @return the slot
     * @throws StorageException SPACE_ALLOCATION_FAILED (no free slot or PSEGs; nothing changed)
     */
    private int newRStoreLocked(RsdTable t, RaidLevel level) {
        int slot = t.freeSlot();
        if (slot > LmapEntry.MAX_SLOT) {
            mapping.stats.spaceAllocationFailed();
            throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "disk group " + t.groupId()
                    + " has no free RSD slot");
        }
        RStore rs;
        try {
            rs = t.diskGroup().allocate(level);
        } catch (StorageException e) {
            if (e.code() == ErrorCode.SPACE_ALLOCATION_FAILED) {
                mapping.stats.spaceAllocationFailed();
            }
            throw e;
        }
        mapping.txn.reset().rsdAdd(t.groupId(), slot, rs.rsdId());
        try {
            mapping.appendLocked();
        } catch (RuntimeException e) {
            mapping.freeRStore(t.diskGroup(), rs.rsdId());
            throw e;
        }
        mapping.stats.rstoreAllocated();
        t.put(slot, rs);
        return slot;
    }

    /** {@code count} RSEGs of one new RStore at the level of {@code seg} (see {@link LogicalDisk#reserveRsegs}). */
    long[] reserveRStore(LogicalDiskImpl d, long seg, int count) {
        RaidLevel level = d.raidLevelAt(seg);
        RsdTable t = d.table;
        long[] out = new long[count];
        mapping.meta.lock();
        try {
            d.checkLive();
            int slot = newRStoreLocked(t, level);
            t.setUsed(slot, (1 << count) - 1);
            for (int i = 0; i < count; i++) {
                out[i] = PhysicalAddress.rseg(t.groupId(), slot, i);
            }
        } finally {
            mapping.unlockMeta();
        }
        return out;
    }

    private static final ByteBuffer ZERO_MB = ByteBuffer.allocateDirect((int) Mapping.SEGMENT_BYTES).asReadOnlyBuffer();

    private static void zeroRseg(RsdTable t, long addr) {
        RStore rs = t.rstore(PhysicalAddress.slot(addr));
        rs.write(PhysicalAddress.offset(addr), ZERO_MB.duplicate());
    }

    void releaseRseg(long addr) {
        RsdTable t = mapping.table(PhysicalAddress.group(addr));
        int slot = PhysicalAddress.slot(addr);
        int bit = 1 << PhysicalAddress.rsegIndex(addr);
        long freeId = -1;
        mapping.meta.lock();
        try {
            if (t.rstore(slot) == null || (t.used(slot) & bit) == 0) {
                throw new IllegalArgumentException("RSEG " + PhysicalAddress.toString(addr) + " is not reserved");
            }
            int u = t.used(slot) & ~bit;
            if (u == 0) {
                mapping.txn.reset().rsdFree(t.groupId(), slot);
                mapping.appendLocked();
                freeId = t.rstore(slot).rsdId();
                t.remove(slot);
            } else {
                t.setUsed(slot, u);
                t.setDirty(slot, t.dirty(slot) | bit);
            }
        } finally {
            mapping.unlockMeta();
        }
        if (freeId >= 0) {
            mapping.freeRStore(t.diskGroup(), freeId);
        }
    }
}
