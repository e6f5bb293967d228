package io.evasan.nsc.lun.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
import io.evasan.nsc.lun.LunCatalogDescriptor;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunStore;
import io.evasan.nsc.lun.LunTableDescriptor;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.SnapshotRecord;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * {@link LunStore} in the mirrored MLD, one record per LUN, snapshot and presentation plus one record
 * of table-wide fields ({@link LunCatalogDescriptor}; kinds {@code nsc.lun/<controller>},
 * {@code nsc.snap/<controller>}, {@code nsc.pres/<controller>}, {@code nsc.lunmeta}): the catalogue
 * lives on the pool's quorum drives with generation and checksum, any surviving copy restores it
 * (DESIGN §8), and a store commits only the records that differ, in one atomic MLD commit, so a LUN
 * create, delete or presentation change costs O(1) bytes whatever the number of LUNs.
 *
 * <p>Invariants: after a load or a returned store, the records of this controller are exactly the
 * content last loaded or stored, and {@code orders} holds the order of each snapshot and presentation
 * record. A table found in the whole-table form of earlier releases (one record
 * {@value #LEGACY_KIND}/{@code <controller>}, {@link LunTableDescriptor}) is loaded from it; the first
 * store replaces it by the per-record form in the same commit.
 */
public final class MldLunStore implements LunStore {
    /** The whole-table record earlier releases wrote. */
    public static final String LEGACY_KIND = "nsc.luns";
    public static final String TABLE_KIND = "nsc.lunmeta";

    private final Mld mld;
    private final String key;
    private final String lunKind;
    private final String snapKind;
    private final String presKind;
    private final Map<String, Long> orders = new HashMap<>();
    private long nextOrder;
    private boolean legacy;

    public MldLunStore(Mld mld, String key) {
        this.mld = mld;
        this.key = key;
        this.lunKind = "nsc.lun/" + key;
        this.snapKind = "nsc.snap/" + key;
        this.presKind = "nsc.pres/" + key;
    }

    @Override
    public synchronized LunTableDescriptor.Content load() {
        Optional<byte[]> old = mld.get(LEGACY_KIND, key);
        if (old.isPresent()) {
            legacy = true;
            return LunTableDescriptor.decode(old.get());
        }
        Optional<byte[]> t = mld.get(TABLE_KIND, key);
        if (t.isEmpty()) {
            if (!mld.keys(lunKind).isEmpty() || !mld.keys(snapKind).isEmpty() || !mld.keys(presKind).isEmpty()) {
                throw new StorageException(ErrorCode.CORRUPT_METADATA, "LUN catalogue of " + key
                        + ": LUN, snapshot or presentation records but no table record " + TABLE_KIND + "/" + key);
            }
            return null;
        }
        LunCatalogDescriptor.Table table = LunCatalogDescriptor.decodeTable(t.get(), TABLE_KIND + "/" + key);
        List<LunRecord> luns = new ArrayList<>();
        for (String k : mld.keys(lunKind)) {
            LunRecord r = LunCatalogDescriptor.decodeLun(value(lunKind, k), lunKind + "/" + k);
            checkKey(lunKind, k, Integer.toString(r.id()));
            luns.add(r);
        }
        luns.sort(Comparator.comparingInt(LunRecord::id));
        orders.clear();
        nextOrder = 0;
        List<LunCatalogDescriptor.Ordered<SnapshotRecord>> snaps = new ArrayList<>();
        for (String k : mld.keys(snapKind)) {
            LunCatalogDescriptor.Ordered<SnapshotRecord> s = LunCatalogDescriptor.decodeSnapshot(value(snapKind, k),
                    snapKind + "/" + k);
            checkKey(snapKind, k, snapKey(s.value()));
            snaps.add(s);
            remember(snapKind + "/" + k, s.order());
        }
        List<LunCatalogDescriptor.Ordered<Presentation>> pres = new ArrayList<>();
        for (String k : mld.keys(presKind)) {
            LunCatalogDescriptor.Ordered<Presentation> p = LunCatalogDescriptor.decodePresentation(value(presKind, k),
                    presKind + "/" + k);
            checkKey(presKind, k, LunCatalogDescriptor.presentationKey(p.value()));
            pres.add(p);
            remember(presKind + "/" + k, p.order());
        }
        return new LunTableDescriptor.Content(table.generation(), luns, inOrder(pres), inOrder(snaps),
                table.backupDisk(), table.backupLogDisk());
    }

    @Override
    public synchronized void store(LunTableDescriptor.Content previous, LunTableDescriptor.Content next) {
        LunTableDescriptor.Content before = legacy
                ? new LunTableDescriptor.Content(-1, List.of(), List.of(), List.of(), -2, -2) : previous;
        MldBatch batch = new MldBatch();
        if (legacy) {
            batch.remove(LEGACY_KIND, key);
        }
        if (before.generation() != next.generation() || before.backupDisk() != next.backupDisk()
                || before.backupLogDisk() != next.backupLogDisk()) {
            batch.put(TABLE_KIND, key, LunCatalogDescriptor.encodeTable(new LunCatalogDescriptor.Table(
                    next.generation(), next.backupDisk(), next.backupLogDisk())));
        }
        RecordDiff.diff(before.luns(), next.luns(), LunRecord::id,
                (was, r) -> batch.put(lunKind, Integer.toString(r.id()), LunCatalogDescriptor.encodeLun(r)),
                r -> batch.remove(lunKind, Integer.toString(r.id())));
        Pending pending = new Pending(nextOrder);
        diffOrdered(before.snapshots(), next.snapshots(), snapKind, MldLunStore::snapKey,
                LunCatalogDescriptor::encodeSnapshot, batch, pending);
        diffOrdered(before.presentations(), next.presentations(), presKind, LunCatalogDescriptor::presentationKey,
                LunCatalogDescriptor::encodePresentation, batch, pending);
        if (batch.isEmpty()) {
            return;
        }
        mld.commit(batch);
        legacy = false;
        nextOrder = pending.order;
        orders.keySet().removeAll(pending.removed);
        orders.putAll(pending.added);
    }

    /** Order bookkeeping of one store, applied only once its commit returned. */
    private static final class Pending {
        long order;
        final Map<String, Long> added = new HashMap<>();
        final List<String> removed = new ArrayList<>();

        Pending(long order) {
            this.order = order;
        }
    }

    /**
     * Puts the records of {@code next} that differ from {@code before} (a changed record keeps its
     * order, a new one gets the next) and removes those gone.
     */
    private <T> void diffOrdered(List<T> before, List<T> next, String kind, Function<T, String> keyOf,
                                 BiFunction<T, Long, byte[]> encode, MldBatch batch, Pending pending) {
        RecordDiff.diff(before, next, keyOf, (was, t) -> {
            String k = keyOf.apply(t);
            Long o = orders.get(kind + "/" + k);
            if (o == null) {
                o = pending.order++;
                pending.added.put(kind + "/" + k, o);
            }
            batch.put(kind, k, encode.apply(t, o));
        }, t -> {
            String k = keyOf.apply(t);
            batch.remove(kind, k);
            pending.removed.add(kind + "/" + k);
        });
    }

    @Override
    public String describe() {
        return "MLD records nsc.lun|nsc.snap|nsc.pres/" + key + " and " + TABLE_KIND + "/" + key;
    }

    private static String snapKey(SnapshotRecord s) {
        if (s.id() < 0) {
            throw new IllegalArgumentException("snapshot '" + s.name() + "' has no unit id yet; the table assigns it before storing");
        }
        return Integer.toString(s.id());
    }

    private byte[] value(String kind, String k) {
        return mld.get(kind, k).orElseThrow(() -> new StorageException(ErrorCode.CORRUPT_METADATA,
                "LUN catalogue record " + kind + "/" + k + " vanished while loading"));
    }

    private static void checkKey(String kind, String k, String expected) {
        if (!k.equals(expected)) {
            throw new StorageException(ErrorCode.CORRUPT_METADATA, "LUN catalogue record " + kind + "/" + k
                    + " holds the record of key " + expected);
        }
    }

    private void remember(String recordKey, long order) {
        orders.put(recordKey, order);
        nextOrder = Math.max(nextOrder, order + 1);
    }

    private static <T> List<T> inOrder(List<LunCatalogDescriptor.Ordered<T>> list) {
        list.sort(Comparator.comparingLong(LunCatalogDescriptor.Ordered::order));
        List<T> out = new ArrayList<>(list.size());
        for (LunCatalogDescriptor.Ordered<T> o : list) {
            out.add(o.value());
        }
        return out;
    }
}
