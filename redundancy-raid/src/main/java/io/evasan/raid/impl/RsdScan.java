package io.evasan.raid.impl;

import io.evasan.error.StorageException;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.pseg.PsegAddress;
import io.evasan.raid.pseg.PsegAllocator;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rsd.RsdDescriptor;
import io.evasan.raid.rstore.impl.RStoreImpl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A disk group's RSDs restored from the PSEG tables of its drives: every drive's table is read, the newest
 * copy of each RSD is checked against its members' own entries (confirmed, unconfirmed, contradicted), the
 * live RSDs become RStores (contradicted members lost, unconfirmed entries rewritten), and each drive's PSEG
 * allocator is built (claimed PSEGs used, stale copies turned into tombstones).
 *
 * <p><b>Invariant</b>: afterwards a PSEG is in use in its drive's allocator iff a live RSD claims it, and no
 * two live RSDs claim one PSEG. {@link #run()} runs from the {@link DiskGroupImpl} constructor before the group
 * is published; {@link #buildAllocator} for a re-added drive runs with the group's allocation lock held.
 */
final class RsdScan {
    private final DiskGroupImpl group;

    RsdScan(DiskGroupImpl group) {
        this.group = group;
    }

    /** The whole PSEG table of drive {@code d}. */
    static ByteBuffer readTable(Drive d) {
        int n = d.label().psegCount();
        ByteBuffer b = ByteBuffer.allocate(n * RsdDescriptor.ENTRY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        d.read(DriveLabelDescriptor.PSEG_TABLE_OFFSET, b);
        b.clear();
        return b;
    }

    /** Restores the group's live RSDs as RStores and builds every readable drive's PSEG allocator. */
    void run() {
        Drive[] ds = group.drives;
        ByteBuffer[] tables = new ByteBuffer[ds.length];
        Map<Long, Rsd> best = new HashMap<>();
        Map<Long, Long> freedGen = new HashMap<>();
        long maxId = 0;
        for (Drive d : ds) {
            if (d == null || !d.isAvailable()) {
                continue;
            }
            try {
                tables[d.index()] = readTable(d);
            } catch (StorageException e) {
                group.problems.add("drive " + d.index() + ": PSEG table unreadable: " + e.getMessage());
                continue;
            }
            ByteBuffer t = tables[d.index()];
            for (int p = 0; p < d.label().psegCount(); p++) {
                int at = p * RsdDescriptor.ENTRY_BYTES;
                int k = RsdDescriptor.kind(t, at);
                if (k <= 0) {
                    continue;
                }
                long rid = RsdDescriptor.rsdId(t, at);
                maxId = Math.max(maxId, rid);
                long gen = RsdDescriptor.generation(t, at);
                if (k == RsdDescriptor.KIND_USED) {
                    Rsd r = RsdDescriptor.decodeUsed(t, at);
                    if (r != null && (best.get(rid) == null || best.get(rid).generation() < gen)) {
                        best.put(rid, r);
                    }
                } else if (k == RsdDescriptor.KIND_FREED) {
                    freedGen.merge(rid, gen, Math::max);
                }
            }
        }
        group.nextRsdId = maxId + 1;
        // decide which RSDs live. Each member's own PSEG entry either confirms it (USED by this
        // RSD), contradicts it (USED by another RSD, or already claimed), or is unconfirmed
        // (never written / tombstone / torn: a crash between writing the entries of one RSD).
        // An RSD contradicted at least as often as supported is a stale copy of a freed RSD
        // whose PSEGs were reused: dead. Otherwise it lives; contradicted members are replaced by
        // DiskGroupImpl.NO_DRIVE (lost, rebuilt elsewhere) and unconfirmed members get their entry rewritten.
        Map<Long, Long> claimed = new HashMap<>();
        List<Rsd> order = new ArrayList<>(best.values());
        order.sort((x, y) -> Long.compare(x.rsdId(), y.rsdId()));
        for (Rsd r : order) {
            Long fg = freedGen.get(r.rsdId());
            if (fg != null && fg > r.generation()) {
                continue;
            }
            int confirmed = 0;
            int unconfirmed = 0;
            int contradictedMask = 0;
            for (int m = 0; m < r.members(); m++) {
                int di = r.drive(m);
                ByteBuffer t = di < tables.length ? tables[di] : null;
                int p = r.pseg(m);
                if (claimed.containsKey(r.address(m))) {
                    contradictedMask |= 1 << m;
                    continue;
                }
                if (t == null) {
                    continue; // drive unreadable now: cannot check
                }
                if (p < 0 || p >= ds[di].label().psegCount()) {
                    contradictedMask |= 1 << m;
                    continue;
                }
                int at = p * RsdDescriptor.ENTRY_BYTES;
                int k = RsdDescriptor.kind(t, at);
                if (k == RsdDescriptor.KIND_USED && RsdDescriptor.rsdId(t, at) == r.rsdId()) {
                    confirmed++;
                } else if (k == RsdDescriptor.KIND_USED) {
                    contradictedMask |= 1 << m;
                } else {
                    unconfirmed++;
                }
            }
            int contradicted = Integer.bitCount(contradictedMask);
            if (contradicted > 0 && contradicted >= confirmed + unconfirmed) {
                continue;
            }
            Rsd live = r;
            if (contradicted > 0) {
                int[] d = r.drives();
                int[] p = r.psegs();
                for (int m = 0; m < d.length; m++) {
                    if ((contradictedMask & (1 << m)) != 0) {
                        d[m] = DiskGroupImpl.NO_DRIVE;
                        p[m] = 0;
                    }
                }
                live = new Rsd(r.rsdId(), r.rssId(), r.level(), r.generation() + 1, r.parityMember(),
                        r.staleMask() | contradictedMask, d, p);
                group.problems.add("RSD " + r.rsdId() + ": members " + Integer.toBinaryString(contradictedMask)
                        + " found in use by other RSDs; treated as lost");
            }
            for (int m = 0; m < live.members(); m++) {
                if (live.drive(m) != DiskGroupImpl.NO_DRIVE) {
                    claimed.put(live.address(m), live.rsdId());
                }
            }
            RStoreImpl s = new RStoreImpl(live, group);
            group.rstores.put(live.rsdId(), s);
            if (live != r || unconfirmed > 0) {
                try {
                    group.persistRsd(live);
                } catch (StorageException e) {
                    group.problems.add("RSD " + r.rsdId() + ": " + e.getMessage());
                }
            }
        }
        // allocators: claimed PSEGs used; anything else that held data is free but dirty
        for (Drive d : ds) {
            if (d == null || tables[d.index()] == null) {
                continue;
            }
            group.alloc[d.index()] = buildAllocator(d, tables[d.index()], claimed);
        }
    }

    /** The PSEG allocator of drive {@code d}: claimed PSEGs used, any other entry released (a stale copy tombstoned). */
    PsegAllocator buildAllocator(Drive d, ByteBuffer t, Map<Long, Long> claimed) {
        int n = d.label().psegCount();
        PsegAllocator a = new PsegAllocator(n);
        for (int p = 0; p < n; p++) {
            long addr = PsegAddress.encode(d.index(), p);
            int at = p * RsdDescriptor.ENTRY_BYTES;
            int k = RsdDescriptor.kind(t, at);
            if (claimed.containsKey(addr)) {
                a.markUsed(p);
            } else if (k != 0) {
                a.release(p);
                if (k == RsdDescriptor.KIND_USED || k < 0) {
                    // a stale copy must never resurrect its RSD later: turn it into a tombstone
                    long rid = k < 0 ? 0 : RsdDescriptor.rsdId(t, at);
                    long gen = k < 0 ? 0 : RsdDescriptor.generation(t, at);
                    group.writeTombstone(d, p, RsdDescriptor.KIND_RELEASED, rid, gen);
                }
            }
        }
        return a;
    }
}
