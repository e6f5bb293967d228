package io.evasan.nsc.lun.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunStore;
import io.evasan.nsc.lun.LunTable;
import io.evasan.nsc.lun.LunTableDescriptor;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.SnapshotRecord;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@link LunTable} kept in a {@link LunStore} (a checksummed file rewritten whole, or one record of the
 * mirrored MLD per LUN, snapshot and presentation): every change hands the store the state before and
 * after, atomically; the MLD store writes only the records that differ.
 *
 * <p>Invariant: the in-memory state equals the stored content after every returned call; a failed
 * store leaves the in-memory state unchanged (nothing changed). {@code lunsByName}, {@code lunsById}
 * and {@code usedIds} (ids of LUNs and identified snapshots) index {@code state} and are updated by
 * what each commit changed, so a create or delete does not scan the table.
 */
public final class StoredLunTable implements LunTable {
    private final LunStore store;
    private final SecureRandom random = new SecureRandom();
    private LunTableDescriptor.Content state;
    private final java.util.Map<String, LunRecord> lunsByName = new java.util.HashMap<>();
    private final java.util.Map<Integer, LunRecord> lunsById = new java.util.HashMap<>();
    private final java.util.BitSet usedIds = new java.util.BitSet();

    private StoredLunTable(LunStore store, LunTableDescriptor.Content state) {
        this.store = store;
        this.state = state;
        index(new LunTableDescriptor.Content(0, List.of(), List.of(), List.of(), -1, -1), state);
    }

    /** Updates the indexes from {@code before} to {@code next}: removals first (a promotion moves an id). */
    private void index(LunTableDescriptor.Content before, LunTableDescriptor.Content next) {
        List<LunRecord> luns = new ArrayList<>();
        List<SnapshotRecord> snaps = new ArrayList<>();
        RecordDiff.diff(before.luns(), next.luns(), LunRecord::id, (was, r) -> {
            if (was != null) {
                unindex(was);
            }
            luns.add(r);
        }, this::unindex);
        RecordDiff.diff(before.snapshots(), next.snapshots(), SnapshotRecord::name, (was, r) -> {
            if (was != null && was.id() >= 0) {
                usedIds.clear(was.id());
            }
            snaps.add(r);
        }, r -> {
            if (r.id() >= 0) {
                usedIds.clear(r.id());
            }
        });
        for (LunRecord r : luns) {
            lunsByName.put(r.name(), r);
            lunsById.put(r.id(), r);
            usedIds.set(r.id());
        }
        for (SnapshotRecord r : snaps) {
            if (r.id() >= 0) {
                usedIds.set(r.id());
            }
        }
    }

    private void unindex(LunRecord r) {
        lunsByName.remove(r.name(), r);
        lunsById.remove(r.id(), r);
        usedIds.clear(r.id());
    }

    /**
     * Opens the table kept in {@code store} (empty if it holds nothing) and bumps its generation.
     *
     * @throws StorageException CORRUPT_METADATA for damaged content (left untouched), IO_ERROR
     */
    public static StoredLunTable open(LunStore store) {
        LunTableDescriptor.Content loaded = store.load();
        LunTableDescriptor.Content c = loaded != null ? loaded
                : new LunTableDescriptor.Content(0, List.of(), List.of(), List.of(), -1, -1);
        StoredLunTable t = new StoredLunTable(store, c);
        synchronized (t) {
            t.commit(new LunTableDescriptor.Content(c.generation() + 1, c.luns(), c.presentations(),
                    t.withIdentities(c.snapshots()), c.backupDisk(), c.backupLogDisk()));
        }
        return t;
    }

    /** Snapshots of a version-1 table get the lowest free ids, new uids and their source's size. */
    private List<SnapshotRecord> withIdentities(List<SnapshotRecord> snaps) {
        List<SnapshotRecord> out = new ArrayList<>(snaps);
        for (int i = 0; i < out.size(); i++) {
            SnapshotRecord s = out.get(i);
            if (s.id() < 0) {
                LunRecord src = byId(s.lunId());
                long size = s.sizeBytes() > 0 ? s.sizeBytes() : src != null ? src.sizeBytes() : 512;
                int id = freeId(state.luns(), out, LunTable.FIRST_SNAPSHOT_ID);
                out.set(i, s.withIdentity(id, random.nextLong(), size));
            }
        }
        return out;
    }

    /** Lowest int id from {@code from} on that no LUN and no (identified) snapshot holds. */
    private static int freeId(List<LunRecord> luns, List<SnapshotRecord> snaps, int from) {
        java.util.BitSet used = new java.util.BitSet();
        for (LunRecord r : luns) {
            used.set(r.id());
        }
        for (SnapshotRecord s : snaps) {
            if (s.id() >= 0) {
                used.set(s.id());
            }
        }
        return used.nextClearBit(from);
    }

    private void commit(LunTableDescriptor.Content next) {
        store.store(state, next);
        index(state, next);
        state = next;
    }

    private LunTableDescriptor.Content with(List<LunRecord> l, List<Presentation> p, List<SnapshotRecord> s) {
        return new LunTableDescriptor.Content(state.generation(), List.copyOf(l), List.copyOf(p), List.copyOf(s),
                state.backupDisk(), state.backupLogDisk());
    }

    @Override
    public synchronized long generation() {
        return state.generation();
    }

    @Override
    public synchronized LunRecord create(String name, LunRecord.Kind kind, long disk, long sizeBytes,
                                         java.util.function.IntPredicate referenced) {
        if (name == null || name.isEmpty() || name.length() > 255) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN name must be 1..255 characters");
        }
        if (byName(name) != null) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "a LUN named '" + name + "' already exists");
        }
        int id = usedIds.nextClearBit(0);
        while (referenced.test(id)) {
            id = usedIds.nextClearBit(id + 1);
        }
        long uid = random.nextLong();
        LunRecord rec = new LunRecord(id, name, kind, uid, disk, sizeBytes);
        commit(with(withLun(rec), state.presentations(), state.snapshots()));
        return rec;
    }

    @Override
    public synchronized LunRecord resize(int lunId, long sizeBytes) {
        LunRecord old = byId(lunId);
        if (old == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no LUN with id " + lunId);
        }
        if (sizeBytes <= 0 || sizeBytes % 512 != 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN size " + sizeBytes
                    + " must be a positive multiple of 512 bytes");
        }
        LunRecord rec = new LunRecord(old.id(), old.name(), old.kind(), old.uid(), old.disk(), sizeBytes);
        List<LunRecord> l = new ArrayList<>(state.luns());
        l.replaceAll(r -> r.id() == lunId ? rec : r);
        commit(with(l, state.presentations(), state.snapshots()));
        return rec;
    }

    @Override
    public synchronized void remove(int lunId) {
        if (byId(lunId) == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no LUN with id " + lunId);
        }
        List<LunRecord> l = new ArrayList<>(state.luns());
        l.removeIf(r -> r.id() == lunId);
        List<Presentation> p = new ArrayList<>(state.presentations());
        p.removeIf(x -> x.lunId() == lunId);
        List<SnapshotRecord> s = new ArrayList<>(state.snapshots());
        java.util.Set<Integer> gone = new java.util.HashSet<>();
        gone.add(lunId);
        for (SnapshotRecord x : s) {
            if (x.lunId() == lunId) {
                gone.add(x.id());
            }
        }
        s.removeIf(x -> x.lunId() == lunId);
        p.removeIf(x -> gone.contains(x.lunId()));
        commit(with(l, p, s));
    }

    /** The LUNs with {@code rec} inserted at its place by id. */
    private List<LunRecord> withLun(LunRecord rec) {
        List<LunRecord> l = new ArrayList<>(state.luns().size() + 1);
        l.addAll(state.luns());
        int at = java.util.Collections.binarySearch(l, rec, Comparator.comparingInt(LunRecord::id));
        l.add(at < 0 ? -at - 1 : at, rec);
        return l;
    }

    @Override
    public synchronized LunRecord byId(int lunId) {
        return lunsById.get(lunId);
    }

    @Override
    public synchronized LunRecord byName(String name) {
        return lunsByName.get(name);
    }

    @Override
    public synchronized List<LunRecord> luns() {
        return state.luns();
    }

    @Override
    public synchronized void present(String initiator, int hostLun, int lunId) {
        if (byId(lunId) == null && snapshotById(lunId) == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no LUN with id " + lunId);
        }
        List<Presentation> p = new ArrayList<>(state.presentations());
        for (Presentation x : p) {
            if (x.initiator().equals(initiator) && x.hostLun() == hostLun) {
                if (x.lunId() == lunId) {
                    return;
                }
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "host LUN " + hostLun + " of initiator "
                        + initiator + " already presents LUN " + x.lunId());
            }
        }
        p.add(new Presentation(initiator, hostLun, lunId));
        commit(with(state.luns(), p, state.snapshots()));
    }

    @Override
    public synchronized boolean unpresent(String initiator, int hostLun) {
        List<Presentation> p = new ArrayList<>(state.presentations());
        boolean removed = p.removeIf(x -> x.initiator().equals(initiator) && x.hostLun() == hostLun);
        if (removed) {
            commit(with(state.luns(), p, state.snapshots()));
        }
        return removed;
    }

    @Override
    public synchronized List<Presentation> presentations() {
        return state.presentations();
    }

    @Override
    public synchronized SnapshotRecord addSnapshot(SnapshotRecord record) {
        if (snapshotByName(record.name()) != null) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "a snapshot named '" + record.name() + "' already exists");
        }
        SnapshotRecord rec = record;
        if (rec.id() < 0) {
            long size = rec.sizeBytes();
            if (size == 0) {
                LunRecord src = byId(rec.lunId());
                if (src == null) {
                    throw new StorageException(ErrorCode.NOT_FOUND, "no LUN with id " + rec.lunId());
                }
                size = src.sizeBytes();
            }
            rec = rec.withIdentity(usedIds.nextClearBit(LunTable.FIRST_SNAPSHOT_ID), random.nextLong(), size);
        } else if (byId(rec.id()) != null || snapshotById(rec.id()) != null) {
            throw new IllegalArgumentException("unit id " + rec.id() + " is taken");
        }
        List<SnapshotRecord> s = new ArrayList<>(state.snapshots());
        s.add(rec);
        commit(with(state.luns(), state.presentations(), s));
        return rec;
    }

    @Override
    public synchronized SnapshotRecord removeSnapshot(String name) {
        SnapshotRecord r = snapshotByName(name);
        if (r != null) {
            List<SnapshotRecord> s = new ArrayList<>(state.snapshots());
            s.remove(r);
            List<Presentation> p = new ArrayList<>(state.presentations());
            p.removeIf(x -> x.lunId() == r.id());
            commit(with(state.luns(), p, s));
        }
        return r;
    }

    @Override
    public synchronized LunRecord promote(String snapshotName, String lunName) {
        SnapshotRecord r = snapshotByName(snapshotName);
        if (r == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no snapshot named '" + snapshotName + "'");
        }
        if (lunName == null || lunName.isEmpty() || lunName.length() > 255) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN name must be 1..255 characters");
        }
        if (byName(lunName) != null) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "a LUN named '" + lunName + "' already exists");
        }
        LunRecord rec = new LunRecord(r.id(), lunName, LunRecord.Kind.PRIMARY, r.uid(), r.disk(), r.sizeBytes());
        List<LunRecord> l = withLun(rec);
        List<SnapshotRecord> s = new ArrayList<>(state.snapshots());
        s.remove(r);
        commit(with(l, state.presentations(), s));
        return rec;
    }

    @Override
    public synchronized SnapshotRecord snapshotById(int id) {
        for (SnapshotRecord s : state.snapshots()) {
            if (s.id() == id) {
                return s;
            }
        }
        return null;
    }

    @Override
    public synchronized SnapshotRecord snapshot(long requestId, int lunId) {
        for (SnapshotRecord s : state.snapshots()) {
            if (s.requestId() == requestId && s.lunId() == lunId) {
                return s;
            }
        }
        return null;
    }

    @Override
    public synchronized SnapshotRecord snapshotByName(String name) {
        for (SnapshotRecord s : state.snapshots()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    @Override
    public synchronized List<SnapshotRecord> snapshots() {
        return state.snapshots();
    }

    @Override
    public synchronized long backupSnapshotDisk() {
        return state.backupDisk();
    }

    @Override
    public synchronized long backupLogDisk() {
        return state.backupLogDisk();
    }

    @Override
    public synchronized void setBackupDisks(long snapshotDisk, long logDisk) {
        if (snapshotDisk != state.backupDisk() || logDisk != state.backupLogDisk()) {
            commit(new LunTableDescriptor.Content(state.generation(), state.luns(), state.presentations(),
                    state.snapshots(), snapshotDisk, logDisk));
        }
    }
}
