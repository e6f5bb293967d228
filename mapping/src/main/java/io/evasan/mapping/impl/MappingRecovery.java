package io.evasan.mapping.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.LunRecordDescriptor;
import io.evasan.mapping.LunRecordDescriptor.LunRecord;
import io.evasan.mapping.l2map.L2Map;
import io.evasan.mapping.lmap.LmapEntry;
import io.evasan.mapping.pldmc.Txn;
import io.evasan.mapping.rsd.RsdTable;
import io.evasan.raid.rstore.RStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the mapping runs at open, before it serves anything: the PLDMC replay into the in-memory maps
 * ({@link #replayVisitor}), then {@link #run}: RSD slots bound to their RStores, the catalogue read from
 * the MLD and reconciled with the maps (maps of deleted disks dropped, an interrupted pointer copy redone,
 * maps truncated to a shrunk size), used masks rebuilt from the HOLDER entries, RStores no entry holds
 * freed (and, on an existing log, RStores no RSD slot names), and the logical disks built.
 *
 * <p><b>Invariant</b>: runs once, from {@link MappingImpl#open}, before the mapping is published, so no
 * other thread reaches its state and it takes no lock; every repair is appended to the PLDMC log before
 * the RStores it frees are given back to their disk group. Afterwards an RSD slot's used mask equals the
 * RSEGs its HOLDER entries name.
 */
final class MappingRecovery {
    private final MappingImpl mapping;

    MappingRecovery(MappingImpl mapping) {
        this.mapping = mapping;
    }

    /** Replays PLDMC records into {@code maps} / {@code materialized} and the RSD slots into {@code replayRsd}. */
    static Txn.OpVisitor replayVisitor(Map<Integer, L2Map> maps, Set<Integer> materialized,
                                       Map<Integer, TreeMap<Integer, Long>> replayRsd) {
        return new Txn.OpVisitor() {
            @Override
            public void set(int disk, int segment, int entry) {
                maps.computeIfAbsent(disk, d -> new L2Map()).set(segment, entry);
            }

            @Override
            public void rsdAdd(int group, int slot, long rsdId) {
                replayRsd.computeIfAbsent(group, g -> new TreeMap<>()).put(slot, rsdId);
            }

            @Override
            public void rsdFree(int group, int slot) {
                TreeMap<Integer, Long> m = replayRsd.get(group);
                if (m != null) {
                    m.remove(slot);
                }
            }

            @Override
            public void clone(int src, int dst, int srcBits, int dstBits) {
                L2Map s = maps.computeIfAbsent(src, d -> new L2Map());
                maps.computeIfAbsent(dst, d -> new L2Map()).cloneFrom(s, srcBits, dstBits);
                materialized.add(dst);
            }

            @Override
            public void drop(int disk) {
                maps.remove(disk);
                materialized.remove(disk);
            }

            @Override
            public void truncate(int disk, int fromSegment) {
                L2Map m = maps.get(disk);
                if (m != null) {
                    m.truncate(fromSegment);
                }
            }

            @Override
            public void created(int disk) {
                maps.computeIfAbsent(disk, d -> new L2Map());
                materialized.add(disk);
            }
        };
    }

    /** The repairs and rebuilding after the replay; {@code replayRsd} is what the replay found in the RSD slots. */
    void run(Map<Integer, TreeMap<Integer, Long>> replayRsd) {
        // 1. RSD slots -> RStores
        for (Map.Entry<Integer, TreeMap<Integer, Long>> g : replayRsd.entrySet()) {
            RsdTable t = g.getKey() < mapping.tables.length ? mapping.tables[g.getKey()] : null;
            if (t == null) {
                throw new StorageException(ErrorCode.CORRUPT_METADATA, "PLDMC names disk group " + g.getKey()
                        + " which the pool does not have");
            }
            for (Map.Entry<Integer, Long> s : g.getValue().entrySet()) {
                RStore rs;
                try {
                    rs = t.diskGroup().rstore(s.getValue());
                } catch (StorageException e) {
                    throw new StorageException(ErrorCode.CORRUPT_METADATA, "PLDMC RSD slot " + s.getKey() + " of group "
                            + g.getKey() + " names RStore " + s.getValue() + " which the disk group does not have", e);
                }
                t.put(s.getKey(), rs);
            }
        }
        // 2. catalogue
        Map<Integer, LunRecord> recs = new TreeMap<>();
        for (String k : mapping.mld.keys(LunRecordDescriptor.KIND)) {
            LunRecord r = LunRecordDescriptor.decode(mapping.mld.get(LunRecordDescriptor.KIND, k).orElseThrow());
            recs.put(r.id(), r);
        }
        mapping.nextId = mapping.mld.get(LunRecordDescriptor.META_KIND, LunRecordDescriptor.NEXT_ID_KEY)
                .map(LunRecordDescriptor::decodeInt).orElse(1);
        // 3. reconcile maps with catalogue
        mapping.txn.reset();
        for (Integer d : new ArrayList<>(mapping.maps.keySet())) {
            if (!recs.containsKey(d)) {
                mapping.txn.drop(d);
                mapping.maps.remove(d);
                mapping.materialized.remove(d);
                MappingImpl.LOG.info("PLDMC: dropping maps of disk " + d + " (not in the catalogue: delete interrupted)");
            }
        }
        for (LunRecord r : recs.values()) {
            if (r.cloneSource() >= 0 && !mapping.materialized.contains(r.id())) {
                L2Map src = recs.containsKey(r.cloneSource()) ? mapping.maps.get(r.cloneSource()) : null;
                L2Map dst = mapping.maps.computeIfAbsent(r.id(), d -> new L2Map());
                if (src != null) {
                    mapping.txn.clone(r.cloneSource(), r.id(), r.cloneSourceBits(), r.cloneCopyBits());
                    dst.cloneFrom(src, r.cloneSourceBits(), r.cloneCopyBits());
                    MappingImpl.LOG.info("PLDMC: redoing the interrupted pointer copy " + r.cloneSource() + " -> " + r.id());
                } else {
                    mapping.txn.created(r.id());
                }
                mapping.materialized.add(r.id());
            }
        }
        for (LunRecord r : recs.values()) {
            L2Map m = mapping.maps.get(r.id());
            long segs = r.sizeBytes() >>> MappingImpl.SEG_SHIFT;
            if (m != null && hasEntryFrom(m, segs)) {
                mapping.txn.truncate(r.id(), (int) segs);
                m.truncate(segs);
            }
        }
        // 4. used masks from HOLDER entries
        Map<Integer, Long> held = new HashMap<>();
        for (LunRecord r : recs.values()) {
            L2Map m = mapping.maps.get(r.id());
            if (m == null) {
                continue;
            }
            RsdTable t = mapping.table(r.diskGroupId());
            RsdTable ft = r.foreignGroup() >= 0 ? mapping.table(r.foreignGroup()) : t;
            long[] count = {0};
            m.forEachNonZero((seg, e) -> {
                if (LmapEntry.allocated(e) && (LmapEntry.holder(e) ? t : ft).rstore(LmapEntry.slot(e)) == null) {
                    throw new StorageException(ErrorCode.CORRUPT_METADATA, "disk " + r.name() + " segment " + seg
                            + " points at empty RSD slot " + LmapEntry.slot(e));
                }
                if (LmapEntry.holder(e)) {
                    int bit = 1 << LmapEntry.rseg(e);
                    int u = t.used(LmapEntry.slot(e));
                    if ((u & bit) != 0) {
                        MappingImpl.LOG.warning("RSEG " + LmapEntry.toString(e) + " has two holders (second: disk " + r.name() + ")");
                    }
                    t.setUsed(LmapEntry.slot(e), u | bit);
                    count[0]++;
                }
            });
            held.put(r.id(), count[0]);
        }
        // after a restart, any free RSEG of a live RStore may hold old data
        for (RsdTable t : mapping.tables) {
            if (t != null) {
                t.forEach((slot, rs) -> t.setDirty(slot, ~t.used(slot) & 0xFF));
            }
        }
        // 5. RStores no entry holds (reserved and never linked, or crash mid-free): free
        List<long[]> toFree = new ArrayList<>();
        for (RsdTable t : mapping.tables) {
            if (t == null) {
                continue;
            }
            t.forEach((slot, rs) -> {
                if (t.used(slot) == 0) {
                    mapping.txn.rsdFree(t.groupId(), slot);
                    toFree.add(new long[] {t.groupId(), slot, rs.rsdId()});
                }
            });
        }
        if (mapping.txn.opCount() > 0) {
            mapping.log.append(mapping.txn);
        }
        for (long[] f : toFree) {
            RsdTable t = mapping.tables[(int) f[0]];
            t.remove((int) f[1]);
            mapping.freeRStore(t.diskGroup(), f[2]);
        }
        // 5b. RStores the disk group has but no RSD slot names: a kill between the disk group's
        // allocate (RSD persisted on the drives) and the PLDMC rsdAdd record, or between the PLDMC
        // rsdFree record and the disk group's free. Nothing was ever acknowledged in them (an RSEG is
        // handed out only after rsdAdd is durable, and rsdFree is logged only once nothing holds
        // one), so they are free space. Not done on a newly created log: a lost or misplaced state
        // directory must not wipe the pool.
        if (!mapping.log.created()) {
            reclaimOrphanRStores();
        }
        // 6. disks
        for (LunRecord r : recs.values()) {
            L2Map m = mapping.maps.computeIfAbsent(r.id(), d -> new L2Map());
            LogicalDiskImpl d = new LogicalDiskImpl(mapping, r, m, mapping.table(r.diskGroupId()),
                    r.foreignGroup() >= 0 ? mapping.table(r.foreignGroup()) : null);
            d.held = held.getOrDefault(r.id(), 0L);
            mapping.byName.put(r.name(), d);
            mapping.byId.put(r.id(), d);
            mapping.nextId = Math.max(mapping.nextId, r.id() + 1);
        }
        if (mapping.log.repairNeeded() || mapping.log.compactionDue()) {
            mapping.checkpointLocked();
        }
    }

    private void reclaimOrphanRStores() {
        for (RsdTable t : mapping.tables) {
            if (t == null) {
                continue;
            }
            Set<Long> named = new HashSet<>();
            t.forEach((slot, rs) -> named.add(rs.rsdId()));
            int n = 0;
            for (long id : t.diskGroup().rsdIds()) {
                if (!named.contains(id)) {
                    mapping.freeRStore(t.diskGroup(), id);
                    n++;
                }
            }
            if (n > 0) {
                MappingImpl.LOG.info("PLDMC: freed " + n + " RStore(s) of disk group " + t.groupId()
                        + " that no RSD slot names (allocate or free interrupted by a crash)");
            }
        }
    }

    private static boolean hasEntryFrom(L2Map m, long fromSeg) {
        boolean[] any = {false};
        m.forEachNonZero((seg, e) -> {
            if (seg >= fromSeg) {
                any[0] = true;
            }
        });
        return any[0];
    }
}
