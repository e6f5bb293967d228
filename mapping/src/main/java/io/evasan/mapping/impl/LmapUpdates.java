package io.evasan.mapping.impl;

import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.lmap.LmapEntry;
import io.evasan.mapping.rsd.PhysicalAddress;
import io.evasan.mapping.rsd.RsdTable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The logged changes of LMAP entries and of the RSEG ownership they carry: link a reserved RSEG, unlink a
 * HOLDER entry (freeing its RStore when it was the last), compare-and-set of the other bits, the HOLDER
 * hand-offs between disks, and dropping or truncating a disk's maps.
 *
 * <p><b>Invariant</b>: each change is checked against the expected entry, appended to the PLDMC log and
 * only then applied to the in-memory map, all under the mapping's {@code meta} lock; a disk's
 * {@code held} count follows its HOLDER entries. An RStore that no entry holds any more is logged free
 * under the lock and given back to its disk group after it.
 */
final class LmapUpdates {
    private final MappingImpl mapping;

    LmapUpdates(MappingImpl mapping) {
        this.mapping = mapping;
    }

    boolean link(LogicalDiskImpl d, long seg, int expect, long addr, int userBits) {
        if (LmapEntry.holder(expect)) {
            throw new IllegalArgumentException("linkRseg over a HOLDER entry " + LmapEntry.toString(expect)
                    + "; unlink it first");
        }
        if (PhysicalAddress.group(addr) != d.table.groupId()) {
            throw new IllegalArgumentException("RSEG " + PhysicalAddress.toString(addr) + " is not in disk group "
                    + d.table.groupId());
        }
        int slot = PhysicalAddress.slot(addr);
        int idx = PhysicalAddress.rsegIndex(addr);
        int e = LmapEntry.encode(slot, idx, true, userBits);
        mapping.meta.lock();
        try {
            d.checkLive();
            if (d.table.rstore(slot) == null || (d.table.used(slot) & (1 << idx)) == 0) {
                throw new IllegalArgumentException("RSEG " + PhysicalAddress.toString(addr) + " is not reserved");
            }
            if (d.map.get(seg) != expect) {
                return false;
            }
            mapping.txn.reset().set(d.id, (int) seg, e);
            mapping.appendLocked();
            d.map.set(seg, e);
            d.held++;
            mapping.stats.rsegAllocated();
            return true;
        } finally {
            mapping.unlockMeta();
        }
    }

    boolean unlink(LogicalDiskImpl d, long seg, int expect, int update) {
        if (!LmapEntry.holder(expect) || LmapEntry.holder(update)) {
            throw new IllegalArgumentException("unlinkRseg needs a HOLDER expect and a non-holder update: "
                    + LmapEntry.toString(expect) + " -> " + LmapEntry.toString(update));
        }
        long freeId = -1;
        mapping.meta.lock();
        try {
            d.checkLive();
            if (d.map.get(seg) != expect) {
                return false;
            }
            RsdTable t = d.table;
            int slot = LmapEntry.slot(expect);
            int u = t.used(slot) & ~(1 << LmapEntry.rseg(expect));
            mapping.txn.reset().set(d.id, (int) seg, update);
            if (u == 0) {
                mapping.txn.rsdFree(t.groupId(), slot);
            }
            mapping.appendLocked();
            d.map.set(seg, update);
            d.held--;
            mapping.stats.rsegFreed();
            if (u == 0) {
                freeId = t.rstore(slot).rsdId();
                t.remove(slot);
            } else {
                t.setUsed(slot, u);
                t.setDirty(slot, t.dirty(slot) | (1 << LmapEntry.rseg(expect)));
            }
        } finally {
            mapping.unlockMeta();
        }
        if (freeId >= 0) {
            mapping.freeRStore(d.table.diskGroup(), freeId);
        }
        return true;
    }

    boolean cas(LogicalDiskImpl d, long seg, int expect, int update) {
        if (LmapEntry.holder(expect) != LmapEntry.holder(update)
                || (LmapEntry.holder(expect) && !LmapEntry.samePointer(expect, update))) {
            throw new IllegalArgumentException("compareAndSetEntry cannot move ownership: " + LmapEntry.toString(expect)
                    + " -> " + LmapEntry.toString(update) + " (use link/unlink/transferHolder)");
        }
        if (LmapEntry.allocated(update) && d.tableOf(update).rstore(LmapEntry.slot(update)) == null) {
            throw new IllegalArgumentException("entry points at empty RSD slot: " + LmapEntry.toString(update));
        }
        mapping.meta.lock();
        try {
            d.checkLive();
            if (d.map.get(seg) != expect) {
                return false;
            }
            if (expect == update) {
                return true;
            }
            mapping.txn.reset().set(d.id, (int) seg, update);
            mapping.appendLocked();
            d.map.set(seg, update);
            return true;
        } finally {
            mapping.unlockMeta();
        }
    }

    boolean transferHolder(LogicalDisk fromDisk, long fromSeg, int fromExpect, int fromUpdate,
                           LogicalDisk toDisk, long toSeg, int toExpect, int toUpdate) {
        LogicalDiskImpl from = (LogicalDiskImpl) fromDisk;
        LogicalDiskImpl to = (LogicalDiskImpl) toDisk;
        from.checkSegment(fromSeg);
        to.checkSegment(toSeg);
        if (from.table != to.table) {
            throw new IllegalArgumentException("transferHolder across disk groups");
        }
        if (!LmapEntry.holder(fromExpect) || LmapEntry.holder(fromUpdate) || LmapEntry.holder(toExpect)
                || !LmapEntry.holder(toUpdate) || !LmapEntry.samePointer(fromExpect, toUpdate)) {
            throw new IllegalArgumentException("transferHolder needs from: HOLDER -> non-holder and to: non-holder -> "
                    + "HOLDER of the same RSEG");
        }
        if (from == to && fromSeg == toSeg) {
            throw new IllegalArgumentException("transferHolder to the same entry");
        }
        mapping.meta.lock();
        try {
            from.checkLive();
            to.checkLive();
            if (from.map.get(fromSeg) != fromExpect || to.map.get(toSeg) != toExpect) {
                return false;
            }
            mapping.txn.reset().set(from.id, (int) fromSeg, fromUpdate).set(to.id, (int) toSeg, toUpdate);
            mapping.appendLocked();
            from.map.set(fromSeg, fromUpdate);
            to.map.set(toSeg, toUpdate);
            from.held--;
            to.held++;
            return true;
        } finally {
            mapping.unlockMeta();
        }
    }

    boolean transferHolderAndLink(LogicalDisk fromDisk, long fromSeg, int fromExpect, long fresh, int fromUserBits,
                                  LogicalDisk toDisk, long toSeg, int toExpect, int toUpdate) {
        LogicalDiskImpl from = (LogicalDiskImpl) fromDisk;
        LogicalDiskImpl to = (LogicalDiskImpl) toDisk;
        from.checkSegment(fromSeg);
        to.checkSegment(toSeg);
        if (from.table != to.table || PhysicalAddress.group(fresh) != from.table.groupId()) {
            throw new IllegalArgumentException("transferHolderAndLink across disk groups");
        }
        if (!LmapEntry.holder(fromExpect) || LmapEntry.holder(toExpect) || !LmapEntry.holder(toUpdate)
                || !LmapEntry.samePointer(fromExpect, toUpdate)) {
            throw new IllegalArgumentException("transferHolderAndLink needs from: HOLDER, to: non-holder -> HOLDER of "
                    + "the same RSEG");
        }
        if (from == to && fromSeg == toSeg) {
            throw new IllegalArgumentException("transferHolderAndLink to the same entry");
        }
        int slot = PhysicalAddress.slot(fresh);
        int idx = PhysicalAddress.rsegIndex(fresh);
        int fromUpdate = LmapEntry.encode(slot, idx, true, fromUserBits);
        mapping.meta.lock();
        try {
            from.checkLive();
            to.checkLive();
            if (from.table.rstore(slot) == null || (from.table.used(slot) & (1 << idx)) == 0) {
                throw new IllegalArgumentException("RSEG " + PhysicalAddress.toString(fresh) + " is not reserved");
            }
            if (from.map.get(fromSeg) != fromExpect || to.map.get(toSeg) != toExpect) {
                return false;
            }
            mapping.txn.reset().set(to.id, (int) toSeg, toUpdate).set(from.id, (int) fromSeg, fromUpdate);
            mapping.appendLocked();
            to.map.set(toSeg, toUpdate);
            from.map.set(fromSeg, fromUpdate);
            to.held++;
            mapping.stats.rsegAllocated();
            return true;
        } finally {
            mapping.unlockMeta();
        }
    }

    /** Frees every RSEG {@code d} holds at segments >= from, and drops (all) or truncates its maps. */
    void dropMaps(LogicalDiskImpl d, long from, boolean drop) {
        List<Long> toFree = new ArrayList<>();
        mapping.meta.lock();
        try {
            RsdTable t = d.table;
            Map<Integer, Integer> masks = new HashMap<>();
            long[] freed = {0};
            d.map.forEachNonZero((seg, e) -> {
                if (seg >= from && LmapEntry.holder(e)) {
                    int slot = LmapEntry.slot(e);
                    int u = masks.getOrDefault(slot, t.used(slot));
                    masks.put(slot, u & ~(1 << LmapEntry.rseg(e)));
                    freed[0]++;
                }
            });
            mapping.txn.reset();
            if (drop) {
                mapping.txn.drop(d.id);
            } else {
                mapping.txn.truncate(d.id, (int) from);
            }
            for (Map.Entry<Integer, Integer> m : masks.entrySet()) {
                if (m.getValue() == 0) {
                    mapping.txn.rsdFree(t.groupId(), m.getKey());
                }
            }
            mapping.appendLocked();
            if (drop) {
                mapping.maps.remove(d.id);
                mapping.materialized.remove(d.id);
            }
            d.map.truncate(from);
            d.held -= freed[0];
            for (int i = 0; i < freed[0]; i++) {
                mapping.stats.rsegFreed();
            }
            for (Map.Entry<Integer, Integer> m : masks.entrySet()) {
                if (m.getValue() == 0) {
                    toFree.add(t.rstore(m.getKey()).rsdId());
                    t.remove(m.getKey());
                } else {
                    t.setDirty(m.getKey(), t.dirty(m.getKey()) | (t.used(m.getKey()) & ~m.getValue()));
                    t.setUsed(m.getKey(), m.getValue());
                }
            }
        } finally {
            mapping.unlockMeta();
        }
        for (long id : toFree) {
            mapping.freeRStore(d.table.diskGroup(), id);
        }
    }
}
