package io.evasan.mapping.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.LunRecordDescriptor;
import io.evasan.mapping.LunRecordDescriptor.LunRecord;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.l2map.L2Map;
import io.evasan.mapping.lmap.LmapEntry;
import io.evasan.mapping.rsd.RsdTable;
import io.evasan.mld.MldBatch;
import io.evasan.raid.rstore.RaidLevel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The catalogue of logical disks: their records in the MLD (kind {@code lun}, {@link LunRecordDescriptor})
 * and the name / id tables: create, pointer-copy snapshot disks, delete, resize, RAID level per range,
 * lock domain, and the end of a disk's foreign group.
 *
 * <p><b>Invariant</b>: {@link #catalog} serialises every catalogue change; each one is committed to the
 * MLD before the in-memory tables and disks show it, and map changes it causes (the pointer copy, dropped
 * or truncated maps) take the mapping's {@code meta} lock inside it (lock order: catalog, then meta).
 */
final class LunCatalogue {
    private final MappingImpl mapping;
    /** Serialises catalogue (MLD) changes and the name/id tables. */
    private final Object catalog = new Object();

    LunCatalogue(MappingImpl mapping) {
        this.mapping = mapping;
    }

    static void validateSize(long size) {
        if (size <= 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "size must be at least 1 MB, got " + size);
        }
        if (size > Mapping.MAX_LUN_BYTES) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "size " + size + " exceeds the 2 TB maximum");
        }
        if (size % Mapping.SEGMENT_BYTES != 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "size " + size + " is not a multiple of 1 MB");
        }
    }

    private static void validateName(String name) {
        if (name == null || name.isEmpty() || name.length() > 128) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "name must be 1..128 characters");
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, "name contains a control character");
            }
        }
    }

    LogicalDisk create(String name, long sizeBytes, RaidLevel level, int diskGroupId) {
        if (level == null) {
            throw new IllegalArgumentException("level is null");
        }
        mapping.checkOpen();
        validateName(name);
        validateSize(sizeBytes);
        RsdTable t = mapping.table(diskGroupId);
        synchronized (catalog) {
            if (mapping.byName.containsKey(name)) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "logical disk '" + name + "' already exists");
            }
            int id = mapping.nextId;
            long now = System.currentTimeMillis();
            LunRecord r = new LunRecord(id, name, sizeBytes, diskGroupId, id, now, now, -1, 0, 0,
                    new long[] {0}, new RaidLevel[] {level});
            commitNew(r);
            L2Map m;
            mapping.meta.lock();
            try {
                m = mapping.maps.computeIfAbsent(id, x -> new L2Map());
            } finally {
                mapping.unlockMeta();
            }
            LogicalDiskImpl d = new LogicalDiskImpl(mapping, r, m, t);
            mapping.byId.put(id, d);
            mapping.byName.put(name, d);
            return d;
        }
    }

    LogicalDisk createSnapshotDisk(String sourceName, String newName, int sourceUserBits, int copyUserBits,
                                   int keepSourceBits, int diskGroup) {
        if ((sourceUserBits & ~LmapEntry.USER_BITS) != 0 || (copyUserBits & ~LmapEntry.USER_BITS) != 0
                || (keepSourceBits & ~LmapEntry.USER_BITS) != 0) {
            throw new IllegalArgumentException("bits must be within LmapEntry.USER_BITS");
        }
        // the log record and the catalogue carry "bits to set" in bits 0..7 and "source bits to
        // keep" in bits 8..15 of one int (see PldmcLogDescriptor CLONE)
        copyUserBits |= keepSourceBits << 8;
        mapping.checkOpen();
        validateName(newName);
        synchronized (catalog) {
            LogicalDiskImpl src = (LogicalDiskImpl) mapping.disk(sourceName);
            if (mapping.byName.containsKey(newName)) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "logical disk '" + newName + "' already exists");
            }
            int id = mapping.nextId;
            long now = System.currentTimeMillis();
            LunRecord sr = src.record;
            if (src.foreign != null) {
                // its HOLDER and non-HOLDER entries resolve in two groups; a pointer copy could not tell them apart
                throw new StorageException(ErrorCode.INVALID_STATE, "logical disk '" + sourceName
                        + "' points into disk group " + src.foreign.groupId() + "; no pointer copy of it");
            }
            boolean away = diskGroup >= 0 && diskGroup != sr.diskGroupId();
            RsdTable own = away ? mapping.table(diskGroup) : src.table;
            RsdTable foreign = away ? src.table : null;
            LunRecord r = new LunRecord(id, newName, src.sizeBytes(), own.groupId(), src.lockDomain(), now, now,
                    src.id, sourceUserBits, copyUserBits, sr.runStarts(), sr.runLevels(),
                    foreign == null ? -1 : foreign.groupId());
            commitNew(r);
            L2Map m;
            mapping.meta.lock();
            try {
                mapping.txn.reset().clone(src.id, id, sourceUserBits, copyUserBits);
                mapping.appendLocked();
                m = mapping.maps.computeIfAbsent(id, x -> new L2Map());
                m.cloneFrom(src.map, sourceUserBits, copyUserBits);
                mapping.materialized.add(id);
            } finally {
                mapping.unlockMeta();
            }
            mapping.stats.snapshotCreated();
            LogicalDiskImpl d = new LogicalDiskImpl(mapping, r, m, own, foreign);
            mapping.byId.put(id, d);
            mapping.byName.put(newName, d);
            return d;
        }
    }

    void delete(String name) {
        mapping.checkOpen();
        LogicalDiskImpl d;
        synchronized (catalog) {
            d = (LogicalDiskImpl) mapping.disk(name);
            mapping.mld.commit(new MldBatch().remove(LunRecordDescriptor.KIND, LunRecordDescriptor.key(d.id)));
            mapping.byName.remove(name);
            mapping.byId.remove(d.id);
            d.deleted = true;
        }
        mapping.lmap.dropMaps(d, 0, true);
    }

    void resize(String name, long newSize, boolean force) {
        mapping.checkOpen();
        validateSize(newSize);
        LogicalDiskImpl d;
        boolean shrink;
        synchronized (catalog) {
            d = (LogicalDiskImpl) mapping.disk(name);
            long newSegs = newSize >>> MappingImpl.SEG_SHIFT;
            shrink = newSize < d.sizeBytes();
            if (shrink) {
                int[] worst = {0};
                d.map.forEachNonZero((seg, e) -> {
                    if (seg >= newSegs) {
                        if ((e & (LmapEntry.SP | LmapEntry.SS)) != 0) {
                            worst[0] = 2;
                        } else if (LmapEntry.allocated(e) && worst[0] == 0) {
                            worst[0] = 1;
                        }
                    }
                });
                if (worst[0] == 2) {
                    throw new StorageException(ErrorCode.INVALID_STATE, "cannot shrink '" + name
                            + "': segments beyond the new end are shared with a snapshot");
                }
                if (worst[0] == 1 && !force) {
                    throw new StorageException(ErrorCode.INVALID_STATE, "cannot shrink '" + name + "' to " + newSize
                            + " bytes: data is allocated beyond the new end (use force)");
                }
            }
            LunRecord r = d.record.withSize(newSize, System.currentTimeMillis());
            commitRecord(d, r);
            d.size = newSize;
        }
        if (shrink) {
            mapping.lmap.dropMaps(d, newSize >>> MappingImpl.SEG_SHIFT, false);
        }
    }

    void setRaidLevel(String name, long first, long count, RaidLevel level) {
        if (level == null) {
            throw new IllegalArgumentException("level is null");
        }
        mapping.checkOpen();
        synchronized (catalog) {
            LogicalDiskImpl d = (LogicalDiskImpl) mapping.disk(name);
            if (first < 0 || count <= 0 || first + count > d.segments()) {
                throw new StorageException(ErrorCode.OUT_OF_RANGE, "segments [" + first + ", " + (first + count)
                        + ") are not inside '" + name + "' (" + d.segments() + " segments)");
            }
            TreeMap<Long, RaidLevel> runs = new TreeMap<>();
            LunRecord r = d.record;
            for (int i = 0; i < r.runStarts().length; i++) {
                runs.put(r.runStarts()[i], r.runLevels()[i]);
            }
            RaidLevel after = runs.floorEntry(first + count).getValue();
            runs.subMap(first, true, first + count, true).clear();
            runs.put(first, level);
            if (!runs.containsKey(first + count)) {
                runs.put(first + count, after);
            }
            List<Long> starts = new ArrayList<>();
            List<RaidLevel> levels = new ArrayList<>();
            for (Map.Entry<Long, RaidLevel> e : runs.entrySet()) {
                if (levels.isEmpty() || levels.get(levels.size() - 1) != e.getValue()) {
                    starts.add(e.getKey());
                    levels.add(e.getValue());
                }
            }
            long[] s = starts.stream().mapToLong(Long::longValue).toArray();
            RaidLevel[] l = levels.toArray(new RaidLevel[0]);
            LunRecord nr = r.withRuns(s, l, System.currentTimeMillis());
            commitRecord(d, nr);
            d.setRuns(s, l);
        }
    }

    void setLockDomain(String name, int lockDomain) {
        mapping.checkOpen();
        synchronized (catalog) {
            LogicalDiskImpl d = (LogicalDiskImpl) mapping.disk(name);
            LunRecord nr = d.record.withLockDomain(lockDomain, System.currentTimeMillis());
            commitRecord(d, nr);
            d.domain = lockDomain;
        }
    }

    void clearForeignGroup(String name) {
        mapping.checkOpen();
        synchronized (catalog) {
            LogicalDiskImpl d = (LogicalDiskImpl) mapping.disk(name);
            if (d.foreign == null) {
                return;
            }
            boolean[] foreignEntry = {false};
            d.map.forEachNonZero((seg, e) -> {
                if (LmapEntry.allocated(e) && !LmapEntry.holder(e)) {
                    foreignEntry[0] = true;
                }
            });
            if (foreignEntry[0]) {
                throw new StorageException(ErrorCode.INVALID_STATE, "logical disk '" + name
                        + "' still points into disk group " + d.foreign.groupId());
            }
            LunRecord r = d.record;
            LunRecord nr = new LunRecord(r.id(), r.name(), r.sizeBytes(), r.diskGroupId(), r.lockDomain(),
                    r.createdMillis(), System.currentTimeMillis(), r.cloneSource(), r.cloneSourceBits(),
                    r.cloneCopyBits(), r.runStarts(), r.runLevels(), -1);
            commitRecord(d, nr);
            d.foreign = null;
        }
    }

    /** Commits the record of a new disk and the next free id after it to the MLD; caller holds {@link #catalog}. */
    private void commitNew(LunRecord r) {
        int id = r.id();
        mapping.mld.commit(new MldBatch().put(LunRecordDescriptor.KIND, LunRecordDescriptor.key(id), LunRecordDescriptor.encode(r))
                .put(LunRecordDescriptor.META_KIND, LunRecordDescriptor.NEXT_ID_KEY, LunRecordDescriptor.encodeInt(id + 1)));
        mapping.nextId = id + 1;
    }

    /** Commits {@code d}'s changed record to the MLD, then shows it in memory; caller holds {@link #catalog}. */
    private void commitRecord(LogicalDiskImpl d, LunRecord r) {
        mapping.mld.commit(new MldBatch().put(LunRecordDescriptor.KIND, LunRecordDescriptor.key(d.id), LunRecordDescriptor.encode(r)));
        d.record = r;
    }
}
